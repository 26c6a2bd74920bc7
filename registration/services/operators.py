"""Operators' module access (附件1): granted and withdrawn by administrators, every change audited."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registration.models import AuditEntry, Operator
from registration.services.audit import audit_record


@transaction.atomic
def operator_access_set(*, operator: Operator, access: str, user, ip: str | None = None) -> Operator:
    """Set an operator's module access, stamping when it changed and who changed it."""
    if access not in Operator.Access.values:
        raise ValidationError({"access": ["模块权限状态无效。"]})
    operator = Operator.objects.select_for_update().select_related("hospital").get(pk=operator.pk)
    previous = operator.access
    if previous == access:
        return operator
    operator.access, operator.access_changed_at = access, timezone.now()
    operator.save(update_fields=["access", "access_changed_at"])
    audit_record(
        user=user,
        action=AuditEntry.Action.ACCESS,
        obj=operator,
        hospital=operator.hospital,
        ip=ip,
        detail={"from": previous, "to": access},
    )
    return operator
