"""The settlement desk's check (/verify/): the card's code (typed, or scanned from its QR), the birth date."""

from django import forms

from registration.forms.fields import DATE_INPUT, DATE_INPUT_FORMATS, BirthDateField, IdentityField


class VerifyForm(forms.Form):
    code = IdentityField(
        label="新生儿编码",
        max_length=40,
        required=True,
        help_text="登记卡上的新生儿编码或出生医学证明编号；也可用扫码枪扫描登记卡上的二维码。区分大小写。",
        error_messages={"required": "请输入或扫描登记卡上的新生儿编码。"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}),
    )
    birth_date = BirthDateField(label="出生日期", input_formats=DATE_INPUT_FORMATS, widget=DATE_INPUT)
