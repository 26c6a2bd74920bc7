"""The audit log and the number counters: written only by the application, never by hand."""

from django.contrib import admin

from registration.admin.base import ViewOnlyAdmin
from registration.models import AuditEntry, NumberSequence


@admin.register(AuditEntry)
class AuditEntryAdmin(ViewOnlyAdmin):
    list_display = ("at", "username", "hospital", "action", "object_repr", "ip", "reason")
    list_select_related = ("hospital",)
    list_filter = ("action", "hospital", "at")
    date_hierarchy = "at"
    # object_repr is stored masked; a baby's entries are found by its exact temporary ID or personal number.
    search_fields = ("username", "object_repr", "newborn__temp_id__exact", "newborn__personal_number__exact")


@admin.register(NumberSequence)
class NumberSequenceAdmin(ViewOnlyAdmin):
    # A counter set back by hand would issue a personal number twice.
    list_display = ("name", "last_value")
