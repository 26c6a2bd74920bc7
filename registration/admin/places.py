"""Divisions, insurance agencies and hospitals: the reference tables the administrator maintains."""

from django.contrib import admin

from registration.admin.base import AuditedAdmin
from registration.models import Division, Hospital, InsuranceAgency


@admin.register(Division)
class DivisionAdmin(AuditedAdmin):
    list_display = ("code", "name", "level", "parent")
    list_select_related = ("parent",)
    list_filter = ("level",)
    # "^code": a code prefix finds a county's townships and villages; the names find 城关社区 and friends.
    search_fields = ("^code", "name", "full_name")
    # 16,000+ rows: a select box of them would load every one.
    autocomplete_fields = ("parent",)


@admin.register(InsuranceAgency)
class InsuranceAgencyAdmin(AuditedAdmin):
    list_display = ("code", "name", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    autocomplete_fields = ("divisions",)


@admin.register(Hospital)
class HospitalAdmin(AuditedAdmin):
    list_display = ("code", "name", "division", "has_maternity_ward", "is_active")
    list_select_related = ("division",)
    list_filter = ("has_maternity_ward", "is_active")
    search_fields = ("code", "name")
    autocomplete_fields = ("division",)
