"""Parsing and normalising the registration page's input; the rules and the eligibility stay in services.

The forms turn whatever arrives (odd Unicode, huge strings, malformed dates) into typed values or
Chinese messages. Whether a family may be pre-enrolled is decided by the registration check
(services/registration_check.py, run by newborn_register), whose messages check_errors_apply puts next to
the page's fields: PAGE_FIELDS says which field each of the check's paths is.
"""

import uuid
from datetime import date

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from registration import validators
from registration.forms.fields import (
    DATE_INPUT_FORMATS,
    MATERIAL_ACCEPT,
    MATERIAL_KINDS,
    BirthDateField,
    IdentityField,
    ReferenceChoiceField,
    TextField,
    _ethnicity_choices,
)
from registration.models import Birth, Division, Material
from registration.reference import (
    HOUSEHOLD_TYPE_CHOICES,
    NATIONALITY_CHOICES,
    Sex,
)
from registration.services.birth_materials import MaterialInput
from registration.services.registration_check import (
    MAX_BABIES_PER_BIRTH,
    WARNING_CODES,
    BabyInput,
    ParentInput,
    RegistrationRequest,
)

# Identity numbers and phones: no browser autofill or spelling marks; phones get a phone keypad.
_ID_INPUT = forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"})
_PHONE_INPUT = forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})


class RegisterForm(forms.Form):
    """One birth: the community, the identity route, the parents, the shared fields, the materials."""

    community = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20)
    community_text = TextField(
        label="参保社区",
        max_length=120,
        help_text="输入社区ID、12位社区编码或社区名称，或点击“逐级选择”按地市、区县、乡镇（街道）、村（社区）查找。",
    )
    route = forms.ChoiceField(
        label="证件类型",
        choices=Birth.Route.choices,
        initial=Birth.Route.PARENT_ID,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择证件类型。", "invalid_choice": "请选择证件类型。"},
    )
    parent_role = forms.ChoiceField(
        label="证件所属",
        choices=Birth.ParentRole.choices,
        initial=Birth.ParentRole.MOTHER,
        widget=forms.RadioSelect,
        error_messages={
            "required": "请选择使用母亲还是父亲的身份证号码。",
            "invalid_choice": "请选择使用母亲还是父亲的身份证号码。",
        },
    )
    mother_name = TextField(label="姓名", max_length=50)
    mother_id_number = IdentityField(label="身份证号码", max_length=40, widget=_ID_INPUT)
    mother_phone = IdentityField(label="联系电话", max_length=30, widget=_PHONE_INPUT)
    father_name = TextField(label="姓名", max_length=50)
    father_id_number = IdentityField(label="身份证号码", max_length=40, widget=_ID_INPUT)
    father_phone = IdentityField(label="联系电话", max_length=30, widget=_PHONE_INPUT)

    ethnicity = ReferenceChoiceField(
        label="民族",
        choices=_ethnicity_choices(),
        error_messages={"required": "请选择民族。", "invalid_choice": "请从列表中选择民族。"},
    )
    nationality = ReferenceChoiceField(
        label="国籍",
        choices=NATIONALITY_CHOICES,
        initial="CHN",
        error_messages={"required": "请选择国籍。", "invalid_choice": "请从列表中选择国籍。"},
    )
    household_type = ReferenceChoiceField(
        label="户口性质",
        choices=[("", "请选择户口性质"), *HOUSEHOLD_TYPE_CHOICES],
        error_messages={"required": "请选择户口性质。", "invalid_choice": "请从列表中选择户口性质。"},
    )
    household_address = TextField(
        label="户口详址",
        max_length=200,
        required=True,
        error_messages={"required": "请填写户口详址（以户口簿为准）。"},
    )
    phone = IdentityField(
        label="联系电话",
        max_length=30,
        required=True,
        widget=_PHONE_INPUT,
        error_messages={"required": "请填写联系电话。"},
    )
    # Prefilled with the registering hospital (views/register.py) and confirmed with the declarations; the
    # page lists the hospitals this system knows (a datalist), any other name may be typed.
    birth_hospital_name = TextField(
        label="出生医院",
        max_length=100,
        required=True,
        widget=forms.TextInput(attrs={"list": "birth-hospitals", "autocomplete": "off"}),
        help_text="默认本院；可从列表选其他医院或“院外分娩（家中或途中）”。",
        error_messages={"required": "请填写出生医院（在本院出生的，填写本院名称）。"},
    )
    # The declarations read off the household register and the birth record, confirmed by the save button
    # itself (「确认并保存」, name="declared"): the baby has no 户籍 yet, the ID parent has Guangxi 户籍, the
    # baby was born where the page says (docs/clerks-guide.md, The registration page).
    declared = forms.BooleanField(required=False, widget=forms.HiddenInput)
    materials_deferred = forms.BooleanField(
        label="材料暂缺，稍后在登记记录页补传（如扫描仪故障）",
        required=False,
        help_text="勾选后可先保存登记；记录将标注“材料不全”，请尽快补传。",
    )
    # The family declines text messages (docs/sms.md): no welcome, no reminder, no confirmation.
    sms_declined = forms.BooleanField(
        label="家长不愿接收短信通知",
        required=False,
        help_text="不勾选时，系统将向联系电话发送登记告知、缴费提醒和缴费确认短信。",
    )
    # The warnings the clerk confirmed ("点击确定后仍然可以继续新增", 附件2), by code.
    confirmed_warnings = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    request_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def clean_community(self) -> int | None:
        value = "".join(self.cleaned_data["community"].split())
        return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None

    def clean_request_key(self) -> uuid.UUID | None:
        # A missing or malformed key is not the clerk's error: the page issues a fresh one.
        try:
            return uuid.UUID(self.cleaned_data["request_key"])
        except (ValueError, TypeError, AttributeError):
            return None

    def clean_confirmed_warnings(self) -> set[str]:
        return set(self.cleaned_data["confirmed_warnings"].split()) & set(WARNING_CODES)

    def clean_phone(self) -> str:
        return validators.phone_validate(self.cleaned_data["phone"])

    # What the card prints must be drawable by its font (cards/charset.py): checked here with the page's
    # other mistakes; newborn_register checks it again.
    def clean_mother_name(self) -> str:
        name = validators.name_digits_refuse(self.cleaned_data["mother_name"], label="母亲姓名")
        return validators.card_text_validate(name, label="母亲姓名")

    def clean_father_name(self) -> str:
        name = validators.name_digits_refuse(self.cleaned_data["father_name"], label="父亲姓名")
        return validators.card_text_validate(name, label="父亲姓名")

    def clean_birth_hospital_name(self) -> str:
        return validators.card_text_validate(self.cleaned_data["birth_hospital_name"], label="出生医院")

    def clean(self):
        data = super().clean()
        if (
            not data.get("community")
            and not data.get("community_text")
            and "community_text" not in self.errors
        ):
            self.add_error("community_text", "请选择或输入参保社区（社区ID、12位社区编码或社区名称）。")
        for role in ("mother", "father"):
            self._parent_clean(role, data)
        for kind in MATERIAL_KINDS:
            upload = data.get(f"material_{kind}")
            if upload and upload.size > settings.MATERIAL_MAX_BYTES:
                self.add_error(
                    f"material_{kind}",
                    f"上传的文件超过 {settings.MATERIAL_MAX_BYTES // (1024 * 1024)} MB，请压缩后再上传。",
                )
        return data

    def _parent_clean(self, role: str, data: dict) -> None:
        # The same validators newborn_register applies, run here too so that a wrong ID number is
        # reported together with a malformed date rather than one submit later.
        id_field, phone_field = f"{role}_id_number", f"{role}_phone"
        is_id_parent = data.get("parent_role") == role
        label = validators.ROLE_LABEL[role]
        if is_id_parent and id_field in data and not data[id_field]:
            self.add_error(id_field, f"请填写{label}的身份证号码（证件所属）。")
        elif data.get(id_field):
            try:
                data[id_field] = validators.parent_id_validate(data[id_field], role=role, today=self.today)
            except ValidationError as exc:
                self.add_error(id_field, exc.messages[0])
        if data.get(phone_field):
            try:
                data[phone_field] = validators.phone_validate(data[phone_field])
            except ValidationError as exc:
                self.add_error(phone_field, exc.messages[0])
        if is_id_parent and f"{role}_name" in data and not data[f"{role}_name"]:
            self.add_error(f"{role}_name", f"请填写{label}的姓名（证件所属）。")

    def uploads(self) -> dict[str, object]:
        """The newly chosen files that parsed, by material kind."""
        data = getattr(self, "cleaned_data", {})
        return {
            kind: data[f"material_{kind}"]
            for kind in MATERIAL_KINDS
            if data.get(f"material_{kind}") and f"material_{kind}" not in self.errors
        }

    def staged_tokens(self) -> dict[str, str]:
        """The tokens of files uploaded with an earlier submit of this page, by material kind."""
        data = getattr(self, "cleaned_data", {})
        return {kind: data[f"staged_{kind}"] for kind in MATERIAL_KINDS if data.get(f"staged_{kind}")}

    def registration_request(
        self, babies: list[BabyInput], *, community: Division | None, materials: list[MaterialInput]
    ) -> RegistrationRequest:
        """The request the registration check and newborn_register take, from what parsed; a value that
        did not parse is passed empty, as the check expects."""
        data = getattr(self, "cleaned_data", {})

        def parent(role: str) -> ParentInput:
            return ParentInput(
                data.get(f"{role}_name", ""), data.get(f"{role}_id_number", ""), data.get(f"{role}_phone", "")
            )

        return RegistrationRequest(
            route=data.get("route", ""),
            parent_role=data.get("parent_role", ""),
            mother=parent("mother"),
            father=parent("father"),
            babies=tuple(babies),
            community=community,
            has_household_registration=not data.get("declared", True),
            parent_has_guangxi_household=data.get("declared", True),
            materials=tuple(materials),
            materials_deferred=data.get("materials_deferred", False),
            sms_declined=data.get("sms_declined", False),
            confirmed_warnings=frozenset(data.get("confirmed_warnings", ())),
            household_address=data.get("household_address", ""),
            household_type=data.get("household_type", ""),
            phone=data.get("phone", ""),
            ethnicity=data.get("ethnicity", ""),
            nationality=data.get("nationality", ""),
            birth_hospital_name=data.get("birth_hospital_name", ""),
        )


# Each material's file input and the token of its scan kept from an earlier submit, after the declared
# fields: built once, like them, rather than for every form.
for _kind, _label in Material.Kind.choices:
    RegisterForm.base_fields[f"material_{_kind}"] = forms.FileField(
        label=_label,
        required=False,
        widget=forms.FileInput(attrs={"accept": MATERIAL_ACCEPT}),
        error_messages={"empty": "上传的文件是空的。", "invalid": "上传的文件无效，请重新选择。"},
    )
    RegisterForm.base_fields[f"staged_{_kind}"] = forms.CharField(required=False, widget=forms.HiddenInput)
del _kind, _label


class BabyForm(forms.Form):
    """One baby of the birth; its birth order is its place in the formset."""

    sex = forms.TypedChoiceField(
        label="性别",
        choices=Sex.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择性别。", "invalid_choice": "请选择性别。"},
    )
    birth_date = BirthDateField(
        label="出生日期",
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    birth_certificate_number = IdentityField(
        label="出生医学证明编号",
        max_length=20,
        widget=forms.TextInput(
            attrs={"placeholder": "如 Q450123456", "class": "form-control", "autocomplete": "off"}
        ),
    )

    def __init__(self, *args, route: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.route = route

    def clean_birth_certificate_number(self) -> str:
        value = self.cleaned_data["birth_certificate_number"]
        if self.route != Birth.Route.BIRTH_CERTIFICATE:
            return ""  # only that route identifies the baby by its certificate
        if not value:
            raise ValidationError("请填写出生医学证明编号。", code="required")
        return validators.birth_certificate_number_validate(value)

    def baby_input(self) -> BabyInput:
        """The baby as the registration check takes it; what did not parse is None (or "")."""
        data = getattr(self, "cleaned_data", {})
        sex = data.get("sex")
        return BabyInput(
            Sex(sex) if sex else None, data.get("birth_date"), data.get("birth_certificate_number", "")
        )


class BaseBabyFormSet(forms.BaseFormSet):
    default_error_messages = {
        "missing_management_form": "页面数据不完整，请刷新页面后重新填写。",
        "too_many_forms": f"一次登记最多{MAX_BABIES_PER_BIRTH}名婴儿。",
        "too_few_forms": "请至少填写1名婴儿的性别和出生日期。",
    }

    def filled_forms(self) -> list[BabyForm]:
        """The babies' forms in birth order; a block added and left empty is skipped."""
        return [form for form in self.forms if form.has_changed() or not form.empty_permitted]

    def baby_inputs(self) -> list[BabyInput]:
        return [form.baby_input() for form in self.filled_forms()]


BabyFormSet = forms.formset_factory(
    BabyForm,
    formset=BaseBabyFormSet,
    extra=0,
    min_num=1,
    max_num=MAX_BABIES_PER_BIRTH,
    absolute_max=MAX_BABIES_PER_BIRTH,
    validate_min=True,
    validate_max=True,
)
BABY_PREFIX = "babies"


def baby_formset(data=None, *, route: str = "") -> BaseBabyFormSet:
    """The babies' formset, told the identity route so that the certificate field follows it."""
    route = route if isinstance(route, str) else ""
    return BabyFormSet(data, prefix=BABY_PREFIX, form_kwargs={"route": route})


# The registration check's field paths (its own vocabulary, the JSON API's too) and the page's fields
# that show their messages. `babies.N.<field>` is the N-th filled baby's form, `materials.N` the file
# input of the N-th material sent; a path not here, or whose field is hidden, goes above the form: so do
# the declarations (`has_household_registration`, `parent_has_guangxi_household`), which 「确认并保存」 sends.
PAGE_FIELDS = {
    "route": "route",
    "parent_role": "parent_role",
    "mother.name": "mother_name",
    "mother.id_number": "mother_id_number",
    "mother.phone": "mother_phone",
    "father.name": "father_name",
    "father.id_number": "father_id_number",
    "father.phone": "father_phone",
    "community": "community_text",
    "materials": "materials_deferred",
}


def check_errors_apply(
    errors: ValidationError | dict[str, list[str]],
    form: RegisterForm,
    formset: BaseBabyFormSet,
    material_kinds: list[str],
) -> None:
    """Put the registration check's messages next to the fields they concern (PAGE_FIELDS)."""
    if isinstance(errors, ValidationError):
        if not hasattr(errors, "error_dict"):
            for message in errors.messages:
                form.add_error(None, message)
            return
        errors = errors.message_dict
    babies = formset.filled_forms() if formset.is_bound else []
    for path, messages in errors.items():
        target, name = _page_field(path, form, formset, babies, material_kinds)
        for message in messages:
            if target is formset:
                formset.non_form_errors().append(message)
            elif target is None:
                form.add_error(None, message)
            else:
                target.add_error(name, message)


def check_path_reported(
    path: str, form: RegisterForm, formset: BaseBabyFormSet, material_kinds: list[str]
) -> bool:
    """Whether the page already shows its own parsing error where a check's path would go: the check saw
    that value as missing. The babies' count is the formset's to report."""
    babies = formset.filled_forms() if formset.is_bound else []
    target, name = _page_field(path, form, formset, babies, material_kinds)
    if target is formset:
        return bool(formset.non_form_errors())
    return target is not None and name in target.errors


def _page_field(path: str, form, formset, babies, material_kinds) -> tuple[object, str | None]:
    """(the form holding the path's field, the field's name); the formset for `babies`; None above."""
    parts = path.split(".")
    if path == "babies":
        return formset, None
    if parts[0] == "babies" and len(parts) == 3 and parts[1].isdigit():
        index = int(parts[1])
        if index < len(babies) and parts[2] in babies[index].fields:
            return babies[index], parts[2]
        return None, None
    if parts[0] == "materials" and len(parts) == 2 and parts[1].isdigit():
        index = int(parts[1])
        return (form, f"material_{material_kinds[index]}") if index < len(material_kinds) else (None, None)
    name = PAGE_FIELDS.get(path)
    if name is None or form.fields[name].widget.is_hidden:
        return None, None
    return form, name


def error_summary(form: RegisterForm, formset: BaseBabyFormSet) -> list[dict]:
    """Every message on the page, in page order, with the label and the anchor of its field."""
    items = [{"label": "", "message": message, "anchor": ""} for message in form.non_field_errors()]
    for name, field in form.fields.items():
        for message in form.errors.get(name, []):
            label = "扫描材料" if name == "materials_deferred" else field.label or ""
            if name.startswith(("mother_", "father_")):
                label = f"{validators.ROLE_LABEL[name.split('_')[0]]}{label}"
            items.append({"label": label, "message": message, "anchor": form[name].auto_id})
    items += [{"label": "婴儿", "message": m, "anchor": "babies"} for m in formset.non_form_errors()]
    for number, baby in enumerate(formset.forms, start=1):
        for name, field in baby.fields.items():
            for message in baby.errors.get(name, []):
                label = f"第{number}名婴儿·{field.label}"
                items.append({"label": label, "message": message, "anchor": baby[name].auto_id})
    return items
