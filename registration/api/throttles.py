"""Per-client rates, counted in a cache every node shares (settings.CACHES["api"], a database table).

The default cache is each process's memory: with several nodes behind a proxy, or several gunicorn workers,
each would count apart and let N times the rate through. The database is the one store every node
already shares, so the counts live there (a table made by migration 0011); Redis would do as well where
one runs, by pointing CACHES["api"] at it.
"""

from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle


class ClientRateThrottle(SimpleRateThrottle):
    """Every call of one client (settings.API_RATE, e.g. 600/min)."""

    scope = "client"

    def __init__(self):
        self.cache = caches["api"]
        super().__init__()

    def get_cache_key(self, request, view):
        client = request.auth
        if client is None or not hasattr(client, "pk"):
            return None  # refused before: 401
        return self.cache_format % {"scope": self.scope, "ident": client.pk}


class CoverageRateThrottle(ClientRateThrottle):
    """The coverage check, lower: each call tries one code and birth date (settings.API_COVERAGE_RATE)."""

    scope = "coverage"


class VerifyPageThrottle(CoverageRateThrottle):
    """The coverage check of the /verify/ page, at the same rate, per logged-in user."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": f"user-{request.user.pk}"}
