"""The forms of the lifecycle pages."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from registration.forms.fields import DATE_INPUT, BoundedDateField
from registration.models import Newborn
from registration.services.lifecycle import RECEIPT_MAX_LENGTH, VOID_REASON_MAX_LENGTH
from registration.validators import MAX_INPUT_LENGTH, HiddenCharactersFormMixin

CONFIRM_VALUE = "yes"


class PaymentForm(HiddenCharactersFormMixin, forms.Form):
    paid_on = BoundedDateField(
        label="到账日期",
        widget=DATE_INPUT,
        help_text="保费到账的日期（以缴费回单或税务部门的缴费记录为准），它决定待遇从哪天开始。",
    )
    years = forms.TypedMultipleChoiceField(
        label="缴费年度",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=(
            "可多选。最迟于缴费截止日（含当日）到账且含出生当年的，从出生之日起享受待遇；"
            "不含出生当年的，自所缴最早年度的1月1日起；截止日后到账的，另计3个月等待期。"
        ),
    )
    receipt_number = forms.CharField(label="缴费凭证号", required=False, max_length=RECEIPT_MAX_LENGTH)
    amount = forms.DecimalField(
        label="金额（元）", required=False, max_digits=10, decimal_places=2, min_value=Decimal("0.01")
    )

    def __init__(self, *args, newborn: Newborn, today, **kwargs):
        super().__init__(*args, **kwargs)
        first = newborn.birth_date.year
        self.fields["years"].choices = [
            (year, f"{year}年度") for year in range(first, max(today.year, first) + 2)
        ]


class VoidForm(HiddenCharactersFormMixin, forms.Form):
    reason = forms.CharField(
        label="作废原因",
        max_length=VOID_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="如：重复登记、家长要求改用出生医学证明编号登记。原因记入操作日志。",
    )
    confirm = forms.BooleanField(
        label="我已核实：作废后该记录不能再录入缴费、不能再打印登记卡；新生儿编码和个人编号不会再分配给其他孩子。",
        widget=forms.CheckboxInput(attrs={"value": CONFIRM_VALUE}),
        error_messages={"required": "请勾选确认后再作废。"},
    )

    def clean_confirm(self) -> bool:
        # Only the box itself confirms: its own value, not whatever non-empty text a request carries.
        if self.data.get("confirm") != CONFIRM_VALUE:
            raise ValidationError("请勾选确认后再作废。")
        return True


class FormalizeForm(HiddenCharactersFormMixin, forms.Form):
    real_name = forms.CharField(label="真实姓名", max_length=50, help_text="与新生儿户口簿上的姓名一致。")
    real_id_number = forms.CharField(
        label="身份证号码",
        max_length=MAX_INPUT_LENGTH,
        help_text="新生儿本人的18位居民身份证号码；其中的出生日期和性别须与登记一致。",
    )


class SpecialGroupForm(HiddenCharactersFormMixin, forms.Form):
    special_group = forms.ChoiceField(
        label="特殊人群类别",
        required=False,
        choices=[("", "无（取消标记）"), *Newborn.SpecialGroup.choices[1:]],
        help_text="享受政府代缴个人缴费补助的特殊人群：先按普通新生儿缴费，认定后由主管部门补助、二次报销。",
    )
    reason = forms.CharField(
        label="说明", required=False, max_length=200, help_text="如认定部门、证明编号（可不填）。"
    )
