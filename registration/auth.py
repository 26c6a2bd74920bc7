"""The pages' logins: django-axes' lock-out in front of Django's model backend (settings.py's
AUTHENTICATION_BACKENDS), and the lock-out's page. The password rules are registration.password_validation;
the API's Bearer keys, registration.api.auth."""

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q, Sum


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out username and address before the password is checked.

    Without a request there is no address to count failures against: axes would raise, breaking
    `authenticate()` in scripts and the test client's login(). The login page always passes its request,
    so every login a person makes is throttled; a request-less call is left to the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler with two limits: a username at one address, and the address itself.

    AXES_LOCKOUT_PARAMETERS names both (["ip_address", ["username", "ip_address"]]), but axes compares every
    count with the one AXES_FAILURE_LIMIT: a ward computer shared by several clerks would be locked by five
    typos among them. Here the pair locks at AXES_FAILURE_LIMIT and the address at AXES_IP_FAILURE_LIMIT,
    both counted over the cool-off in axes' own table (so across nodes). And a successful login clears only
    that username's failures at that address: axes would clear every failure of the address, so one valid
    login between guesses would reset the count for every other account (docs/privacy.md, Lock-out).
    """

    def failure_counts(self, request, credentials=None) -> tuple[int, int]:
        """(failures of this username at this address, failures of this address) within the cool-off."""
        username = get_client_username(request, credentials)
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        counts = attempts.aggregate(
            pair=Sum("failures_since_start", filter=Q(username=username)),
            address=Sum("failures_since_start"),
        )
        return counts["pair"] or 0, counts["address"] or 0

    def get_failures(self, request, credentials=None) -> int:
        # Either count at its own limit is a lock-out at AXES_FAILURE_LIMIT, the one limit axes compares.
        pair, address = self.failure_counts(request, credentials)
        return max(pair, address - (settings.AXES_IP_FAILURE_LIMIT - settings.AXES_FAILURE_LIMIT))

    def reset_user_attempts(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        deleted, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return deleted


def lockout_response(request, original_response=None, credentials=None):
    """The Chinese lock-out page (status 429), saying how long the lock-out lasts and what is locked."""
    from axes.helpers import get_cool_off, get_failure_limit
    from django.shortcuts import render

    cool_off = get_cool_off(request)
    _, address = LockoutHandler().failure_counts(request, credentials)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "address_locked": address >= settings.AXES_IP_FAILURE_LIMIT,
        "address_failure_limit": settings.AXES_IP_FAILURE_LIMIT,
        "cooloff_minutes": max(1, round(cool_off.total_seconds() / 60)) if cool_off else None,
    }
    return render(request, "registration/locked_out.html", context, status=429)


USERNAME_MAX_LENGTH = 150  # Django's User.username


def lockout_username(request, credentials=None) -> str | None:
    """The username failures are counted against, as typed but cut to a username's length.

    Django's login form does not bound what reaches authenticate(); axes would store a megabyte of
    "username" (PostgreSQL refuses it: a 500 instead of the login page). NUL is dropped for the same reason.
    """
    if credentials:
        username = credentials.get("username")
    else:
        username = getattr(request, "data", request.POST).get("username")
    if username is None:
        return None
    return str(username).replace("\0", "")[:USERNAME_MAX_LENGTH]


class UserBackend(ModelBackend):
    """Django's model backend, reading a session's user together with its operator and hospital.

    Every page of the module asks who the user's operator is and whether its hospital is enabled
    (registration.access.user_operator): one query with the user's instead of a second one on every
    request. A user without an Operator row (an administrator) comes back with none cached.
    """

    def get_user(self, user_id):
        try:
            user = (
                get_user_model()
                ._default_manager.select_related("operator__hospital__division")
                .get(pk=user_id)
            )
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
