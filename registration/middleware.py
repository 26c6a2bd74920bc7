"""Sends a user whose password someone else chose to the password change before any other page."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from registration.services.passwords import temporary_password_pending

SESSION_KEY = "registration_password_change_required"


def password_change_required(request) -> bool:
    """Whether this session's user must change their password first; read once per session."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    # Kept in the session with the user's id: one query per login, not per page. A password reset by an
    # administrator ends the user's sessions (Django's session hash), so a stale "no" cannot outlive it.
    cached = request.session.get(SESSION_KEY)
    if isinstance(cached, list) and len(cached) == 2 and cached[0] == user.pk:
        return bool(cached[1])
    required = temporary_password_pending(user) is not None
    password_change_required_set(request, user, required)
    return required


def password_change_required_set(request, user, required: bool) -> None:
    """Remember in the session whether its user must change their password first."""
    request.session[SESSION_KEY] = [user.pk, required]


class PasswordChangeRequiredMiddleware:
    """Every page but the password change, logging out and static files redirects there until it is done."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if password_change_required(request) and not self._exempt(request.path_info):
            return redirect("password_change")  # the page says why
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        allowed = (reverse("password_change"), reverse("logout"))
        return path in allowed or path.startswith("/" + settings.STATIC_URL.lstrip("/"))
