"""The forms of the operators pages."""

from django import forms

from registration.forms.fields import TextField
from registration.models import Operator
from registration.services.operators import ACCESS_REASON_MAX_LENGTH, OperatorInput
from registration.validators import HiddenCharactersFormMixin


class OperatorRequestForm(HiddenCharactersFormMixin, forms.Form):
    """A new operator (附件1's row) and the login the clerk will use."""

    real_name = forms.CharField(label="经办人姓名", max_length=200)
    id_number = forms.CharField(label="身份证号码", max_length=64)
    phone = forms.CharField(label="联系电话", max_length=64)
    username = forms.CharField(
        label="登录用户名", max_length=150, help_text="经办人登录本系统时使用，如拼音姓名加数字：liming01。"
    )
    remark = forms.CharField(label="备注", max_length=800, required=False)

    def operator_input(self) -> OperatorInput:
        data = self.cleaned_data
        return OperatorInput(
            data["username"], data["real_name"], data["id_number"], data["phone"], data["remark"]
        )


class OperatorFilterForm(HiddenCharactersFormMixin, forms.Form):
    hospital = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    access = forms.ChoiceField(required=False, choices=[("", "全部"), *Operator.Access.choices])


class OperatorWithdrawForm(HiddenCharactersFormMixin, forms.Form):
    """An administrator's withdrawal (撤销) or refusal (不予开通) of module access: the reason is required,
    the clerk's supervisor reads it on the operators page."""

    reason = TextField(
        label="原因",
        required=True,
        max_length=ACCESS_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="本院主管可在“经办人员”页看到此原因；同时记入操作日志。",
        error_messages={"required": "请填写原因。"},
    )
    next = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
