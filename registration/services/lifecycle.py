"""After registration (docs/rules.md, lifecycle): payment, formal enrollment, void; each locks and audits."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from stdnum.cn import ric

from registration import rules, validators
from registration.masking import mask_id_number
from registration.models import AuditEntry, Newborn, Payment
from registration.reference import Sex
from registration.services.audit import audit_record
from registration.services.sms import sms_confirmation_queue

AUTO_VOID_REASON = "出生后3个月内未缴费，预参保登记信息作废（最后缴费日{last_day}）。"


def _locked(newborn: Newborn) -> Newborn:
    # Each baby's lifecycle changes are serialised on its row: a payment and the void job never interleave.
    return Newborn.objects.select_for_update(of=("self",)).select_related("birth").get(pk=newborn.pk)


def newborn_benefit_start(
    birth_date: date, payments: Iterable[tuple[date, Iterable[int]]]
) -> rules.BenefitStart:
    """The earliest benefit start any payment gives, each counted with the years paid by its day."""
    return rules.benefit_start_combined(birth_date, payments)


RECEIPT_MAX_LENGTH = 64
VOID_REASON_MAX_LENGTH = 200


# Why an action is not available in a record's state: one message each, shown by the action's page
# (views/lifecycle.py) before the clerk types anything, and raised by the action's service under the lock.


def payment_refusal(newborn: Newborn) -> str | None:
    """Why no payment can be recorded on this record, or None."""
    if newborn.state == Newborn.State.VOID and not newborn.voided_automatically:
        return (
            "该记录已由经办人手工作废（已作废），不能再录入缴费；"
            "请家长到户籍所在地医保经办机构办理正式参保登记。"
        )
    return None


def void_refusal(newborn: Newborn) -> str | None:
    """Why this record cannot be voided by hand, or None."""
    if newborn.state == Newborn.State.VOID:
        return "该记录已经作废。"
    if newborn.state == Newborn.State.FORMALIZED:
        return "该新生儿已正式参保，不能作废。"
    return None


def formalize_refusal(newborn: Newborn) -> str | None:
    """Why formal enrollment cannot be recorded on this record now, or None."""
    if newborn.state == Newborn.State.REGISTERED:
        return "该记录尚未缴费：须先录入缴费，只有已缴费的记录才能办理正式参保。"
    if newborn.state == Newborn.State.FORMALIZED:
        return "该新生儿已正式参保。"
    if newborn.state == Newborn.State.VOID:
        return "该记录已作废，请家长到户籍所在地医保经办机构办理正式参保登记。"
    return None


def special_group_refusal(newborn: Newborn) -> str | None:
    """Why this record cannot be flagged (or unflagged) as a special group, or None."""
    if newborn.state == Newborn.State.VOID:
        return "该记录已作废，不能标记特殊人群。"
    return None


def payment_problems(
    *, newborn: Newborn, paid_on: date, years: list[int], today: date
) -> dict[str, list[str]]:
    """What forbids recording this payment on this record, by field (empty when nothing does)."""
    errors = {}
    if refusal := payment_refusal(newborn):
        errors["paid_on"] = [refusal]
    elif paid_on > today:
        errors["paid_on"] = ["到账日期不能晚于今天。"]
    elif paid_on < newborn.birth_date:
        errors["paid_on"] = ["到账日期不能早于出生日期。"]
    elif paid_on < newborn.birth.registered_on:
        # The temporary ID and the personal number were issued on the registration day: nothing could be
        # paid under them before it.
        registered = rules.format_date_zh(newborn.birth.registered_on)
        errors["paid_on"] = [
            f"到账日期早于预参保登记日期（{registered}）：登记前该新生儿的编码和个人编号尚未生成，"
            "不能以其缴费。请核对到账日期。"
        ]
    if not years or years[0] < newborn.birth_date.year or years[-1] > paid_on.year + 1:
        errors["years"] = [f"缴费年度须在{newborn.birth_date.year}年至{paid_on.year + 1}年之间，至少一个。"]
    return errors


def payment_same(
    payments: Iterable, *, paid_on: date, years: list[int], receipt_number: str
) -> tuple[object | None, object | None]:
    """(the recorded payment this one is, or None; a payment with its receipt number but other money).

    A payment's identity: its receipt number when it has one; else the day it arrived and the years it
    paid. Two different receipt numbers are two payments even on the same day for the same years.
    """
    for payment in payments:
        same_money = payment.paid_on == paid_on and sorted(payment.years) == years
        if receipt_number and payment.receipt_number == receipt_number:
            return (payment, None) if same_money else (None, payment)
        if same_money and not (receipt_number and payment.receipt_number):
            return payment, None
    return None, None


def receipt_used_elsewhere(*, newborn: Newborn, receipt_number: str) -> bool:
    """Whether a payment of another newborn already carries this receipt number."""
    if not receipt_number:
        return False
    return Payment.objects.filter(receipt_number=receipt_number).exclude(newborn=newborn).exists()


def receipt_elsewhere_message(receipt_number: str) -> str:
    """Why a receipt number already recorded for another newborn is refused (one receipt, one baby)."""
    # Another hospital's baby may hold it: the message names no one.
    return f"缴费凭证号「{receipt_number}」已用于另一名新生儿的缴费，一张缴费凭证只对应一名新生儿，请核对。"


def receipt_conflict_message(payment, receipt_number: str) -> str:
    """Why a payment whose receipt number is already used by a different payment is refused."""
    return (
        f"缴费凭证号「{receipt_number}」已用于另一笔缴费（到账日期{payment.paid_on.isoformat()}，"
        f"{'、'.join(map(str, payment.years))}年度），请核对。"
    )


@transaction.atomic
def payment_record(
    *,
    newborn: Newborn,
    user,
    paid_on: date,
    years: Iterable[int],
    receipt_number: str = "",
    amount: Decimal | None = None,
    source: str = Payment.Source.MANUAL,
    today: date | None = None,
    ip: str | None = None,
) -> Payment:
    """Record a premium payment; the record becomes paid and its benefit start is set (the guide, 四).

    docs/rules.md, A payment after the void: money that arrived by the last day reinstates a record the
    daily job voided (only the payment list came late). Money that arrived after the last day is kept,
    but the record is (or becomes, if the job has not run yet) void: the family enrolls formally at the
    agency, where the guide's waiting period applies. A record voided by staff takes no payment.
    """
    today = today or timezone.localdate()
    newborn = _locked(newborn)
    years = sorted(set(years))
    receipt_number = (receipt_number or "").strip()
    errors = payment_problems(newborn=newborn, paid_on=paid_on, years=years, today=today)
    if len(receipt_number) > RECEIPT_MAX_LENGTH:
        errors["receipt_number"] = [f"缴费凭证号不能超过{RECEIPT_MAX_LENGTH}个字符。"]
    if errors:
        raise ValidationError(errors)
    same, conflict = payment_same(
        newborn.payments.all(), paid_on=paid_on, years=years, receipt_number=receipt_number
    )
    if conflict is not None:
        raise ValidationError({"receipt_number": [receipt_conflict_message(conflict, receipt_number)]})
    if receipt_used_elsewhere(newborn=newborn, receipt_number=receipt_number):
        raise ValidationError({"receipt_number": [receipt_elsewhere_message(receipt_number)]})
    if same is not None:
        raise ValidationError({"paid_on": ["这笔缴费已经录入过（到账日期、缴费年度与已有记录相同）。"]})
    late = paid_on > newborn.last_day
    if late and newborn.state == Newborn.State.REGISTERED:
        # Unpaid at the end of the window, the record is void (the notice, 二(一)) whether or not the daily
        # job has reached it yet: the outcome must not depend on the order of the two.
        reason = AUTO_VOID_REASON.format(last_day=rules.format_date_zh(newborn.last_day))
        _void(newborn, user=None, reason=reason, ip=ip, automatic=True, late_payment=paid_on)
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                newborn=newborn,
                paid_on=paid_on,
                years=years,
                receipt_number=receipt_number,
                amount=amount,
                source=source,
                recorded_by=user,
            )
    except IntegrityError:
        raise ValidationError({"receipt_number": ["这笔缴费已经录入过。"]}) from None
    detail = {"paid_on": paid_on.isoformat(), "years": years, "source": source, "payment": payment.pk}
    fields = _payment_apply(newborn, list(newborn.payments.values_list("paid_on", "years")), late, detail)
    newborn.save(update_fields=fields)
    if "state" in fields and newborn.state == Newborn.State.PAID:
        # The family's confirmation text, as a row the job sends (docs/sms.md).
        sms_confirmation_queue(newborn=newborn)
    audit_record(
        user=user,
        action=AuditEntry.Action.PAYMENT,
        obj=newborn,
        hospital=newborn.birth.hospital,
        ip=ip,
        reason=next((text for key, text in PAYMENT_AUDIT_REASONS.items() if key in detail), ""),
        detail=detail,
    )
    return payment


PAYMENT_AUDIT_REASONS = {
    "reinstated_from_void": "到期自动作废后收到缴费（到账日期不晚于缴费截止日），恢复为已缴费。",
    "kept_on_void": "缴费到账日期晚于缴费截止日，记录保持作废：须到医保经办机构办理正式参保登记。",
}


def _payment_apply(newborn: Newborn, payments: list, late: bool, detail: dict) -> list[str]:
    """Set the record's state, benefit start and copies from all its payments; the fields changed."""
    # The reports' copy of the first payment's day (a payment may arrive with an earlier day than one
    # already recorded), and the end of the years paid in time (the card's cover).
    newborn.first_paid_on = min(day for day, _ in payments)
    newborn.paid_until = rules.card_cover(newborn.birth_date, payments).paid_until
    fields = ["first_paid_on", "paid_until", "benefit_rule"]
    if newborn.state == Newborn.State.VOID and late:
        # Kept on the void record; benefits are the agency's to grant after formal enrollment, and the
        # rule says what to do and when the waiting period would end (information, not a benefit start).
        detail["kept_on_void"] = True
        late_payments = [(day, years) for day, years in payments if day > newborn.last_day]
        newborn.benefit_rule = rules.late_payment_text(newborn.birth_date, late_payments)
        return fields
    start = newborn_benefit_start(newborn.birth_date, payments)
    if newborn.state == Newborn.State.VOID:
        detail["reinstated_from_void"] = newborn.void_reason
        newborn.voided_at, newborn.void_reason, newborn.voided_automatically = None, "", False
        fields += ["voided_at", "void_reason", "voided_automatically"]
    if newborn.state in (Newborn.State.REGISTERED, Newborn.State.VOID):
        newborn.state, newborn.state_changed_at = Newborn.State.PAID, timezone.now()
        fields += ["state", "state_changed_at"]
    newborn.benefit_start, newborn.benefit_rule = start.start, start.rule
    return fields + ["benefit_start"]


@transaction.atomic
def newborn_formalize(
    *,
    newborn: Newborn,
    user,
    real_name: str,
    real_id_number: str,
    today: date | None = None,
    ip: str | None = None,
) -> Newborn:
    """Formal enrollment (正式参保): the real name and ID; the temporary ID stays on record, still issued."""
    today = today or timezone.localdate()
    newborn = _locked(newborn)
    if refusal := formalize_refusal(newborn):
        raise ValidationError({"real_id_number": [refusal]})
    errors = {}
    try:
        real_name = validators.name_validate(real_name, label="真实姓名", max_length=50)
    except ValidationError as exc:
        errors["real_name"] = exc.messages
    try:
        real_id_number = validators.real_id_validate(
            real_id_number, birth_date=newborn.birth_date, sex=newborn.sex, today=today
        )
    except ValidationError as exc:
        errors["real_id_number"] = [_real_id_problem(exc, real_id_number, newborn)]
    else:
        if Newborn.objects.filter(real_id_number=real_id_number).exclude(pk=newborn.pk).exists():
            errors["real_id_number"] = ["该身份证号码已用于另一名新生儿的正式参保。"]
    if errors:
        raise ValidationError(errors)
    newborn.state, newborn.state_changed_at = Newborn.State.FORMALIZED, timezone.now()
    newborn.real_name, newborn.real_id_number, newborn.formalized_at = (
        real_name,
        real_id_number,
        timezone.now(),
    )
    newborn.save(update_fields=["state", "state_changed_at", "real_name", "real_id_number", "formalized_at"])
    audit_record(
        user=user, action=AuditEntry.Action.FORMALIZE, obj=newborn, hospital=newborn.birth.hospital, ip=ip
    )
    return newborn


def _real_id_problem(error: ValidationError, value: str, newborn: Newborn) -> str:
    # The clerk compares the number with the household register: say what the number says.
    if getattr(error, "code", None) == "birth_date_mismatch":
        born = ric.get_birth_date(validators.resident_id_validate(value))
        return (
            f"身份证号码中的出生日期为{rules.format_date_zh(born)}（第7-14位），"
            f"与登记的出生日期{rules.format_date_zh(newborn.birth_date)}不一致。"
        )
    if getattr(error, "code", None) == "sex_mismatch":
        digit = validators.resident_id_validate(value)[16]
        holder = Sex.MALE if int(digit) % 2 else Sex.FEMALE
        return (
            f"身份证号码第17位为{digit}（{holder.label}），与登记的性别（{Sex(newborn.sex).label}）不一致。"
        )
    return " ".join(error.messages)


def _reason_check(text: str, *, field: str, label: str) -> None:
    # Control and format characters (NUL, ESC, the right-to-left override) have no place in a reason that
    # the history shows: they would hide or reorder what was written. Line breaks and tabs are the box's.
    try:
        validators.hidden_characters_validate(text, allowed=validators.MULTILINE_ALLOWED, label=label)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None


def _void(
    newborn: Newborn,
    *,
    user,
    reason: str,
    ip: str | None,
    automatic: bool,
    late_payment: date | None = None,
    duplicate_of: Newborn | None = None,
) -> Newborn:
    now = timezone.now()
    newborn.state, newborn.state_changed_at = Newborn.State.VOID, now
    newborn.voided_at, newborn.void_reason = now, reason[:VOID_REASON_MAX_LENGTH]
    newborn.voided_automatically = automatic
    newborn.duplicate_of = duplicate_of
    newborn.save(
        update_fields=[
            "state",
            "state_changed_at",
            "voided_at",
            "void_reason",
            "voided_automatically",
            "duplicate_of",
        ]
    )
    audit_record(
        user=user,
        action=AuditEntry.Action.VOID,
        obj=newborn,
        hospital=newborn.birth.hospital,
        reason=reason,
        ip=ip,
        username="" if user is not None else "void_expired",
        # A payment that arrived after the last day, recorded before the daily job ran, voids the record
        # as the job would have.
        detail={
            "automatic": automatic,
            **({"late_payment": late_payment.isoformat()} if late_payment else {}),
            # The record kept, by its masked code: the voided record's hospital may read it (docs/privacy.md).
            **({"duplicate_of": mask_id_number(duplicate_of.identity_number)} if duplicate_of else {}),
        },
    )
    return newborn


@transaction.atomic
def newborn_void(*, newborn: Newborn, user, reason: str, ip: str | None = None) -> Newborn:
    """Void a record by hand, with a reason. Its temporary ID and personal number stay issued."""
    newborn = _locked(newborn)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["作废必须填写原因。"]})
    if len(reason) > VOID_REASON_MAX_LENGTH:
        raise ValidationError({"reason": [f"作废原因不能超过{VOID_REASON_MAX_LENGTH}个字。"]})
    _reason_check(reason, field="reason", label="作废原因")
    if refusal := void_refusal(newborn):
        raise ValidationError({"reason": [refusal]})
    return _void(newborn, user=user, reason=reason, ip=ip, automatic=False)


DUPLICATE_REASON = "重复登记"


def duplicate_void_reason(kept: Newborn) -> str:
    """The void reason of a record voided as another's duplicate: 「重复登记」 and the kept record's masked
    code, all another hospital may learn of it (docs/privacy.md)."""
    return f"{DUPLICATE_REASON}（保留的记录：{mask_id_number(kept.identity_number)}）"


@transaction.atomic
def newborn_void_duplicate(*, newborn: Newborn, kept: Newborn, user, ip: str | None = None) -> Newborn:
    """Void a record as the duplicate of `kept` (a 医保中心 administrator's decision on the quality page).

    Both rows are locked in id order; the kept record must still be in force. The voided record's code
    and personal number stay issued, never given again (as any void's); it links to the kept record
    (Newborn.duplicate_of) and the VOID entry names it.
    """
    if newborn.pk == kept.pk:
        raise ValidationError({"void": ["不能把记录作废为它自己的重复登记。"]})
    locked = {
        row.pk: row
        for row in Newborn.objects.select_for_update(of=("self",))
        .select_related("birth", "birth__hospital")
        .filter(pk__in=[newborn.pk, kept.pk])
        .order_by("pk")
    }
    newborn, kept = locked[newborn.pk], locked[kept.pk]
    if kept.state == Newborn.State.VOID:
        raise ValidationError({"void": ["要保留的记录已经作废，不能把另一条作废为它的重复登记。"]})
    if refusal := void_refusal(newborn):
        raise ValidationError({"void": [refusal]})
    return _void(
        newborn, user=user, reason=duplicate_void_reason(kept), ip=ip, automatic=False, duplicate_of=kept
    )


def newborn_void_expired(*, today: date, dry_run: bool = False) -> list[Newborn]:
    """Void every record still unpaid after its last day (the notice, 二(一)); idempotent."""
    due = list(
        Newborn.objects.filter(state=Newborn.State.REGISTERED, last_day__lt=today)
        .select_related("birth")
        .order_by("last_day", "pk")
    )
    if dry_run:
        return due
    voided = []
    for candidate in due:
        # One short transaction per record: a payment recorded meanwhile wins, and is not voided.
        with transaction.atomic():
            newborn = _locked(candidate)
            if newborn.state == Newborn.State.REGISTERED and newborn.last_day < today:
                reason = AUTO_VOID_REASON.format(last_day=rules.format_date_zh(newborn.last_day))
                voided.append(_void(newborn, user=None, reason=reason, ip=None, automatic=True))
    return voided


@transaction.atomic
def newborn_special_group_set(
    *, newborn: Newborn, user, special_group: str, reason: str = "", ip: str | None = None
) -> Newborn:
    """Flag (or unflag, with "") a record as a special group for the later subsidy (the notice, 二(三))."""
    newborn = _locked(newborn)
    if special_group not in Newborn.SpecialGroup.values:
        raise ValidationError({"special_group": ["请选择有效的特殊人群类别。"]})
    if refusal := special_group_refusal(newborn):
        raise ValidationError({"special_group": [refusal]})
    if special_group == newborn.special_group:
        raise ValidationError({"special_group": ["特殊人群类别没有变化。"]})
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise ValidationError({"reason": ["说明不能超过200个字。"]})
    _reason_check(reason, field="reason", label="说明")
    previous = newborn.special_group
    newborn.special_group = special_group
    newborn.save(update_fields=["special_group"])
    labels = dict(Newborn.SpecialGroup.choices)
    audit_record(
        user=user,
        action=AuditEntry.Action.UPDATE,
        obj=newborn,
        hospital=newborn.birth.hospital,
        ip=ip,
        reason=reason,
        detail={
            "field": "special_group",
            "old": previous,
            "new": special_group,
            "summary": f"特殊人群：{labels[previous]} → {labels[special_group]}",
        },
    )
    return newborn
