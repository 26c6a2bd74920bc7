"""The forms of the payments import pages."""

from django import forms

from registration.services.payment_files import (
    IMPORT_MAX_BYTES,
    IMPORT_MAX_ROWS,
)
from registration.validators import HiddenCharactersFormMixin


class PaymentImportForm(HiddenCharactersFormMixin, forms.Form):
    file = forms.FileField(
        label="缴费名单文件",
        allow_empty_file=True,  # an empty file gets our own message, with the others
        help_text=f"CSV（UTF-8 或 GBK 编码）或 XLSX 文件，不超过 {IMPORT_MAX_BYTES // (1024 * 1024)} MB、"
        f"{IMPORT_MAX_ROWS} 行。",
        error_messages={"required": "请选择要导入的缴费名单文件。"},
    )
