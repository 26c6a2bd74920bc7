"""Rate limits, one module for the pages and the API: each call takes from a budget, refused once it is spent.

A budget is a rate (how many calls in how long: settings.API_RATE for the scope "client",
settings.API_COVERAGE_RATE for "coverage") and whose calls it counts (an API client, a logged-in user).
The API's throttles (registration/api/throttles.py) are thin DRF adapters over budget_take, and the
/verify/ page takes from the same "coverage" rate per user. Another kind of subject (a hospital, an
address) is another Budget taken the same way; a call that must fit several takes from each.

The counts live in a cache every node shares (settings.CACHES["api"], a database table made by migration
0011). The default cache is each process's memory: with several nodes behind a proxy, or several gunicorn
workers, each would count apart and let N times the rate through. The database is the one store every node
already shares; Redis would do as well where one runs, by pointing CACHES["api"] at it.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches

SCOPE_CLIENT = "client"
SCOPE_COVERAGE = "coverage"
# DRF's own key format, so that the counts already stored under it keep counting.
KEY_FORMAT = "throttle_%(scope)s_%(ident)s"
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def scope_rate(scope: str) -> str:
    """A scope's rate as settings give it, e.g. "60/min" (REST_FRAMEWORK's DEFAULT_THROTTLE_RATES)."""
    return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]


def rate_parse(rate: str) -> tuple[int, int]:
    """(calls, seconds) of a rate such as "600/min" or "60/m", as DRF reads it."""
    count, period = rate.split("/")
    return int(count), _SECONDS[period[0]]


@dataclass(frozen=True)
class Budget:
    """The calls of one subject under one scope's rate."""

    scope: str  # which rate: SCOPE_CLIENT, SCOPE_COVERAGE
    subject: str  # whose calls: an API client's pk, "user-<pk>" for a logged-in user
    rate: str  # "600/min"

    @property
    def key(self) -> str:
        return KEY_FORMAT % {"scope": self.scope, "ident": self.subject}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    wait: float | None = None  # seconds until a call would be allowed again (when refused)


def budget_take(budget: Budget) -> Decision:
    """Count one call against the budget, unless the budget is spent; then say how long to wait.

    A sliding window, as DRF's SimpleRateThrottle keeps it: the times of the calls within the rate's period.
    """
    cache = caches["api"]
    count, seconds = rate_parse(budget.rate)
    history = cache.get(budget.key, [])
    now = time.time()
    while history and history[-1] <= now - seconds:
        history.pop()
    if len(history) >= count:
        return Decision(False, _wait(history, now, count, seconds))
    history.insert(0, now)
    cache.set(budget.key, history, seconds)
    return Decision(True)


def _wait(history: list[float], now: float, count: int, seconds: int) -> float | None:
    remaining = seconds - (now - history[-1]) if history else seconds
    available = count - len(history) + 1
    return remaining / float(available) if available > 0 else None


def api_client_budget(client, *, scope: str = SCOPE_CLIENT, rate: str | None = None) -> Budget:
    """An API client's budget under a scope (every call: "client"; the coverage check: "coverage")."""
    return Budget(scope, str(client.pk), rate or scope_rate(scope))


def verify_page_budget(user) -> Budget:
    """The /verify/ page's coverage checks of one logged-in user, at the API's coverage rate."""
    return Budget(SCOPE_COVERAGE, f"user-{user.pk}", scope_rate(SCOPE_COVERAGE))
