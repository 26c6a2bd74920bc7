"""The forms of the advisor pages."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from registration.forms.fields import DATE_INPUT_FORMATS, BoundedDateField, IdentityField, TextField
from registration.services.newborns import MAX_BABIES_PER_BIRTH as MAX_BABIES


class AdviceForm(forms.Form):
    mother_id_number = IdentityField(max_length=40)
    father_id_number = IdentityField(max_length=40)
    parent_role = forms.ChoiceField(choices=[("mother", "mother"), ("father", "father")])
    nationality = TextField(max_length=3)
    household_type = TextField(max_length=2)
    community = TextField(max_length=20)
    community_text = TextField(max_length=120)
    birth_hospital_name = TextField(max_length=100)
    birth_dates = TextField(max_length=20 * MAX_BABIES)

    def clean_birth_dates(self) -> tuple[date, ...]:
        dates = []
        for part in self.cleaned_data["birth_dates"].split(",")[:MAX_BABIES]:
            try:
                dates.append(BoundedDateField(input_formats=DATE_INPUT_FORMATS).clean(part.strip()))
            except ValidationError:
                continue  # a date still being typed: the page's own validation speaks for it
        return tuple(dates)
