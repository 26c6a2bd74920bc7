"""The API's request and response bodies: JSON in UTF-8, dates YYYY-MM-DD, sex "female"/"male".

Input text goes through the registration page's own fields (TextField, IdentityField), so a value typed
into the page and sent by a hospital system are normalised alike; the rules are the services'.
"""

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.fields import SkipField

from registration import validators
from registration.forms.fields import IdentityField, TextField
from registration.models import Material, Newborn
from registration.reference import ETHNICITY_CHOICES, HOUSEHOLD_TYPE_CHOICES, NATIONALITY_CHOICES, Sex
from registration.services.newborns import MAX_BABIES_PER_BIRTH, WARNING_CODES

SEX_NAMES = {Sex.FEMALE: "female", Sex.MALE: "male"}
SEX_BY_NAME = {name: sex for sex, name in SEX_NAMES.items()}
DATE_FORMATS = ["%Y-%m-%d"]
_DATE_MESSAGES = {
    "invalid": "日期格式不正确，应为 YYYY-MM-DD，如 2026-03-02。",
    "required": "该字段是必填项。",
}


def errors_flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as {"mother.id_number": [...], "babies.1.birth_date": [...]}."""
    if isinstance(detail, dict):
        flat = {}
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                # An error of the object itself is listed under the object's own path.
                flat.update(errors_flatten(value, prefix or "non_field_errors"))
                continue
            flat.update(errors_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(errors_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = [str(item) for item in (detail if isinstance(detail, list) else [detail])]
    return {prefix or "non_field_errors": messages} if messages else {}


def values_parsed(serializer: serializers.Serializer, data) -> tuple[dict | None, set[str]]:
    """What of a body each field parses, whatever the others do: (the values, the unusable paths).

    For a body the serializer refused, where validated_data is not available: a nested object is parsed
    field by field and a list item by item (up to its max_length), so that a bad sex of the second baby
    leaves the mother's ID number and the first baby's birth date usable. A value that did not parse is
    left out and its path (as errors_flatten names it: `babies.1.sex`, `mother`) is among the unusable ones;
    a body that is no object at all gives (None, {""}).
    """
    unusable: set[str] = set()
    return _values_parsed(serializer, data, "", unusable), unusable


def _values_parsed(serializer: serializers.Serializer, data, prefix: str, unusable: set[str]) -> dict | None:
    if not isinstance(data, Mapping):
        unusable.add(prefix)
        return None
    values = {}
    for field in serializer.fields.values():
        if field.read_only:
            continue
        path = f"{prefix}.{field.field_name}" if prefix else field.field_name
        primitive = field.get_value(data)
        if isinstance(field, serializers.ListSerializer) and isinstance(primitive, list):
            items = primitive if field.max_length is None else primitive[: field.max_length]
            values[field.field_name] = [
                _values_parsed(field.child, item, f"{path}.{index}", unusable)
                for index, item in enumerate(items)
            ]
            continue
        if isinstance(field, serializers.Serializer) and isinstance(primitive, Mapping):
            values[field.field_name] = _values_parsed(field, primitive, path, unusable)
            continue
        validate = getattr(serializer, f"validate_{field.field_name}", None)
        try:
            value = field.run_validation(primitive)
            values[field.field_name] = validate(value) if validate is not None else value
        except (serializers.ValidationError, DjangoValidationError):
            unusable.add(path)
        except SkipField:
            pass
    return values


class InputSerializer(serializers.Serializer):
    """A request body: every text field runs the app's one hidden-character check
    (validators.hidden_characters_validate), with its Chinese message under the field's path. (The list's
    and the coverage check's queries store nothing: a cursor the API did not give out is a 400.)"""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if isinstance(field, serializers.CharField) and not field.read_only:
                field.validators.append(validators.hidden_characters_validate)
        return fields


class FormText(serializers.CharField):
    """A string cleaned by one of the page's form fields (same normalisation, same Chinese messages)."""

    def __init__(self, *, form_field: forms.Field, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.form_field = form_field

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return self.form_field.clean(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


def _text(max_length: int, **kwargs) -> FormText:
    return FormText(form_field=TextField(max_length=max_length), **kwargs)


def _identity(max_length: int, **kwargs) -> FormText:
    return FormText(form_field=IdentityField(max_length=max_length), **kwargs)


class ParentSerializer(InputSerializer):
    name = _text(50, help_text="姓名")
    id_number = _identity(40, help_text="18位居民身份证号码")
    phone = _identity(30, help_text="联系电话")


class BabySerializer(InputSerializer):
    sex = serializers.ChoiceField(
        choices=list(SEX_BY_NAME), error_messages={"invalid_choice": "性别应为 female 或 male。"}
    )
    birth_date = serializers.DateField(input_formats=DATE_FORMATS, error_messages=_DATE_MESSAGES)
    birth_certificate_number = _identity(
        20, help_text="出生医学证明编号（route 为 birth_certificate 时必填）"
    )


# newborn_register's own message for the count (the list is also cut short here, before its items are read).
_BABIES_COUNT = f"一次登记的新生儿须为1至{MAX_BABIES_PER_BIRTH}名。"


def _codes(choices) -> list[str]:
    return [code for code, _ in choices]


class BirthSerializer(InputSerializer):
    """POST /api/v1/births: the registration page's fields, one birth of 1-8 babies."""

    community = _text(
        120, required=True, allow_blank=False, default=serializers.empty, help_text="12位社区编码或社区ID"
    )
    route = serializers.ChoiceField(
        choices=["parent_id", "birth_certificate"], error_messages={"invalid_choice": "请选择证件类型。"}
    )
    parent_role = serializers.ChoiceField(
        choices=["mother", "father"],
        error_messages={"invalid_choice": "请选择使用母亲还是父亲的身份证号码。"},
    )
    mother = ParentSerializer(required=False)
    father = ParentSerializer(required=False)
    babies = BabySerializer(
        many=True,
        min_length=1,
        max_length=MAX_BABIES_PER_BIRTH,
        error_messages={key: _BABIES_COUNT for key in ("min_length", "max_length", "empty")},
    )
    ethnicity = serializers.ChoiceField(
        choices=_codes(ETHNICITY_CHOICES), default="01", help_text="民族代码（GB/T 3304）"
    )
    nationality = serializers.ChoiceField(
        choices=_codes(NATIONALITY_CHOICES), default="CHN", help_text="国籍（ISO 3166 三位字母）"
    )
    household_type = serializers.ChoiceField(choices=_codes(HOUSEHOLD_TYPE_CHOICES), help_text="户口性质代码")
    household_address = _text(200, required=True, allow_blank=False, default=serializers.empty)
    phone = _identity(30, required=True, allow_blank=False, default=serializers.empty)
    birth_hospital_name = _text(100)
    no_household_registration = serializers.BooleanField(default=False, help_text="新生儿尚未办理户籍登记")
    parent_has_guangxi_household = serializers.BooleanField(
        default=False, help_text="证件所属父（母）亲为广西户籍"
    )
    materials_deferred = serializers.BooleanField(
        default=False, help_text="材料暂缺：稍后用 POST /api/v1/newborns/{identity}/materials 补传"
    )
    sms_declined = serializers.BooleanField(
        default=False, help_text="家长不愿接收短信通知：不发送登记告知、缴费提醒和缴费确认短信"
    )
    confirm = serializers.ListField(
        child=serializers.ChoiceField(choices=list(WARNING_CODES)),
        default=list,
        max_length=len(WARNING_CODES),
    )

    def validate_phone(self, value: str) -> str:
        try:
            return validators.phone_validate(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def validate_birth_hospital_name(self, value: str) -> str:
        try:
            return validators.card_text_validate(value, label="出生医院")
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class PaymentSerializer(serializers.Serializer):
    paid_on = serializers.DateField()
    years = serializers.ListField(child=serializers.IntegerField())
    receipt_number = serializers.CharField(allow_blank=True)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)


class NewbornSerializer(serializers.Serializer):
    """A record of the client's hospital: numbers in full (the call is audited), state and benefits."""

    temp_id = serializers.CharField(allow_null=True)
    birth_certificate_number = serializers.CharField(allow_null=True)
    personal_number = serializers.CharField()
    name = serializers.CharField()
    sex = serializers.SerializerMethodField()
    birth_date = serializers.DateField()
    birth_order = serializers.IntegerField()
    state = serializers.ChoiceField(choices=Newborn.State.values)
    state_label = serializers.CharField(source="get_state_display")
    last_day = serializers.DateField(help_text="缴费截止日，也是登记卡的最后有效日")
    benefit_start = serializers.DateField(allow_null=True)
    benefit_rule = serializers.CharField()
    registered_on = serializers.DateField(source="birth.registered_on")
    hospital = serializers.CharField(source="birth.hospital.code")
    payments = PaymentSerializer(many=True, source="payments.all")

    def get_sex(self, newborn) -> str:
        return SEX_NAMES[Sex(newborn.sex)]


class NewbornPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="下一页的完整地址；没有下一页时为 null")
    previous = serializers.URLField(allow_null=True)
    results = NewbornSerializer(many=True)


class BirthCreatedSerializer(serializers.Serializer):
    birth = serializers.IntegerField(source="pk")
    newborns = NewbornSerializer(many=True, source="newborns_ordered")


class WarningSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=list(WARNING_CODES))
    message = serializers.CharField()


class WarningsSerializer(serializers.Serializer):
    warnings = WarningSerializer(many=True)


class ErrorsSerializer(serializers.Serializer):
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="按字段路径（如 mother.id_number、babies.1.birth_date）列出的中文错误信息",
    )


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class NewbornListQuerySerializer(serializers.Serializer):
    registered_from = serializers.DateField(
        required=False, input_formats=DATE_FORMATS, error_messages=_DATE_MESSAGES
    )
    registered_to = serializers.DateField(
        required=False, input_formats=DATE_FORMATS, error_messages=_DATE_MESSAGES
    )
    state = serializers.ChoiceField(choices=Newborn.State.values, required=False)
    cursor = serializers.CharField(required=False, help_text="上一页响应中 next 所带的游标")


class MaterialUploadSerializer(InputSerializer):
    kind = serializers.ChoiceField(
        choices=Material.Kind.values, error_messages={"invalid_choice": "材料类型无效。"}
    )
    file = serializers.FileField(
        error_messages={"empty": "上传的文件是空的。", "required": "请选择要上传的文件。"}
    )


class MaterialSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class CoverageQuerySerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=40, help_text="新生儿编码或出生医学证明编号（登记卡上或其二维码中）"
    )
    birth_date = serializers.DateField(input_formats=DATE_FORMATS, error_messages=_DATE_MESSAGES)


class CoverageSerializer(serializers.Serializer):
    covered = serializers.BooleanField(help_text="今天是否可以凭登记卡享受医保待遇")
    state = serializers.ChoiceField(
        choices=Newborn.State.values,
        help_text="记录的状态：registered 已登记（未缴费）、paid 已缴费、formalized 正式参保、void 已作废",
    )
    state_label = serializers.CharField()
    valid_until = serializers.DateField(help_text="登记卡最后有效日")
    benefit_start = serializers.DateField(allow_null=True)
    years_paid = serializers.ListField(child=serializers.IntegerField())
    name = serializers.CharField(source="name_masked", help_text="脱敏姓名，如 覃*之女")
    reason = serializers.CharField(
        help_text=(
            "今天能否凭此卡享受待遇的原因及办理方式（中文），例如正式参保（formalized）的新生儿已用本人身份证号码"
            "参保，应凭本人身份证号码或医保电子凭证结算；另有未缴费、当年度未缴费、已作废（含缴费截止日后才到账、"
            "须到医保经办机构办理正式参保登记）、登记卡已过期、待遇尚未开始等情形"
        )
    )
    covered_until = serializers.DateField(
        allow_null=True,
        help_text=(
            "已缴费（paid）记录凭登记卡可结算的最后一天：已缴费年度与登记卡有效期的较早者；其他状态为 null"
        ),
    )
    missing_year = serializers.IntegerField(
        allow_null=True,
        help_text="今天因该年度保费未缴而不能结算时，为该年度（如 2027）；否则为 null",
    )


class PaymentInSerializer(InputSerializer):
    temp_id = serializers.CharField(required=False, allow_blank=True, max_length=40)
    birth_certificate_number = serializers.CharField(required=False, allow_blank=True, max_length=40)
    personal_number = serializers.CharField(required=False, allow_blank=True, max_length=40)
    name = serializers.CharField(required=False, allow_blank=True, max_length=60)
    paid_on = serializers.DateField(input_formats=DATE_FORMATS, error_messages=_DATE_MESSAGES)
    years = serializers.ListField(
        child=serializers.IntegerField(min_value=1900, max_value=2200), min_length=1, max_length=10
    )
    receipt_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True, min_value=0
    )


class PaymentsInSerializer(InputSerializer):
    payments = PaymentInSerializer(many=True, min_length=1, max_length=500)


class PaymentResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=["recorded", "already_recorded"])
    personal_number = serializers.CharField()
    state = serializers.ChoiceField(choices=Newborn.State.values)
    benefit_start = serializers.DateField(allow_null=True)


class PaymentsResultSerializer(serializers.Serializer):
    payments = PaymentResultSerializer(many=True)
