"""Passwords someone else chose (a clerk's one-time password, an administrator's reset) and changing them.

Such a password is a `TemporaryPassword`: until its holder chooses their own, every page sends them to the
password change (registration.middleware), and after settings.TEMPORARY_PASSWORD_DAYS it no longer logs in.
Every change of a password is audited (PASSWORD), never with the password itself.
"""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registration.models import AuditEntry, TemporaryPassword
from registration.services.audit import audit_record, user_hospital

# Letters and digits that cannot be mistaken for one another when read out or copied from a screen.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_GROUPS, PASSWORD_GROUP_LENGTH = 4, 4


def one_time_password() -> str:
    """A random initial password (about 90 bits), shown once to whoever hands it to its holder."""
    groups = (
        "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_GROUP_LENGTH))
        for _ in range(PASSWORD_GROUPS)
    )
    return "-".join(groups)


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
def password_reset_temporary(*, user, admin, ip: str | None = None) -> str:
    """An administrator resets another account's password: a random one-time password, returned once (stored
    only as a hash), which its holder must replace at the next login; audited, never logged."""
    if user.pk == admin.pk:
        raise ValidationError("不能为自己的账号生成一次性密码，请在“修改密码”中设置新密码。")
    if hasattr(user, "api_client"):
        raise ValidationError("接口客户端的系统账号不能登录，不能设置密码。")
    password = one_time_password()
    password_validation.validate_password(password, user)  # the site's own rules hold for it too
    user.set_password(password)
    user.save(update_fields=["password"])
    temporary_password_set(user=user, issued_by=admin)
    audit_record(
        user=admin,
        action=AuditEntry.Action.PASSWORD,
        obj=user,
        hospital=user_hospital(user),
        ip=ip,
        detail={"by": "admin", "target": user.get_username(), "usable": True, "one_time": True},
    )
    return password
