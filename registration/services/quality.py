"""A 医保中心 administrator's decisions on a likely duplicate pair (docs/quality.md): "not a duplicate", or
one record voided as the other's duplicate. Both are audited on each record concerned."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from registration import validators
from registration.masking import mask_id_number
from registration.models import AuditEntry, DuplicateDismissal, Newborn
from registration.selectors.quality import likely_duplicates
from registration.services.audit import audit_record
from registration.services.lifecycle import newborn_void_duplicate

DISMISSAL_REASON_MAX_LENGTH = 200


def _pair_check(first: Newborn, second: Newborn) -> None:
    if first.pk == second.pk or not likely_duplicates(first=first, second=second):
        raise ValidationError(
            "这两条记录不是疑似重复登记（出生日期、性别或父母身份证号码不同，或属同一次分娩）。"
        )


@transaction.atomic
def duplicate_dismiss(*, first: Newborn, second: Newborn, user, reason: str, ip: str | None = None):
    """Record that a likely pair is two babies (who, why, when): it leaves the quality page's list."""
    if first.pk > second.pk:
        first, second = second, first
    _pair_check(first, second)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请填写判定为非重复登记的原因（如：双胞胎分两次登记）。"]})
    if len(reason) > DISMISSAL_REASON_MAX_LENGTH:
        raise ValidationError({"reason": [f"原因不能超过{DISMISSAL_REASON_MAX_LENGTH}个字。"]})
    if validators.has_hidden_characters(reason, allowed="\n\t"):
        raise ValidationError({"reason": ["原因含有无法显示的控制字符，请重新填写。"]})
    try:
        with transaction.atomic():
            dismissal = DuplicateDismissal.objects.create(
                first=first, second=second, decided_by=user, reason=reason
            )
    except IntegrityError:
        raise ValidationError("这两条记录已经判定为非重复登记。") from None
    for record, other in ((first, second), (second, first)):
        audit_record(
            user=user,
            action=AuditEntry.Action.DUPLICATE,
            obj=record,
            hospital=record.hospital,
            reason=reason,
            ip=ip,
            detail={"decision": "not_duplicate", "other": mask_id_number(other.identity_number)},
        )
    return dismissal


def duplicate_void(*, voided: Newborn, kept: Newborn, user, ip: str | None = None) -> Newborn:
    """Void `voided` as the duplicate of `kept` through the lifecycle's void (reason 「重复登记」, a link to
    the kept record, its code staying issued); audited there as a VOID of the voided record."""
    _pair_check(voided, kept)
    return newborn_void_duplicate(newborn=voided, kept=kept, user=user, ip=ip)
