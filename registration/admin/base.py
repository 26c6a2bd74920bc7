"""What every admin page of the domain shares: nothing is deleted; saves and full-ID views are logged."""

from django.contrib import admin

from registration.http import client_ip
from registration.models import AuditEntry
from registration.services.audit import audit_record


class AuditedAdmin(admin.ModelAdmin):
    """Nothing is ever deleted (docs/rules.md, lifecycle); saves and views of full ID numbers are logged."""

    # The change page shows full ID numbers: each rendering is audit-logged (docs/rules.md, Who uses it).
    shows_full_ids = False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Field names only: the values may be ID numbers, and the log never holds a full one.
        detail = {"model": obj._meta.label_lower, "pk": obj.pk, "added": not change}
        self._audit(request, AuditEntry.Action.ADMIN, obj, detail={**detail, "fields": form.changed_data})

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if self.shows_full_ids and change and obj is not None:
            self._audit(request, AuditEntry.Action.VIEW_ID, obj)
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def audit_context(self, obj) -> dict:
        """Extra audit_record arguments: the hospital (for the log's filter), the newborn, or another obj."""
        return {}

    def _audit(self, request, action: str, obj, **extra) -> None:
        arguments = {"obj": obj, **self.audit_context(obj), **extra}
        audit_record(user=request.user, action=action, ip=client_ip(request), **arguments)


class ViewOnlyAdmin(AuditedAdmin):
    """Rows that only the application writes: the admin shows them and changes nothing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ViewOnlyInline(admin.TabularInline):
    """A read-only list of a record's children on its page."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
