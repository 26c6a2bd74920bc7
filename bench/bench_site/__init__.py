"""A bench-only Django site (bench/registration.py): the product plus a minimal view to compare with."""
