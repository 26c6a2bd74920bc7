"""Reads of the audit log: a supervisor sees their hospital's entries, an administrator all."""

from django.db.models import QuerySet

from registration.models import AuditEntry, Operator
from registration.selectors.people import user_is_administrator


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

    entries = AuditEntry.objects.select_related("hospital").order_by("-at", "-pk")
    if not user_is_administrator(user):
        operator = getattr(user, "operator", None) if user.is_authenticated and user.is_active else None
        if operator is None or operator.role != Operator.Role.SUPERVISOR:
            return entries.none()
        entries = entries.filter(hospital_id=operator.hospital_id)
    if at_from is not None:
        entries = entries.filter(at__gte=at_from)
    if at_before is not None:
        entries = entries.filter(at__lt=at_before)
    if action:
        entries = entries.filter(action=action)
    if username:
        entries = entries.filter(username=username)
    if hospital_id is not None:
        entries = entries.filter(hospital_id=hospital_id)
    if newborn_id is not None:
        entries = entries.filter(newborn_id=newborn_id)
    return entries
