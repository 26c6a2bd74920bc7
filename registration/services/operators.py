"""Operators' module access (附件1): granted and withdrawn by administrators, every change audited."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from registration import validators
from registration.models import AuditEntry, Hospital, Operator
from registration.services.audit import audit_record
from registration.services.passwords import one_time_password, temporary_password_set
from registration.validators import name_digits_refuse, phone_validate, resident_id_validate

ACCESS_REASON_MAX_LENGTH = 200


@transaction.atomic
def operator_access_set(
    *, operator: Operator, access: str, user, ip: str | None = None, reason: str = ""
) -> Operator:
    """Set an operator's module access, stamping when it changed, who changed it and why.

    The reason of a withdrawal or a refusal (不予开通) stays on the operator's row for their supervisor to
    read; a grant clears it.
    """
    if access not in Operator.Access.values:
        raise ValidationError({"access": ["模块权限状态无效。"]})
    try:
        reason = _text_clean(reason, "原因", ACCESS_REASON_MAX_LENGTH)
    except ValidationError as error:
        raise ValidationError({"reason": error.messages}) from None
    operator = Operator.objects.select_for_update().select_related("hospital").get(pk=operator.pk)
    previous = operator.access
    if previous == access:
        return operator
    operator.access, operator.access_changed_at = access, timezone.now()
    operator.access_reason = reason if access == Operator.Access.WITHDRAWN else ""
    operator.save(update_fields=["access", "access_changed_at", "access_reason"])
    audit_record(
        user=user,
        action=AuditEntry.Action.ACCESS,
        obj=operator,
        hospital=operator.hospital,
        ip=ip,
        reason=reason,
        detail={"from": previous, "to": access},
    )
    return operator


# --- Requests for module access (附件1): supervisors ask, administrators decide --------------------------

REQUESTABLE = {Operator.Access.NONE, Operator.Access.WITHDRAWN}
DECISIONS = {
    # decision: (the access it sets, the states it may be taken from)
    "grant": (
        Operator.Access.GRANTED,
        {Operator.Access.REQUESTED, Operator.Access.WITHDRAWN, Operator.Access.NONE},
    ),
    "withdraw": (Operator.Access.WITHDRAWN, {Operator.Access.REQUESTED, Operator.Access.GRANTED}),
}


@dataclass(frozen=True)
class OperatorInput:
    """A new operator as typed by a supervisor: 附件1 (姓名, 身份证号码, 联系电话, 备注) and a login."""

    username: str
    real_name: str
    id_number: str
    phone: str
    remark: str = ""


def _operator_input_clean(data: OperatorInput, hospital: Hospital) -> OperatorInput:
    errors: dict[str, list[str]] = {}

    def check(name: str, clean):
        try:
            return clean()
        except ValidationError as error:
            errors.setdefault(name, []).extend(error.messages)
            return ""

    username = check("username", lambda: _username_clean(data.username))
    real_name = check(
        "real_name",
        lambda: name_digits_refuse(
            _text_clean(data.real_name, "经办人姓名", 50, required=True), label="经办人姓名"
        ),
    )
    id_number = check("id_number", lambda: resident_id_validate(data.id_number, label="身份证号码"))
    phone = check("phone", lambda: phone_validate(data.phone))
    remark = check("remark", lambda: _text_clean(data.remark, "备注", 200))
    if id_number and Operator.objects.filter(hospital=hospital, id_number=id_number).exists():
        errors.setdefault("id_number", []).append(
            "该身份证号码的经办人员已在本院登记，请在经办人员列表中为其申请开通。"
        )
    if errors:
        raise ValidationError(errors)
    return OperatorInput(username, real_name, id_number, phone, remark)


def _username_clean(value: str) -> str:
    username = (value or "").strip()
    if not username:
        raise ValidationError("请填写登录用户名。")
    if len(username) > 150:
        raise ValidationError("登录用户名最多150个字符。")
    UnicodeUsernameValidator(message="登录用户名只能包含字母、数字和 @ . + - _ 字符。")(username)
    if get_user_model().objects.filter(username__iexact=username).exists():
        raise ValidationError("该登录用户名已被使用，请换一个。")
    return username


def _text_clean(value: str, label: str, max_length: int, *, required: bool = False) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise ValidationError(f"请填写{label}。")
    if len(text) > max_length:
        raise ValidationError(f"{label}最多{max_length}个字符，当前为{len(text)}个。")
    validators.hidden_characters_validate(text, label=label)
    return text


@transaction.atomic
def operator_request_new(
    *, hospital: Hospital, data: OperatorInput, user, ip: str | None = None
) -> tuple[Operator, str]:
    """Create a clerk's account with a one-time password and request module access for it (附件1).

    Returns the operator and the password, which is stored only as a hash: it cannot be shown again.
    """
    data = _operator_input_clean(data, hospital)
    account = get_user_model()(username=data.username, is_staff=False, is_active=True)
    password = one_time_password()
    password_validation.validate_password(password, account)  # the site's own rules hold for it too
    account.set_password(password)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        raise ValidationError({"username": ["该登录用户名已被使用，请换一个。"]}) from None
    operator = Operator(
        user=account,
        hospital=hospital,
        role=Operator.Role.CLERK,
        real_name=data.real_name,
        id_number=data.id_number,
        phone=data.phone,
        remark=data.remark,
        access=Operator.Access.REQUESTED,
        access_changed_at=timezone.now(),
    )
    operator.full_clean()
    operator.save()
    # The supervisor knows this password: the clerk must replace it at the first login (services.passwords).
    temporary_password_set(user=account, issued_by=user)
    audit_record(
        user=user,
        action=AuditEntry.Action.ACCESS,
        obj=operator,
        hospital=hospital,
        ip=ip,
        detail={"from": None, "to": Operator.Access.REQUESTED, "new_operator": True},
    )
    return operator, password


def operator_access_request(*, operator: Operator, user, ip: str | None = None, remark: str = "") -> Operator:
    """Request module access for an existing operator whose access is not requested or granted yet."""
    with transaction.atomic():
        locked = Operator.objects.select_for_update().get(pk=operator.pk)
        if locked.access not in REQUESTABLE:
            raise ValidationError(f"该经办人员的模块权限为“{locked.get_access_display()}”，不需要再申请。")
        if remark:
            locked.remark = _text_clean(remark, "备注", 200)
            locked.save(update_fields=["remark"])
        return operator_access_set(operator=locked, access=Operator.Access.REQUESTED, user=user, ip=ip)


def operator_access_decide(
    *, operator: Operator, decision: str, user, ip: str | None = None, reason: str = ""
) -> Operator:
    """An administrator grants or withdraws an operator's module access; a decision out of turn is refused.

    A withdrawal (撤销, or 不予开通 of a request) needs a reason: the clerk's supervisor reads it.
    """
    if decision not in DECISIONS:
        raise ValidationError("操作无效。")
    access, allowed_from = DECISIONS[decision]
    if decision == "withdraw" and not " ".join((reason or "").split()):
        raise ValidationError({"reason": ["请填写撤销（不予开通）的原因。"]})
    with transaction.atomic():
        locked = Operator.objects.select_for_update().get(pk=operator.pk)
        if locked.access not in allowed_from:
            verb = "开通" if decision == "grant" else "撤销"
            raise ValidationError(f"该经办人员的模块权限为“{locked.get_access_display()}”，不能{verb}。")
        return operator_access_set(operator=locked, access=access, user=user, ip=ip, reason=reason)
