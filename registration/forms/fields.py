"""Form fields shared by the app's forms: text without invisible characters, identity numbers, dates."""

import copy
import unicodedata

from django import forms
from django.core.exceptions import ValidationError

from registration import validators
from registration.models import Material
from registration.reference import (
    ETHNICITY_CHOICES,
    GUANGXI_COMMON_ETHNICITIES,
)

# Scans and photos: what services.materials.material_clean accepts, and a phone's or tablet's back camera.
MATERIAL_ACCEPT = "image/jpeg,image/png,application/pdf"
MATERIAL_KINDS = [kind for kind, _ in Material.Kind.choices]
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"]


def _ethnicity_choices():
    # Guangxi's common groups first (汉族, 壮族, 瑶族 …), then the rest in GB/T 3304 order.
    names = dict(ETHNICITY_CHOICES)
    common = [(code, names[code]) for code in GUANGXI_COMMON_ETHNICITIES]
    others = [(code, name) for code, name in ETHNICITY_CHOICES if code not in GUANGXI_COMMON_ETHNICITIES]
    return [("", "请选择民族"), ("广西常见民族", common), ("其他民族", others)]


class ReferenceSelect(forms.Select):
    """A Select whose copies share its choices: Django's copy normalises them again for every form."""

    def __deepcopy__(self, memo):
        result = copy.copy(self)
        result.attrs = self.attrs.copy()
        memo[id(self)] = result
        return result


class ReferenceChoiceField(forms.ChoiceField):
    """A choice among reference data (民族, 国籍, 户口性质): the choices are fixed for the process, so every
    form's copy of the field (and of its widget) shares them, and a value is checked against a set, not
    the list walked."""

    widget = ReferenceSelect

    def __init__(self, *, choices, **kwargs):
        super().__init__(choices=choices, **kwargs)
        values = set()
        for value, label in self.choices:
            if isinstance(label, list | tuple):  # a group: (group name, [(value, label), …])
                values.update(str(inner) for inner, _ in label)
            else:
                values.add(str(value))
        self._values = frozenset(values)

    def __deepcopy__(self, memo):
        result = super(forms.ChoiceField, self).__deepcopy__(memo)  # Field's copy, without the choices'
        result._choices = self._choices
        return result

    def valid_value(self, value) -> bool:
        return str(value) in self._values


class TextField(forms.CharField):
    """A line of text: NFC-normalised, inner whitespace collapsed, no invisible or control characters."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if self.max_length is not None and len(value) > self.max_length * 4:
            # Refused before any further work is spent on it.
            raise ValidationError(self._too_long(len(value)), code="max_length")
        value = unicodedata.normalize("NFC", " ".join(value.split()))
        validators.hidden_characters_validate(value)
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(self._too_long(len(value)), code="max_length")
        return value

    def _too_long(self, length: int) -> str:
        return f"最多可填写{self.max_length}个字符，当前为{length}个。"


class IdentityField(TextField):
    """An identity number or phone as typed (full-width digits welcome); the validators do the rest."""

    def to_python(self, value):
        value = super().to_python(value)
        # NFKC: the full-width digits and letters of a Chinese input method become ASCII.
        return "".join(unicodedata.normalize("NFKC", value).split())


class BoundedDateField(forms.DateField):
    """A date within validators.DATE_MIN and DATE_MAX, refused outside with a Chinese message: every date
    input of the app is one (a far date such as 9999-12-31 would overflow a report's or a filter's
    arithmetic). A date picker gets the bounds as its min and max."""

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if getattr(widget, "input_type", None) == "date":
            attrs.setdefault("min", validators.DATE_MIN.isoformat())
            attrs.setdefault("max", validators.DATE_MAX.isoformat())
        return attrs

    def validate(self, value):
        super().validate(value)
        if value is not None:
            validators.date_bounds_validate(value)


class BirthDateField(BoundedDateField):
    """A birth date from the date picker (2026-03-02), or typed as 2026/3/2, 20260302 or 2026年3月2日."""

    default_error_messages = {
        "invalid": "出生日期格式不正确，请按“年-月-日”填写，如 2026-03-02。",
        "required": "请填写出生日期。",
    }

    def to_python(self, value):
        if isinstance(value, str) and len(value.strip()) > 20:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).strip()
        return super().to_python(value)
