"""The forms of the audit pages."""

from django import forms
from django.core.exceptions import ValidationError

from registration.forms.fields import DATE_INPUT, BoundedDateField
from registration.models import AuditEntry, Hospital
from registration.validators import (
    MAX_INPUT_LENGTH,
    HiddenCharactersFormMixin,
    birth_certificate_number_validate,
    personal_number_validate,
    temp_id_validate,
)


class AuditFilterForm(HiddenCharactersFormMixin, forms.Form):
    """The log's filters; `newborn` (a record's id) comes from a record's own page."""

    date_from = BoundedDateField(label="日期从", required=False, widget=DATE_INPUT)
    date_to = BoundedDateField(label="至", required=False, widget=DATE_INPUT)
    action = forms.ChoiceField(
        label="操作", required=False, choices=[("", "全部"), *AuditEntry.Action.choices]
    )
    username = forms.CharField(
        label="用户",
        required=False,
        max_length=150,
        help_text="姓名或登录用户名（可填一部分）。",
    )
    hospital = forms.ModelChoiceField(
        label="医疗机构", required=False, queryset=Hospital.objects.order_by("code"), empty_label="全部"
    )
    record = forms.CharField(
        label="个人编号/新生儿编码/出生医学证明编号",
        required=False,
        max_length=MAX_INPUT_LENGTH,
        help_text="完整号码，区分大小写。",
    )
    newborn = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    # Every view of a record's page is logged (VIEW_ID): most of a day's entries, seldom what is looked for.
    hide_view_id = forms.BooleanField(label="隐藏“查看完整证件号码”记录", required=False)

    def __init__(self, *args, administrator: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not administrator:  # a supervisor's entries are all their own hospital's
            del self.fields["hospital"]

    def clean_username(self) -> str:
        value = self.cleaned_data["username"].strip()
        if any(not char.isprintable() for char in value):
            raise ValidationError("用户名包含无效字符。")
        return value

    def clean_record(self) -> dict:
        value = "".join(self.cleaned_data["record"].split())
        if not value:
            return {}
        if value.isascii() and value.isdigit() and len(value) == 10:
            return {"personal_number": personal_number_validate(value)}
        if len(value) >= 18:
            return {"identity_number": temp_id_validate(value)}
        return {"identity_number": birth_certificate_number_validate(value)}

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise ValidationError("起始日期不能晚于截止日期。")
        return data


class LookupAlertForm(forms.Form):
    """The days and hospital of /audit/lookups/ (plain filters: bookmarkable, no person in them)."""

    date_from = BoundedDateField(label="日期从", required=False, widget=DATE_INPUT)
    date_to = BoundedDateField(label="至", required=False, widget=DATE_INPUT)
    hospital = forms.ModelChoiceField(
        label="医疗机构", required=False, queryset=Hospital.objects.order_by("code"), empty_label="全部"
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("开始日期不能晚于结束日期。")
        return data
