"""The registration page's live preview (POST /register/preview): what it is sent, parsed."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from registration import validators
from registration.forms.fields import IdentityField, TextField
from registration.models import Birth
from registration.reference import Sex
from registration.services.registration_check import MAX_BABIES_PER_BIRTH


class PreviewForm(forms.Form):
    """The live preview's POST: the parent's ID when the letters are wanted, the parent's name for the
    babies' names (newborn_name, computed by the server only), the babies' sexes and birth dates in birth
    order."""

    parent_id = IdentityField(max_length=40)
    parent_name = TextField(max_length=50)
    role = forms.ChoiceField(choices=[("", ""), *Birth.ParentRole.choices], required=False)
    sexes = forms.CharField(required=False, max_length=40)
    births = forms.CharField(required=False, max_length=200)

    def clean_births(self) -> list[date | None]:
        # A date not (yet) complete is no date: the clerk is still typing it.
        births = []
        for part in self.cleaned_data["births"].split(",")[:MAX_BABIES_PER_BIRTH]:
            try:
                births.append(validators.date_bounds_validate(date.fromisoformat(part.strip())))
            except (ValueError, ValidationError):  # out of bounds: the form's own check speaks for it
                births.append(None)
        return births

    def clean_sexes(self) -> list[Sex | None]:
        sexes = []
        for part in self.cleaned_data["sexes"].split(","):
            part = part.strip()
            if part not in ("", "1", "2"):
                raise ValidationError("性别参数无效。", code="sexes")
            sexes.append(Sex(int(part)) if part else None)
        if len(sexes) > MAX_BABIES_PER_BIRTH:
            raise ValidationError(f"一次登记最多{MAX_BABIES_PER_BIRTH}名婴儿。", code="sexes")
        return sexes

    def clean(self):
        data = super().clean()
        named = data.get("parent_name") and any(data.get("sexes") or ())
        if (
            not data.get("parent_id")
            and not named
            and not any(data.get("births") or ())
            and "parent_id" not in self.errors
        ):
            self.add_error("parent_id", "请填写身份证号码。")
        if data.get("parent_id"):
            try:
                if data.get("role"):
                    data["parent_id"] = validators.parent_id_validate(data["parent_id"], role=data["role"])
                else:
                    data["parent_id"] = validators.resident_id_validate(data["parent_id"])
            except ValidationError as exc:
                self.add_error("parent_id", exc.messages[0])
        return data
