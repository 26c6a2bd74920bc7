"""Rate limits, one module for the pages and the API: the budgets each call takes from.

A budget is a rate (how many calls in how long, "60/min", "300/d") and whose calls it counts (an API
client, a logged-in user, a hospital, a client address). The counting is the database's
(registration/services/budgets.py: `budget_take`, one atomic statement shared by every node); this module
says which budgets a call takes from:

- every API call: its client's settings.API_RATE ("client");
- a coverage check (GET/POST /api/v1/coverage, the /verify/ page): settings.API_COVERAGE_RATE per client
  or user ("coverage"), and the COVERAGE_RATE_* budgets per user or client, per hospital and per address
  ("coverage_day");
- every other lookup that consults other hospitals' records (the registration page's preview with an ID
  number and its submit, POST /api/v1/births): the LOOKUP_RATE_* budgets per user or client, per hospital
  and per address ("lookup").

The API's throttles (registration/api/throttles.py) are thin DRF adapters over these; the pages take
from the same budgets (docs/privacy.md, Budgets).
"""

from dataclasses import dataclass

from django.conf import settings

SCOPE_CLIENT = "client"
SCOPE_COVERAGE = "coverage"
SCOPE_COVERAGE_DAY = "coverage_day"
SCOPE_LOOKUP = "lookup"
# DRF's key format.
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


def api_client_budget(client, *, scope: str = SCOPE_CLIENT, rate: str | None = None) -> Budget:
    """An API client's budget under a scope (every call: "client"; the coverage check: "coverage")."""
    return Budget(scope, str(client.pk), rate or scope_rate(scope))


def verify_page_budget(user) -> Budget:
    """The /verify/ page's coverage checks of one logged-in user, at the API's coverage rate."""
    return Budget(SCOPE_COVERAGE, f"user-{user.pk}", scope_rate(SCOPE_COVERAGE))


def lookup_budgets(
    *, scope: str, user=None, client=None, hospital=None, ip: str | None = None
) -> list[Budget]:
    """The budgets of one lookup of other hospitals' records (SCOPE_LOOKUP or SCOPE_COVERAGE_DAY): its
    caller's (an API client's when given, else the logged-in user's), its hospital's, its address's."""
    prefix = "LOOKUP" if scope == SCOPE_LOOKUP else "COVERAGE"
    rates = {
        kind: getattr(settings, f"{prefix}_RATE_{kind.upper()}") for kind in ("user", "hospital", "address")
    }
    budgets = []
    if client is not None:
        budgets.append(Budget(scope, f"client-{client.pk}", rates["user"]))
    elif user is not None:
        budgets.append(Budget(scope, f"user-{user.pk}", rates["user"]))
    if hospital is not None:
        budgets.append(Budget(scope, f"hospital-{hospital.pk}", rates["hospital"]))
    if ip:
        budgets.append(Budget(scope, f"ip-{ip}", rates["address"]))
    return budgets


def retry_after(wait: float | None) -> str:
    """A refusal's Retry-After header: whole seconds, at least 1."""
    return str(max(1, int(-(-(wait or 1) // 1))))


REFUSED = "{what}过于频繁，已超过本账号、本院或本机地址的{what}限额，请{wait}后再试。"


def refused_message(wait: float | None, *, what: str = "查询") -> str:
    """The Chinese refusal, with the wait in words ("核验" for the coverage check's page)."""
    seconds = int(retry_after(wait))
    if seconds < 60:
        when = f"{seconds}秒"
    elif seconds < 3600:
        when = f"{-(-seconds // 60)}分钟"
    else:
        when = f"{-(-seconds // 3600)}小时"
    return REFUSED.format(what=what, wait=when)
