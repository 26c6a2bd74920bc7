"""Searches by ID number without the number in a URL (issue 23, item 4; docs/privacy.md, Logs and URLs).

A search form is POSTed. The answer is a redirect to the list's URL carrying the search's plain filters
(a state, dates: bookmarkable, paginated as before) and, for what identifies a person (an ID number, a
temporary ID, or any value that looks like one), an opaque token instead. The values behind a token are
kept in the user's session: bound to that login, gone when it ends or after SEARCH_TOKEN_SECONDS, never in
the browser's history, a proxy's log or a Referer.
"""

import secrets
import time

from django.http import HttpResponseRedirect, QueryDict

from registration.log_masking import mask_sensitive

TOKEN_PARAMETER = "search"
SEARCH_TOKEN_SECONDS = 30 * 60
SESSION_KEY = "searches"
KEPT = 20  # the newest searches of a session; older tokens expire early
IGNORED = {"csrfmiddlewaretoken", "page", TOKEN_PARAMETER, "_search_post"}


def _private(name: str, value: str, private_fields: set[str]) -> bool:
    return name in private_fields or mask_sensitive(value) != value


def search_redirect(request, url: str, private_fields: set[str]) -> HttpResponseRedirect:
    """The redirect after a search's POST: plain filters in the query string, the rest behind a token."""
    plain, private = QueryDict(mutable=True), {}
    for name, values in request.POST.lists():
        values = [value for value in values if value != ""]
        if name in IGNORED or not values:
            continue
        if any(_private(name, value, private_fields) for value in values):
            private[name] = values
        else:
            plain.setlist(name, values)
    if private:
        plain[TOKEN_PARAMETER] = _keep(request, private)
    query = plain.urlencode()
    return HttpResponseRedirect(f"{url}?{query}" if query else url)


def _keep(request, values: dict[str, list[str]]) -> str:
    now = time.time()
    searches = {
        token: kept for token, kept in request.session.get(SESSION_KEY, {}).items() if kept["expires"] > now
    }
    token = secrets.token_urlsafe(12)
    searches[token] = {"values": values, "expires": now + SEARCH_TOKEN_SECONDS}
    request.session[SESSION_KEY] = dict(sorted(searches.items(), key=lambda item: item[1]["expires"])[-KEPT:])
    return token


def search_data(request) -> tuple[QueryDict, bool]:
    """The search as the list's form reads it: the URL's filters plus the token's values.

    The second value is True when the URL names a token this session no longer holds (expired, another
    login's, made up): the page then says so rather than show every record.
    """
    data = request.GET.copy()
    token = data.pop(TOKEN_PARAMETER, [None])[-1]
    data.pop("page", None)
    if not token:
        return data, False
    kept = request.session.get(SESSION_KEY, {}).get(token)
    if kept is None or kept["expires"] <= time.time():
        return data, True
    for name, values in kept["values"].items():
        data.setlist(name, values)
    return data, False
