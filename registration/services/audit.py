"""The audit log's entries are made here: every service records what it did through these functions."""

from django.db import models
from django.utils import timezone

from registration.access import user_operator
from registration.masking import mask_id_number
from registration.models import AuditEntry, Hospital, Newborn
from registration.services.audit_chain import entry_sign


def user_hospital(user) -> Hospital | None:
    """The hospital a user works for, or None for administrators and anonymous users."""
    operator = user_operator(user)
    return operator.hospital if operator is not None else None


def audit_record(
    *,
    user,
    action: str,
    obj: models.Model | None = None,
    newborn: Newborn | None = None,
    hospital: Hospital | None = None,
    reason: str = "",
    detail: dict | None = None,
    ip: str | None = None,
    username: str = "",
    object_repr: str = "",
) -> AuditEntry:
    """Append one entry to the audit log, with its MAC; object descriptions are masked before storing
    (`object_repr`, for an entry without an object, must be masked already)."""
    entry = _entry(
        user=user,
        action=action,
        obj=obj,
        newborn=newborn,
        hospital=hospital,
        reason=reason,
        detail=detail,
        ip=ip,
        username=username,
        object_repr=object_repr,
    )
    entry.save()
    return entry


def audit_entries_build(
    *,
    user,
    action: str,
    objects,
    details: list[dict],
    hospital: Hospital | None = None,
    ip: str | None = None,
    reason: str = "",
) -> list[AuditEntry]:
    """One entry per object (with its detail), not yet saved: audit_record for a birth's babies, whose
    entries newborn_register inserts with one bulk_create."""
    return [
        _entry(user=user, action=action, obj=obj, hospital=hospital, detail=detail, ip=ip, reason=reason)
        for obj, detail in zip(objects, details, strict=True)
    ]


def _entry(
    *,
    user,
    action: str,
    obj: models.Model | None = None,
    newborn: Newborn | None = None,
    hospital: Hospital | None = None,
    reason: str = "",
    detail: dict | None = None,
    ip: str | None = None,
    username: str = "",
    object_repr: str = "",
) -> AuditEntry:
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    entry = AuditEntry(
        # Read at the call (not the field's default, bound when the model was defined): the demo's seeding
        # runs the services on a clock of its own (registration/demo.py, SeedClock).
        at=timezone.now(),
        user=user if authenticated else None,
        username=username or (user.get_username() if authenticated else ""),
        hospital=hospital or (user_hospital(user) if authenticated else None),
        ip=ip,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=_masked_repr(obj) or object_repr[:200],
        newborn=newborn if newborn is not None else (obj if isinstance(obj, Newborn) else None),
        reason=reason[:500],
        detail=detail or {},
    )
    return entry_sign(entry)


def _masked_repr(obj) -> str:
    if obj is None:
        return ""
    if isinstance(obj, Newborn):
        return f"{obj.name} {mask_id_number(obj.identity_number)}"[:200]
    return str(obj)[:200]


def newborns_print_record(
    *, user, newborns, ip: str | None = None, detail: dict | None = None, username: str = ""
) -> list[AuditEntry]:
    """One PRINT entry per printed newborn, in one insert; each says whether it was a reprint.

    The newborns come with birth selected: each entry's hospital is the newborn's registering hospital.
    """
    newborns = list(newborns)
    printed_before = set(
        AuditEntry.objects.filter(
            action=AuditEntry.Action.PRINT, newborn_id__in=[newborn.pk for newborn in newborns]
        ).values_list("newborn_id", flat=True)
    )
    return AuditEntry.objects.bulk_create(
        _entry(
            user=user,
            action=AuditEntry.Action.PRINT,
            obj=newborn,
            hospital=newborn.birth.hospital,
            ip=ip,
            detail={**(detail or {}), "reprint": newborn.pk in printed_before},
            username=username,
        )
        for newborn in newborns
    )
