"""The API's rate limits: DRF's throttle classes over the app's budgets (registration/throttles.py),
counted by registration/services/budgets.py."""

from rest_framework.throttling import SimpleRateThrottle

from registration import throttles
from registration.http import client_ip
from registration.services.budgets import budgets_take


class ClientRateThrottle(SimpleRateThrottle):
    """Every call of one client (settings.API_RATE, e.g. 600/min)."""

    scope = throttles.SCOPE_CLIENT

    def allow_request(self, request, view) -> bool:
        client = request.auth
        if client is None or not hasattr(client, "pk"):
            return True  # no client, refused before: 401
        self.decision = budgets_take(self.budgets(request, client))
        return self.decision.allowed

    def budgets(self, request, client) -> list[throttles.Budget]:
        if self.rate is None:
            return []
        return [throttles.api_client_budget(client, scope=self.scope, rate=self.rate)]

    def wait(self) -> float | None:
        return self.decision.wait


class CoverageRateThrottle(ClientRateThrottle):
    """The coverage check, lower: each call tries one code and birth date (settings.API_COVERAGE_RATE),
    and the day's coverage budgets of the client, its hospital and its address (COVERAGE_RATE_*)."""

    scope = throttles.SCOPE_COVERAGE

    def budgets(self, request, client) -> list[throttles.Budget]:
        return super().budgets(request, client) + throttles.lookup_budgets(
            scope=throttles.SCOPE_COVERAGE_DAY, client=client, hospital=client.hospital, ip=client_ip(request)
        )


class LookupRateThrottle(ClientRateThrottle):
    """POST /api/v1/births, whose check consults other hospitals' records: the lookup budgets of the
    client, its hospital and its address (LOOKUP_RATE_*)."""

    scope = throttles.SCOPE_LOOKUP
    rate = None  # no DRF rate of its own: the budgets below

    def get_rate(self):
        return None

    def budgets(self, request, client) -> list[throttles.Budget]:
        return throttles.lookup_budgets(
            scope=throttles.SCOPE_LOOKUP, client=client, hospital=client.hospital, ip=client_ip(request)
        )
