"""The pages' logins: django-axes' lock-out in front of Django's model backend (settings.py's
AUTHENTICATION_BACKENDS), and the lock-out's page. The password rules are registration.password_validation;
the API's Bearer keys, registration.api.auth."""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


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


def lockout_response(request, original_response=None, credentials=None):
    """The Chinese lock-out page (status 429), saying how long the lock-out lasts."""
    from axes.helpers import get_cool_off, get_failure_limit
    from django.shortcuts import render

    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
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
