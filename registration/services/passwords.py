"""Passwords someone else chose (a clerk's one-time password, an administrator's reset) and changing them.

Such a password is a `TemporaryPassword`: until its holder chooses their own, every page sends them to the
password change (registration.middleware), and after settings.TEMPORARY_PASSWORD_DAYS it no longer logs in.
Every change of a password is audited (PASSWORD), never with the password itself.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registration.models import AuditEntry, TemporaryPassword
from registration.services.audit import audit_record, user_hospital


def temporary_password_set(*, user, issued_by) -> TemporaryPassword:
    """Mark the user's current password as chosen by `issued_by`: to be replaced at the next login."""
    temporary, _ = TemporaryPassword.objects.update_or_create(
        user=user, defaults={"issued_at": timezone.now(), "issued_by": issued_by, "replaced_at": None}
    )
    return temporary


def temporary_password_pending(user) -> TemporaryPassword | None:
    """The user's temporary password while it is not replaced, else None."""
    if user is None or not user.is_authenticated:
        return None
    return TemporaryPassword.objects.filter(user=user, replaced_at__isnull=True).first()


def temporary_password_expired(temporary: TemporaryPassword | None, *, now: datetime | None = None) -> bool:
    """Whether a pending temporary password is older than settings.TEMPORARY_PASSWORD_DAYS."""
    if temporary is None or not temporary.pending:
        return False
    now = now or timezone.now()
    return now - temporary.issued_at > timedelta(days=settings.TEMPORARY_PASSWORD_DAYS)


@transaction.atomic
def password_change(*, user, new_password: str, ip: str | None = None) -> None:
    """The user sets their own password (checked against the site's validators); audited, never logged."""
    if user.check_password(new_password):
        raise ValidationError({"new_password1": ["新密码不能与当前密码相同。"]})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as error:
        raise ValidationError({"new_password1": error.messages}) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    replaced = TemporaryPassword.objects.filter(user=user, replaced_at__isnull=True).update(
        replaced_at=timezone.now()
    )
    audit_record(
        user=user,
        action=AuditEntry.Action.PASSWORD,
        obj=user,
        ip=ip,
        detail={"by": "self", "temporary_replaced": bool(replaced)},
    )


@transaction.atomic
def password_reset_record(*, user, admin, usable: bool, ip: str | None = None) -> None:
    """An administrator set (or disabled) another account's password: audited, and to be replaced."""
    if usable and user.pk != admin.pk:
        temporary_password_set(user=user, issued_by=admin)
    audit_record(
        user=admin,
        action=AuditEntry.Action.PASSWORD,
        obj=user,
        hospital=user_hospital(user),
        ip=ip,
        detail={"by": "admin", "target": user.get_username(), "usable": usable},
    )
