"""Operators (附件1: who may use the module) and parents (the holders of the ID numbers letters hang on)."""

from django import forms
from django.contrib import admin

from registration.admin.base import AuditedAdmin
from registration.http import client_ip
from registration.masking import mask_id_number, mask_phone
from registration.models import Operator, Parent
from registration.services.operators import operator_access_set
from registration.validators import phone_validate, resident_id_validate


class MaskedIdentityColumns:
    """Columns for rows with an `id_number` and a `phone`, masked (docs/rules.md: lists never show them)."""

    @admin.display(description="身份证号码", ordering="id_number")
    def masked_id_number(self, obj):
        return mask_id_number(obj.id_number)

    @admin.display(description="联系电话")
    def masked_phone(self, obj):
        return mask_phone(obj.phone)


class OperatorForm(forms.ModelForm):
    def clean_id_number(self):
        return resident_id_validate(self.cleaned_data["id_number"])

    def clean_phone(self):
        return phone_validate(self.cleaned_data["phone"])


@admin.register(Operator)
class OperatorAdmin(MaskedIdentityColumns, AuditedAdmin):
    form = OperatorForm
    shows_full_ids = True
    fields = (
        "user",
        "hospital",
        "role",
        "real_name",
        "id_number",
        "phone",
        "access",
        "access_changed_at",
        "remark",
    )
    list_display = (
        "real_name",
        "hospital",
        "role",
        "masked_id_number",
        "masked_phone",
        "access",
        "access_changed_at",
        "user",
    )
    list_select_related = ("hospital", "user")
    list_filter = ("hospital", "role", "access")
    search_fields = ("real_name", "user__username", "hospital__name", "id_number__exact", "phone__exact")
    autocomplete_fields = ("user", "hospital")

    def get_readonly_fields(self, request, obj=None):
        # The account an operator row belongs to is chosen once; a different person gets a new row.
        return ("user", "access_changed_at") if obj is not None else ("access_changed_at",)

    def save_model(self, request, obj, form, change):
        # Access changes go through the service, which stamps the time and writes the ACCESS entry.
        access = obj.access
        if "access" in form.changed_data:
            obj.access = form.initial.get("access", Operator.Access.NONE)
        super().save_model(request, obj, form, change)
        if access != obj.access:
            operator_access_set(operator=obj, access=access, user=request.user, ip=client_ip(request))
            obj.refresh_from_db()

    def audit_context(self, obj) -> dict:
        return {"hospital": obj.hospital}


class ParentForm(forms.ModelForm):
    def clean_id_number(self):
        return resident_id_validate(self.cleaned_data["id_number"])

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        return phone_validate(phone) if phone else ""


@admin.register(Parent)
class ParentAdmin(MaskedIdentityColumns, AuditedAdmin):
    form = ParentForm
    shows_full_ids = True
    fields = ("id_number", "name", "phone", "created_at")
    list_display = ("name", "masked_id_number", "masked_phone", "created_at")
    # No date_hierarchy and no full count: millions of parents at a province's size (issue 15).
    show_full_result_count = False
    search_fields = ("name", "id_number__exact", "phone__exact")

    def get_readonly_fields(self, request, obj=None):
        # The issued letters hang on the number: changing it would detach them from their parent.
        return ("id_number", "created_at") if obj is not None else ("created_at",)
