"""Reads of the audit log: a supervisor sees their hospital's entries, an administrator all."""

from django.db.models import QuerySet

from registration.access import audit_scope
from registration.models import AuditEntry
from registration.selectors.filters import AuditFilter


def audit_entries_for_user(
    *,
    user,
    at_from=None,
    at_before=None,
    action: str = "",
    username: str = "",
    hospital_id: int | None = None,
    newborn_id: int | None = None,
) -> QuerySet[AuditEntry]:
    """The audit entries a user may read, newest first, matching every given filter.

    Supervisors read their own hospital's entries (not those of no hospital: an unknown username's failed
    logins, administrators' work); administrators read every entry; anyone else none.
    """

    entries = audit_scope(user).select_related("hospital").order_by("-at", "-pk")
    values = {
        "at_from": at_from,
        "at_before": at_before,
        "action": action,
        "username": username,
        "hospital_id": hospital_id,
        "newborn_id": newborn_id,
    }
    return AuditFilter.apply(entries, values)
