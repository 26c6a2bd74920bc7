"""A login's idle expiry, moved forward at most once a minute instead of written on every request.

A session ends SESSION_COOKIE_AGE (30 minutes) after the clerk's last activity. Django's
SESSION_SAVE_EVERY_REQUEST keeps that by writing the session row, in a transaction of its own, on every
page, every live hint and every registration: one commit per request that changes nothing else. This
middleware marks the session modified only when its last refresh is SESSION_REFRESH_SECONDS old or older,
and Django's SessionMiddleware then saves it (a new expiry in the database; the cookie itself lasts until
the browser closes). An idle login therefore ends between SESSION_COOKIE_AGE - SESSION_REFRESH_SECONDS and
SESSION_COOKIE_AGE after its last request: never later than the setting says.
"""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY

REFRESHED_KEY = "_session_refreshed_at"


def session_refreshed_mark(session) -> None:
    """Stamp the session as refreshed now; saving it (as a login does) writes the new expiry."""
    session[REFRESHED_KEY] = int(time.time())


class SessionIdleRefreshMiddleware:
    """Placed right after SessionMiddleware, so that its mark is seen when the response is saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty():  # no session, or a login that just ended (flush)
            return response
        if SESSION_KEY not in session:  # a stale or forged cookie, say: no anonymous session is made
            return response
        refreshed = session.get(REFRESHED_KEY)
        if not isinstance(refreshed, int) or time.time() - refreshed >= settings.SESSION_REFRESH_SECONDS:
            session_refreshed_mark(session)
        return response
