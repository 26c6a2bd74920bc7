"""The forms of the 医保中心's quality page (docs/quality.md): the period and N, the decisions on a pair."""

from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError

from registration.forms.fields import BoundedDateField
from registration.forms.reports import DATE_INPUT
from registration.selectors.quality import SORTS

DEFAULT_DAYS = 90
DEFAULT_STALE_DAYS = 30
MAX_PERIOD_DAYS = 366


class QualityForm(forms.Form):
    """The period (registration days; the duplicates: birth days), N days for going stale, the sort."""

    date_from = BoundedDateField(
        label="登记日期从",
        required=False,
        widget=DATE_INPUT,
        error_messages={"invalid": "起始日期格式不正确。"},
    )
    date_to = BoundedDateField(
        label="至", required=False, widget=DATE_INPUT, error_messages={"invalid": "截止日期格式不正确。"}
    )
    days = forms.IntegerField(
        label="逾期天数",
        required=False,
        min_value=1,
        max_value=365,
        error_messages={
            "invalid": "逾期天数须为整数。",
            "min_value": "逾期天数至少为1天。",
            "max_value": "逾期天数最多为365天。",
        },
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[(key, key) for key in SORTS],
        error_messages={"invalid_choice": "排序列无效。"},
    )
    order = forms.ChoiceField(
        required=False,
        choices=[("asc", "asc"), ("desc", "desc")],
        error_messages={"invalid_choice": "排序方向无效。"},
    )

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        date_to = data.get("date_to") or self.today
        date_from = data.get("date_from") or date_to - timedelta(days=DEFAULT_DAYS - 1)
        if date_from > date_to:
            raise ValidationError("起始日期不能晚于截止日期。")
        if (date_to - date_from).days + 1 > MAX_PERIOD_DAYS:
            raise ValidationError(f"统计期间最长{MAX_PERIOD_DAYS}天，请缩短期间。")
        data["date_from"], data["date_to"] = date_from, date_to
        data["days"] = data.get("days") or DEFAULT_STALE_DAYS
        data["sort"] = data.get("sort") or "hospital"
        data["order"] = data.get("order") or "asc"
        return data


class DismissForm(forms.Form):
    reason = forms.CharField(
        label="判定为非重复登记的原因",
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        error_messages={
            "required": "请填写判定为非重复登记的原因（如：双胞胎分两次登记）。",
            "max_length": "原因不能超过200个字。",
        },
    )


class DuplicateVoidForm(forms.Form):
    """Which of the pair to void (the other is kept)."""

    void = forms.IntegerField(
        error_messages={"required": "请选择要作废的记录。", "invalid": "请选择要作废的记录。"}
    )
    confirm = forms.BooleanField(
        error_messages={"required": "请勾选确认：作废后该记录的编码保留为已签发，不再分配。"}
    )
