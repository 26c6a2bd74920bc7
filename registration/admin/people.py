"""Operators (附件1: who may use the module) and parents (the holders of the ID numbers letters hang on)."""

from django import forms
from django.contrib import admin

from registration.admin.base import AuditedAdmin
from registration.http import client_ip
from registration.masking import mask_id_number, mask_phone
from registration.models import Operator, Parent
from registration.services.operators import ACCESS_REASON_MAX_LENGTH, operator_access_set
from registration.validators import card_text_validate, name_validate, phone_validate, resident_id_validate


class MaskedIdentityColumns:
    """Columns for rows with an `id_number` and a `phone`, masked (docs/rules.md: lists never show them)."""

    @admin.display(description="身份证号码", ordering="id_number")
    def masked_id_number(self, obj):
        return mask_id_number(obj.id_number)

    @admin.display(description="联系电话")
    def masked_phone(self, obj):
        return mask_phone(obj.phone)


class OperatorForm(forms.ModelForm):
    # The supervisor's request page checks the same (services/operators.py): a name is a name, never an ID
    # or phone number typed into it, which would then show as 经办人 on every record.
    access_change_reason = forms.CharField(
        label="权限变更原因",
        required=False,
        max_length=ACCESS_REASON_MAX_LENGTH,
        help_text="撤销模块权限时必填：本院主管在“经办人员”页可以看到；同时记入操作日志。",
    )

    def clean_real_name(self):
        return name_validate(self.cleaned_data["real_name"], label="经办人姓名", max_length=50)

    def clean_id_number(self):
        return resident_id_validate(self.cleaned_data["id_number"])

    def clean_phone(self):
        return phone_validate(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        hospital, id_number = data.get("hospital"), data.get("id_number")
        if hospital is not None and id_number:
            same = Operator.objects.filter(hospital=hospital, id_number=id_number)
            if same.exclude(pk=self.instance.pk).exists():
                self.add_error("id_number", "该身份证号码的经办人员已在该医疗机构登记。")
        withdrawn = data.get("access") == Operator.Access.WITHDRAWN and "access" in self.changed_data
        if withdrawn and not " ".join(data.get("access_change_reason", "").split()):
            self.add_error("access_change_reason", "撤销模块权限必须填写原因。")
        return data


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
        "access_change_reason",
        "access_changed_at",
        "access_reason",
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

    # Access changes go through the service, which stamps the time, keeps the reason and writes the ACCESS
    # entry, as the operators page's decisions do.
    service_fields = ("access",)

    def get_queryset(self, request):
        # People only, as on the operators page (access.operators_in): an API client's service account is
        # managed, and revoked, with its client (接口客户端).
        return super().get_queryset(request).filter(user__api_client__isnull=True)

    def get_readonly_fields(self, request, obj=None):
        # The account an operator row belongs to is chosen once; a different person gets a new row.
        written_by_the_service = ("access_changed_at", "access_reason")
        return ("user", *written_by_the_service) if obj is not None else written_by_the_service

    def save_through_services(self, request, obj, form, wanted):
        operator_access_set(
            operator=obj,
            access=wanted["access"],
            user=request.user,
            ip=client_ip(request),
            reason=form.cleaned_data.get("access_change_reason", ""),
        )
        obj.refresh_from_db()

    def audit_context(self, obj) -> dict:
        return {"hospital": obj.hospital}


class ParentForm(forms.ModelForm):
    # A parent's name is what the card prints for them (forms/register.py checks the same).
    def clean_name(self):
        name = name_validate(self.cleaned_data["name"], label="姓名", max_length=50)
        return card_text_validate(name, label="姓名")

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
