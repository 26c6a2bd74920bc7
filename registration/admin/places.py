"""Divisions, insurance agencies and hospitals: the reference tables the administrator maintains.

Their names are printed on the registration card (参保地, 参保所属机构, the issuing hospital): each is
checked against the card's font, as the registration page checks the names it takes, so that no edit here
makes every card of a community, an agency or a hospital unprintable.
"""

from django import forms
from django.contrib import admin

from registration.admin.base import AuditedAdmin
from registration.models import Division, Hospital, InsuranceAgency
from registration.validators import card_text_validate


class CardNamesForm(forms.ModelForm):
    """A reference row whose `card_names` ({field: label}) the card prints."""

    card_names: dict[str, str] = {}

    def clean(self):
        data = super().clean()
        for name, label in self.card_names.items():
            if data.get(name):
                try:
                    data[name] = card_text_validate(data[name], label=label)
                except forms.ValidationError as error:
                    self.add_error(name, error)
        return data


class DivisionForm(CardNamesForm):
    card_names = {"name": "名称", "full_name": "全称"}


class InsuranceAgencyForm(CardNamesForm):
    card_names = {"name": "机构名称"}


class HospitalForm(CardNamesForm):
    card_names = {"name": "机构名称"}


@admin.register(Division)
class DivisionAdmin(AuditedAdmin):
    form = DivisionForm
    list_display = ("code", "name", "level", "parent")
    list_select_related = ("parent",)
    list_filter = ("level",)
    # "^code": a code prefix finds a county's townships and villages; the names find 城关社区 and friends.
    search_fields = ("^code", "name", "full_name")
    # 16,000+ rows: a select box of them would load every one.
    autocomplete_fields = ("parent",)


@admin.register(InsuranceAgency)
class InsuranceAgencyAdmin(AuditedAdmin):
    form = InsuranceAgencyForm
    list_display = ("code", "name", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    autocomplete_fields = ("divisions",)


@admin.register(Hospital)
class HospitalAdmin(AuditedAdmin):
    form = HospitalForm
    list_display = ("code", "name", "division", "has_maternity_ward", "is_active")
    list_select_related = ("division",)
    list_filter = ("has_maternity_ward", "is_active")
    search_fields = ("code", "name")
    autocomplete_fields = ("division",)
