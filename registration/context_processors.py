"""What every page's menu shows beyond the user: the administrator's work waiting (issue 29)."""

import functools

from registration import access, selectors


def pending_work(request) -> dict:
    """The 附件1 requests waiting for an administrator's decision, counted once, and only when a page shows
    them (the menu of base.html, the home page): no query for anyone else, nor for a page that does not."""
    user = getattr(request, "user", None)
    if user is None or not access.user_is_administrator(user):
        return {}
    count = functools.cache(lambda: selectors.operators_requested_count(user=user))
    return {"pending_access_requests": count}
