"""Settings for bench/registration.py only: the product's settings with a bench URLconf (bench_site.urls)."""

from newborn_enroll.settings import *  # noqa: F403

ROOT_URLCONF = "bench_site.urls"

# The bench's eight clients are one hospital at one address posting for seconds on end: the day's lookup
# budgets (docs/privacy.md, Budgets) are still counted on every post, but set out of reach, so that the
# bench measures registration, not the refusals.
LOOKUP_RATE_USER = LOOKUP_RATE_HOSPITAL = LOOKUP_RATE_ADDRESS = "100000000/d"
