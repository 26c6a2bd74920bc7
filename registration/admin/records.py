"""Births, newborns, the register of issued numbers, materials and payments.

Identity and lifecycle fields are read-only here: they change only through the services (registration,
payment, formal enrollment, void) that lock the rows and write the audit entry; each page says so. What stays
editable is checked as the application's pages check it (the card's characters, phones, the amount), and
the special group is saved through its service (newborn_special_group_set), as on the record's page.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join

from registration.admin.base import AuditedAdmin, ProvinceScaleAdmin, ViewOnlyInline
from registration.http import client_ip
from registration.masking import mask_id_number
from registration.models import Birth, IssuedTemporaryId, Material, Newborn, Parent, Payment
from registration.reference import NATIONALITY_CHOICES
from registration.selectors.search import names_containing, newborn_ids_of_resident_id
from registration.services.birth_materials import birth_materials_pending_refresh
from registration.services.lifecycle import newborn_special_group_set, special_group_refusal
from registration.validators import card_text_validate, phone_validate, temp_id_validate

READ_ONLY_IDENTITY = (
    "登记医院、经办人、证件类型、父母姓名和证件号码决定新生儿编码和姓名，只能由登记办理，不能在后台修改。"
)
READ_ONLY_LIFECYCLE = (
    "状态、缴费、作废和正式参保只能在登记记录页办理（下方链接）：那里按规则检查、锁定记录并记入操作日志。"
)


def fields_except(fieldsets, *, editable: tuple[str, ...]) -> tuple[str, ...]:
    """Every field of the fieldsets but the editable ones: what the change page shows read-only."""
    return tuple(field for _, options in fieldsets for field in options["fields"] if field not in editable)


def _newborns_by_number(shape: str, term: str):
    """The newborns with the number of that shape (one unique index), or None for a shape that is no
    number of theirs. Temporary IDs are compared as typed: …1234X and …1234x are two babies."""
    if shape == "temp_id":
        return Newborn.objects.filter(temp_id=term).order_by()
    if shape == "birth_certificate":
        return Newborn.objects.filter(birth_certificate_number=term.upper()).order_by()
    if shape == "personal_number":
        return Newborn.objects.filter(personal_number=term).order_by()
    return None


class NewbornHospitalFilter(admin.RelatedFieldListFilter):
    """The newborns' hospital filter: on the newborn's own column, restated on its birth (always equal, the
    composite key of migration 0018). PostgreSQL then knows the birth's hospital too and walks the births'
    (hospital, registered_at) index in the list's order (access.NEWBORN_HOSPITAL_FIELDS)."""

    def queryset(self, request, queryset):
        queryset = super().queryset(request, queryset)
        if self.lookup_val is None:
            return queryset
        return queryset.filter(birth__hospital_id=F("hospital_id"))


class NewbornInline(ViewOnlyInline):
    model = Newborn
    fields = ("birth_order", "name", "sex", "masked_identity", "personal_number", "state", "last_day")
    readonly_fields = fields

    # Masked even on the birth's page: the full number is shown, and its view logged, on the baby's own page.
    @admin.display(description="新生儿编码")
    def masked_identity(self, obj):
        return mask_id_number(obj.identity_number)


class MaterialInline(ViewOnlyInline):
    model = Material
    # Never the file itself: scans are private, served only by the application's authorised view.
    fields = ("kind", "original_name", "content_type", "size", "uploaded_at")
    readonly_fields = fields


class BirthForm(forms.ModelForm):
    # The registration page's checks of what stays editable here (forms/register.py).
    def clean_birth_hospital_name(self):
        return card_text_validate(self.cleaned_data["birth_hospital_name"], label="出生医院")

    def clean_mother_phone(self):
        phone = self.cleaned_data["mother_phone"]
        return phone_validate(phone, label="母亲联系电话") if phone else ""

    def clean_father_phone(self):
        phone = self.cleaned_data["father_phone"]
        return phone_validate(phone, label="父亲联系电话") if phone else ""


@admin.register(Birth)
class BirthAdmin(ProvinceScaleAdmin, AuditedAdmin):
    form = BirthForm
    shows_full_ids = True
    inlines = (NewbornInline, MaterialInline)
    fieldsets = (
        (
            "登记",
            {
                "fields": ("hospital", "clerk", "registered_at", "registered_on", "route"),
                "description": READ_ONLY_IDENTITY,
            },
        ),
        ("父母", {"fields": ("parent", "parent_role", "mother_name", "mother_id_number", "mother_phone")}),
        (None, {"fields": ("father_name", "father_id_number", "father_phone")}),
        ("参保地", {"fields": ("community", "agency", "parent_agency", "agency_warning_confirmed")}),
        ("出生医院", {"fields": ("birth_hospital", "birth_hospital_name")}),
    )
    readonly_fields = fields_except(
        fieldsets, editable=("mother_phone", "father_phone", "birth_hospital", "birth_hospital_name")
    )
    autocomplete_fields = ("birth_hospital",)
    list_display = (
        "registered_on",
        "hospital",
        "parent",
        "masked_parent_id_number",
        "parent_role",
        "route",
        "community",
        "clerk",
    )
    list_select_related = ("hospital", "parent", "community", "clerk")
    list_filter = ("route", "parent_role", "hospital")
    # Searched by the term's shape (ProvinceScaleAdmin): a parent's ID number, a baby's number, a name.
    search_fields = ("mother_name", "father_name")
    search_help_text = (
        "父母姓名（部分）、父母身份证号码，或新生儿编码、出生医学证明编号、个人编号（完整号码）"
    )

    def search_by_shape(self, queryset, shape, term):
        if shape == "resident_id":
            term = term.upper()
            return queryset.filter(Q(mother_id_number=term) | Q(father_id_number=term))
        babies = _newborns_by_number(shape, term)
        if babies is not None:
            return queryset.filter(pk__in=babies.values("birth_id"))
        return names_containing(queryset, ["mother_name", "father_name"], term)

    @admin.display(description="证件所属父母身份证号码", ordering="parent__id_number")
    def masked_parent_id_number(self, obj):
        return mask_id_number(obj.parent.id_number)

    def has_add_permission(self, request):
        return False

    def audit_context(self, obj) -> dict:
        return {"hospital": obj.hospital}


@admin.display(description="缴费年度")
def payment_years(obj) -> str:
    return obj.years_words


class PaymentInline(ViewOnlyInline):
    model = Payment
    fields = ("paid_on", payment_years, "amount", "receipt_number", "source", "recorded_by", "recorded_at")
    readonly_fields = fields


class NewbornForm(forms.ModelForm):
    nationality = forms.ChoiceField(label="国籍", choices=NATIONALITY_CHOICES)
    special_group_reason = forms.CharField(
        label="特殊人群变更说明",
        required=False,
        max_length=200,
        help_text="可选，如认定文件的名称和文号；与特殊人群的变更一起记入操作日志。",
    )

    def clean_phone(self):
        return phone_validate(self.cleaned_data["phone"])

    def clean_special_group(self):
        # The record page's rule (services/lifecycle.py); newborn_special_group_set checks it again under the
        # record's lock when the admin saves through it.
        special_group = self.cleaned_data["special_group"]
        if special_group != self.instance.special_group and (refusal := special_group_refusal(self.instance)):
            raise ValidationError(refusal)
        return special_group


@admin.register(Newborn)
class NewbornAdmin(ProvinceScaleAdmin, AuditedAdmin):
    form = NewbornForm
    shows_full_ids = True
    inlines = (PaymentInline,)
    fieldsets = (
        (
            "身份",
            {
                "fields": (
                    "birth",
                    "birth_order",
                    "name",
                    "sex",
                    "birth_date",
                    "temp_id",
                    "birth_certificate_number",
                    "personal_number",
                )
            },
        ),
        (
            "户籍与联系",
            {"fields": ("ethnicity", "nationality", "household_address", "household_type", "phone")},
        ),
        ("特殊人群", {"fields": ("special_group", "special_group_reason")}),
        (
            "状态",
            {
                "description": READ_ONLY_LIFECYCLE,
                "fields": (
                    "lifecycle_pages",
                    "state",
                    "state_changed_at",
                    "last_day",
                    "benefit_start",
                    "benefit_rule",
                    "voided_at",
                    "void_reason",
                    "formalized_at",
                    "real_name",
                    "real_id_number",
                    "created_at",
                ),
            },
        ),
    )
    readonly_fields = fields_except(
        fieldsets,
        editable=(
            "ethnicity",
            "nationality",
            "household_address",
            "household_type",
            "phone",
            "special_group",
            "special_group_reason",
        ),
    )
    list_display = (
        "name",
        "masked_identity",
        "personal_number",
        "sex",
        "birth_date",
        "state",
        "last_day",
        "hospital_name",
        "masked_real_id_number",
    )
    list_select_related = ("hospital",)
    list_filter = ("state", "sex", "special_group", ("hospital", NewbornHospitalFilter))
    # The records list's order, which the births' (registered_at, id) index serves (migration 0014).
    ordering = ("-birth__registered_at", "-birth_id", "birth_order")
    # Searched by the term's shape (ProvinceScaleAdmin). Numbers exact, never icontains: …1234X and …1234x
    # are two different babies (docs/rules.md, the letter).
    search_fields = ("name", "real_name")
    search_help_text = (
        "姓名（部分），或新生儿编码、出生医学证明编号、个人编号、父母或本人身份证号码（完整号码）"
    )

    def search_by_shape(self, queryset, shape, term):
        if shape == "resident_id":
            return queryset.filter(pk__in=newborn_ids_of_resident_id(term.upper()))
        babies = _newborns_by_number(shape, term)
        if babies is not None:
            return queryset.filter(pk__in=babies.values("pk"))
        return names_containing(queryset, ["name", "real_name"], term)

    @admin.display(description="新生儿编码", ordering="temp_id")
    def masked_identity(self, obj):
        return mask_id_number(obj.identity_number)

    @admin.display(description="身份证号码")
    def masked_real_id_number(self, obj):
        return mask_id_number(obj.real_id_number)

    @admin.display(description="登记医院", ordering="hospital__name")
    def hospital_name(self, obj):
        return obj.hospital.name

    @admin.display(description="办理")
    def lifecycle_pages(self, obj):
        links = [("newborn_detail", "登记记录页"), ("newborn_payment", "录入缴费"), ("newborn_void", "作废")]
        links.append(("newborn_formalize", "正式参保"))
        return format_html_join(
            "　", '<a href="{}">{}</a>', ((reverse(name, args=[obj.pk]), label) for name, label in links)
        )

    service_fields = ("special_group",)

    def save_through_services(self, request, obj, form, wanted):
        newborn_special_group_set(
            newborn=obj,
            user=request.user,
            special_group=wanted["special_group"],
            reason=form.cleaned_data.get("special_group_reason", ""),
            ip=client_ip(request),
        )
        obj.refresh_from_db(fields=["special_group"])

    def has_add_permission(self, request):
        return False

    def audit_context(self, obj) -> dict:
        return {"hospital": obj.hospital}


class IssuedTemporaryIdForm(forms.ModelForm):
    """A number issued outside this system: its parent and its letter are read from the number itself."""

    def clean_number(self):
        number = temp_id_validate(self.cleaned_data["number"])
        parent = Parent.objects.filter(id_number=number[:18]).first()
        if parent is None:
            raise ValidationError("系统中没有身份证号码为该编码前18位的父母，请先在「父母」中添加。")
        self.instance.parent, self.instance.suffix = parent, number[-1]
        return number


@admin.register(IssuedTemporaryId)
class IssuedTemporaryIdAdmin(AuditedAdmin):
    form = IssuedTemporaryIdForm
    shows_full_ids = True
    list_display = ("masked_number", "parent", "suffix", "newborn", "issued_at", "note")
    list_select_related = ("parent", "newborn")
    list_filter = (("newborn", admin.EmptyFieldListFilter),)
    # No date_hierarchy: it reads the date of each of millions of numbers (issue 15).
    show_full_result_count = False
    search_fields = ("number__exact", "parent__id_number__exact", "parent__name")

    @admin.display(description="新生儿编码", ordering="number")
    def masked_number(self, obj):
        return mask_id_number(obj.number)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("number", "issued_at", "note")
        return ("number", "parent", "suffix", "newborn", "issued_at", "note")

    def get_readonly_fields(self, request, obj=None):
        # Only the note may change: a number once issued stays issued, to the same parent and baby.
        return () if obj is None else ("number", "parent", "suffix", "newborn", "issued_at")

    def get_changeform_initial_data(self, request):
        return {"issued_at": timezone.now(), **super().get_changeform_initial_data(request)}

    def audit_context(self, obj) -> dict:
        # The register's own description is the full number, and the log never holds one: name the parent
        # and the baby instead (the row itself is in the detail of an ADMIN entry).
        return {"obj": obj.parent, "newborn": obj.newborn}


@admin.register(Material)
class MaterialAdmin(AuditedAdmin):
    # Never the file itself: scans are private, served only by the application's authorised view.
    fields = (
        "birth",
        "kind",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    )
    readonly_fields = tuple(field for field in fields if field != "kind")
    list_display = ("original_name", "kind", "content_type", "size", "birth", "uploaded_by", "uploaded_at")
    list_select_related = ("birth__hospital", "birth__parent", "uploaded_by")
    list_filter = ("kind", "content_type")
    # No date_hierarchy: it reads the date of each of millions of scans (issue 15).
    show_full_result_count = False
    search_fields = ("original_name", "sha256__exact", "birth__parent__id_number__exact")

    def has_add_permission(self, request):
        return False

    def audit_context(self, obj) -> dict:
        return {"hospital": obj.birth.hospital}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A scan's kind changed: whether its registration still lacks one (the quality page's count).
        birth_materials_pending_refresh(obj.birth)


class PaymentForm(forms.ModelForm):
    # The payment page's amount (forms/lifecycle.py): more than 0, two decimals at most. The model refuses
    # a negative amount too (its validator and registration_payment_amount_not_negative).
    amount = forms.DecimalField(
        label="金额（元）",
        required=False,
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"min_value": "缴费金额须大于0元；不知道金额时请留空。"},
    )


@admin.register(Payment)
class PaymentAdmin(ProvinceScaleAdmin, AuditedAdmin):
    form = PaymentForm
    # The payment date and years decide the benefit start; a payment is recorded through the payment service
    # (the record's page, or a payment list), which locks the record and recomputes the benefit start.
    fieldsets = (
        (
            None,
            {
                "description": "到账日期和缴费年度决定待遇享受起始日，不能在后台修改；"
                "缴费请在登记记录页录入或通过缴费名单导入。这里只能更正金额，更正前后的金额记入操作日志。",
                "fields": (
                    "newborn",
                    "paid_on",
                    payment_years,
                    "amount",
                    "receipt_number",
                    "source",
                    "recorded_by",
                    "recorded_at",
                ),
            },
        ),
    )
    readonly_fields = fields_except(fieldsets, editable=("amount",))
    list_display = (
        "paid_on",
        "newborn",
        "masked_identity",
        payment_years,
        "amount",
        "receipt_number",
        "source",
        "recorded_by",
        "recorded_at",
    )
    list_select_related = ("newborn", "recorded_by")
    list_filter = ("source", "newborn__hospital")
    # Newest first, through the payments' primary key.
    ordering = ("-pk",)
    # Searched by the term's shape (ProvinceScaleAdmin): a baby's number, a receipt number (ASCII), a name.
    search_fields = ("newborn__name", "receipt_number")
    search_help_text = "新生儿姓名（部分），或完整的新生儿编号、缴费凭证号"

    def search_by_shape(self, queryset, shape, term):
        babies = _newborns_by_number(shape, term)
        if babies is not None:
            return queryset.filter(newborn_id__in=babies.values("pk"))
        if shape == "resident_id":
            return queryset.filter(newborn_id__in=newborn_ids_of_resident_id(term.upper()))
        if term.isascii():  # a receipt number
            return queryset.filter(receipt_number=term)
        return queryset.filter(
            newborn_id__in=names_containing(Newborn.objects.order_by(), ["name"], term).values("pk")
        )

    @admin.display(description="新生儿编码")
    def masked_identity(self, obj):
        return mask_id_number(obj.newborn.identity_number)

    def has_add_permission(self, request):
        return False

    def audit_context(self, obj) -> dict:
        return {"hospital": obj.newborn.hospital, "newborn": obj.newborn}
