"""What every admin page of the domain shares: nothing is deleted; saves and full-ID views are logged."""

import re

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from registration import validators
from registration.admin.changes import changes_words, form_changes
from registration.admin.search import TokenSearchAdmin
from registration.http import client_ip
from registration.models import AuditEntry
from registration.pagination import BoundedPaginator
from registration.services.audit import audit_record

# The shapes of what an administrator types in a changelist's search box (issue 15).
SEARCH_SHAPES = [
    ("temp_id", re.compile(r"[0-9]{17}[0-9X][A-Za-z]")),
    ("resident_id", re.compile(r"[0-9]{17}[0-9Xx]")),
    ("birth_certificate", re.compile(r"[A-Za-z][0-9]{9}")),
    ("personal_number", re.compile(r"[0-9]{10}")),
]


class HiddenCharactersAdmin:
    """Mixin for a ModelAdmin: its add and change forms run the app's one hidden-character check on every
    text field (validators.HiddenCharactersFormMixin), as the pages' forms and the API do: a hospital named
    with an escape sequence would break the exports and reach the logs."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if issubclass(form, validators.HiddenCharactersFormMixin):
            return form
        return type(form.__name__, (validators.HiddenCharactersFormMixin, form), {})


class AuditedAdmin(HiddenCharactersAdmin, TokenSearchAdmin, admin.ModelAdmin):
    """Nothing is ever deleted (docs/rules.md, lifecycle); saves and views of full ID numbers are logged."""

    # The change page shows full ID numbers: each rendering is audit-logged (docs/rules.md, Who uses it).
    shows_full_ids = False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # Fields a service writes, with its own lock, rule and audit entry (the special group, module access):
    # the form validates them, the plain save leaves them alone and save_through_services hands them over.
    service_fields: tuple[str, ...] = ()

    def save_model(self, request, obj, form, change):
        wanted = {name: getattr(obj, name) for name in self.service_fields if name in form.changed_data}
        for name in wanted:
            setattr(obj, name, form.initial.get(name, obj._meta.get_field(name).get_default()))
        changes = form_changes(form, obj, added=not change, skip=self.service_fields)
        if change:
            # Only the fields this form changed: a payment, a void or a state change that another request
            # committed since the page was opened is not written back with the page's old values.
            columns = {field.name for field in obj._meta.concrete_fields}
            fields = [name for name in form.changed_data if name in columns and name not in wanted]
            if fields:
                obj.save(update_fields=fields)
        else:
            super().save_model(request, obj, form, change)
        if changes or not change:
            # Each changed field's old and new value, ID numbers and phones masked (admin/changes.py).
            detail = {"model": obj._meta.label_lower, "pk": obj.pk, "added": not change}
            detail |= {"fields": list(changes), "changes": changes}
            what = f"{'修改' if change else '新建'}{obj._meta.verbose_name}"
            words = changes_words(type(obj), changes)
            detail["summary"] = f"{what}：{words}" if words else what
            self._audit(request, AuditEntry.Action.ADMIN, obj, detail=detail)
        if wanted:
            self.save_through_services(request, obj, form, wanted)

    def save_through_services(self, request, obj, form, wanted: dict) -> None:
        """Hand the service_fields the form changed ({name: new value}) to their services."""
        raise NotImplementedError

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            # A service refused under its lock what the form had accepted: the row changed since the form
            # was checked (a record voided meanwhile). The whole save was rolled back; say why.
            self.message_user(request, "；".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

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


def search_shape(term: str) -> str:
    """A search term by its shape: temp_id, resident_id, birth_certificate, personal_number or text."""
    for shape, pattern in SEARCH_SHAPES:
        if pattern.fullmatch(term):
            return shape
    return "text"


class AdminPaginator(BoundedPaginator):
    """The admin's paginator over millions of rows: counts at most 10,000 (registration/pagination.py)."""


class ProvinceScaleAdmin:
    """A changelist of a table holding millions of rows at a province's size (issue 15): no full count, no
    date_hierarchy (it reads every row's date), and a search routed by the term's shape to one indexed
    lookup (search_by_shape) instead of icontains across joins."""

    show_full_result_count = False
    paginator = AdminPaginator
    date_hierarchy = None

    def search_by_shape(self, queryset, shape: str, term: str):
        """The queryset narrowed to the term of that shape (subclasses); none for a shape it has no column
        for."""
        raise NotImplementedError

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return self.search_by_shape(queryset, search_shape(term), term), False


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
