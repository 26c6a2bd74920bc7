"""The forms of the newborns pages."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from registration.forms.fields import DATE_INPUT, BoundedDateField
from registration.models import Material, Newborn
from registration.validators import (
    MAX_INPUT_LENGTH,
    HiddenCharactersFormMixin,
    birth_certificate_number_validate,
    personal_number_validate,
    resident_id_validate,
    temp_id_validate,
)


class NewbornFilterForm(HiddenCharactersFormMixin, forms.Form):
    """The list's search box: parses what the clerk typed; the selector does the filtering."""

    name = forms.CharField(label="姓名", required=False, max_length=50)
    personal_number = forms.CharField(label="个人编号", required=False, max_length=MAX_INPUT_LENGTH)
    identity_number = forms.CharField(
        label="证件号码",
        required=False,
        max_length=MAX_INPUT_LENGTH,
        help_text="新生儿编码、出生医学证明编号、父母或新生儿本人的身份证号码；完整号码，"
        "新生儿编码区分大小写（…X 与 …x 是两个孩子）。",
    )
    born_from = BoundedDateField(label="出生日期从", required=False, widget=DATE_INPUT)
    born_to = BoundedDateField(label="至", required=False, widget=DATE_INPUT)
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), *Newborn.State.choices])
    materials = forms.ChoiceField(
        label="材料",
        required=False,
        choices=[("", "全部"), ("incomplete", "材料不全（暂缺待补传）"), ("complete", "材料齐全")],
        error_messages={"invalid_choice": "请从列表中选择材料情况。"},
    )

    # The administrator's (every hospital's records): which hospital, and when the records were registered.
    hospital = forms.CharField(label="登记医院", required=False, max_length=12)
    registered_from = BoundedDateField(label="登记日期从", required=False, widget=DATE_INPUT)
    registered_to = BoundedDateField(label="至", required=False, widget=DATE_INPUT)
    ADMINISTRATOR_FIELDS = ("hospital", "registered_from", "registered_to")

    def __init__(self, *args, administrator: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not administrator:
            for name in self.ADMINISTRATOR_FIELDS:
                del self.fields[name]

    def clean_hospital(self) -> int | None:
        value = self.cleaned_data["hospital"].strip()
        if not value:
            return None
        if not value.isascii() or not value.isdigit():
            raise ValidationError("请从列表中选择登记医院。")
        return int(value)

    def clean_personal_number(self) -> str:
        value = self.cleaned_data["personal_number"]
        return personal_number_validate(value) if value else ""

    def clean_identity_number(self) -> str:
        value = self.cleaned_data["identity_number"]
        if not value:
            return ""
        # 19 characters: a parent's ID + the baby's letter, whose case is kept; 18: a resident ID (a
        # parent's, or the baby's own after formal enrollment); else a birth certificate number.
        length = len("".join(value.split()))
        if length == 18:
            return resident_id_validate(value)
        return temp_id_validate(value) if length > 18 else birth_certificate_number_validate(value)

    def clean(self):
        data = super().clean()
        born_from, born_to = data.get("born_from"), data.get("born_to")
        if born_from and born_to and born_from > born_to:
            raise ValidationError("出生日期的起始日不能晚于截止日。")
        registered_from, registered_to = data.get("registered_from"), data.get("registered_to")
        if registered_from and registered_to and registered_from > registered_to:
            raise ValidationError("登记日期的起始日不能晚于截止日。")
        return data


class MaterialAddForm(HiddenCharactersFormMixin, forms.Form):
    """A scan added to a saved registration (its materials deferred, or a page scanned again)."""

    kind = forms.ChoiceField(
        label="材料类型",
        choices=Material.Kind.choices,
        error_messages={"required": "请选择材料类型。", "invalid_choice": "请从列表中选择材料类型。"},
    )
    file = forms.FileField(
        label="文件",
        error_messages={
            "required": "请选择要上传的文件。",
            "empty": "上传的文件是空的。",
            "invalid": "上传的文件无效，请重新选择。",
        },
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MATERIAL_MAX_BYTES:
            raise ValidationError(
                f"上传的文件超过 {settings.MATERIAL_MAX_BYTES // (1024 * 1024)} MB，请压缩后再上传。"
            )
        return upload
