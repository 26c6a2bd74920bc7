"""Database backends: Django's, with the changes this application's workload needs."""
