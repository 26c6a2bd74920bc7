"""The API's rate limits: DRF's throttle classes over the app's budgets (registration/throttles.py)."""

from rest_framework.throttling import SimpleRateThrottle

from registration import throttles


class ClientRateThrottle(SimpleRateThrottle):
    """Every call of one client (settings.API_RATE, e.g. 600/min)."""

    scope = throttles.SCOPE_CLIENT

    def allow_request(self, request, view) -> bool:
        client = request.auth
        if self.rate is None or client is None or not hasattr(client, "pk"):
            return True  # no rate; or no client, refused before: 401
        self.decision = throttles.budget_take(
            throttles.api_client_budget(client, scope=self.scope, rate=self.rate)
        )
        return self.decision.allowed

    def wait(self) -> float | None:
        return self.decision.wait


class CoverageRateThrottle(ClientRateThrottle):
    """The coverage check, lower: each call tries one code and birth date (settings.API_COVERAGE_RATE)."""

    scope = throttles.SCOPE_COVERAGE
