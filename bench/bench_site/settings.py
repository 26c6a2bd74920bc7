"""Settings for bench/registration.py only: the product's settings with a bench URLconf (bench_site.urls)."""

from newborn_enroll.settings import *  # noqa: F403

ROOT_URLCONF = "bench_site.urls"
