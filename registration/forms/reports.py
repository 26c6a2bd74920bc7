"""The forms of the reports pages."""

from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError

from registration.forms.fields import BoundedDateField
from registration.selectors.reports import MAX_DAYS
from registration.validators import HiddenCharactersFormMixin

DEFAULT_DAYS = 30
DATE_INPUT = forms.DateInput(
    attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d"
)


class ReportForm(HiddenCharactersFormMixin, forms.Form):
    """The report's period, its granularity and (administrators) the hospital."""

    date_from = BoundedDateField(
        label="登记日期从",
        required=False,
        widget=DATE_INPUT,
        error_messages={"invalid": "起始日期格式不正确。"},
    )
    date_to = BoundedDateField(
        label="至", required=False, widget=DATE_INPUT, error_messages={"invalid": "截止日期格式不正确。"}
    )
    granularity = forms.ChoiceField(
        label="按",
        required=False,
        choices=[("day", "日"), ("week", "周")],
        error_messages={"invalid_choice": "统计粒度只能是“日”或“周”。"},
    )
    hospital = forms.CharField(label="医疗机构", required=False, max_length=12)

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_hospital(self) -> int | None:
        value = self.cleaned_data["hospital"].strip()
        if not value:
            return None
        if not value.isascii() or not value.isdigit():
            raise ValidationError("医疗机构参数无效。")
        return int(value)

    def clean(self):
        data = super().clean()
        data["granularity"] = data.get("granularity") or "day"
        date_to = data.get("date_to") or self.today
        date_from = data.get("date_from") or date_to - timedelta(days=DEFAULT_DAYS - 1)
        if date_from > date_to:
            raise ValidationError("起始日期不能晚于截止日期。")
        limit = MAX_DAYS[data["granularity"]]
        if (date_to - date_from).days + 1 > limit:
            unit = "按日统计" if data["granularity"] == "day" else "按周统计"
            raise ValidationError(f"{unit}时，统计期间最长{limit}天，请缩短期间或改为按周统计。")
        data["date_from"], data["date_to"] = date_from, date_to
        return data
