"""Reads of the audit log: a supervisor sees their hospital's entries, an administrator all."""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from registration.access import audit_scope
from registration.models import AuditEntry
from registration.selectors.filters import AuditFilter

# A fragment as short as one character matches many people: the log is read for the first ones, in order
# of their login names (the page asks for a longer fragment when it says so).
USERS_MATCHED_MAX = 50


def audit_entries_for_user(
    *,
    user,
    at_from=None,
    at_before=None,
    action: str = "",
    username: str = "",
    hospital_id: int | None = None,
    newborn_id: int | None = None,
    hide_view_id: bool = False,
) -> QuerySet[AuditEntry]:
    """The audit entries a user may read, newest first, matching every given filter.

    Supervisors read their own hospital's entries (not those of no hospital: an unknown username's failed
    logins, administrators' work); administrators read every entry; anyone else none. `username` is what a
    person types: a login name, a part of one, or a person's real name (audit_usernames_matching).
    """

    entries = audit_scope(user).select_related("hospital").order_by("-at", "-pk")
    usernames = audit_usernames_matching(username) if username else []
    values = {
        "at_from": at_from,
        "at_before": at_before,
        "action": action,
        # One name: the (username, at) index read as before; several: the same index, once per name.
        "username": usernames[0] if len(usernames) == 1 else "",
        "usernames": usernames if len(usernames) > 1 else [],
        "exclude_action": AuditEntry.Action.VIEW_ID if hide_view_id else "",
        "hospital_id": hospital_id,
        "newborn_id": newborn_id,
    }
    return AuditFilter.apply(entries, values)


def audit_usernames_matching(text: str) -> list[str]:
    """The login names the log's user filter means by `text`: an account's exact login name alone; else
    the text itself (an unknown name of a failed login) and the accounts whose login name contains it, or
    whose person's name does (an operator's 经办人姓名, an account's name: an API client's)."""
    text = text.strip()
    accounts = get_user_model().objects.order_by("username")
    if accounts.filter(username=text).exists():
        return [text]
    matching = accounts.filter(
        Q(username__icontains=text)
        | Q(operator__real_name__contains=text)
        | Q(first_name__contains=text)
        | Q(last_name__contains=text)
    )
    names = matching.values_list("username", flat=True)[:USERS_MATCHED_MAX]
    return list(dict.fromkeys([text, *names]))
