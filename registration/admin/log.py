"""The audit log and the number counters: written only by the application, never by hand."""

from django.contrib import admin

from registration.admin.base import ProvinceScaleAdmin, ViewOnlyAdmin
from registration.models import AuditEntry, Newborn, NumberSequence
from registration.selectors.search import names_containing


@admin.register(AuditEntry)
class AuditEntryAdmin(ProvinceScaleAdmin, ViewOnlyAdmin):
    list_display = ("at", "username", "hospital", "action", "object_repr", "ip", "reason")
    list_select_related = ("hospital",)
    list_filter = ("action", "hospital", "at")
    # Searched by the term's shape (ProvinceScaleAdmin): a baby's number, a username (ASCII), a baby's name.
    # object_repr is stored masked; a baby's entries are found by its exact temporary ID or personal number.
    search_fields = ("username", "object_repr")
    search_help_text = "用户名（完整）、新生儿姓名（部分），或新生儿编码、个人编号（完整号码）"

    def search_by_shape(self, queryset, shape, term):
        if shape == "temp_id":
            return queryset.filter(newborn__temp_id=term)
        if shape == "personal_number":
            return queryset.filter(newborn__personal_number=term)
        if shape == "birth_certificate":
            return queryset.filter(newborn__birth_certificate_number=term.upper())
        if term.isascii():  # a username
            return queryset.filter(username=term)
        return queryset.filter(
            newborn_id__in=names_containing(Newborn.objects.order_by(), ["name"], term).values("pk")
        )


@admin.register(NumberSequence)
class NumberSequenceAdmin(ViewOnlyAdmin):
    # A counter set back by hand would issue a personal number twice.
    list_display = ("name", "last_value")
