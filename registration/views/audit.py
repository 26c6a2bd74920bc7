"""The audit log page (issue 6, item 2): supervisors read their hospital's entries, administrators all.

Nothing here writes: the log is append-only (the database refuses changes, registration/audit_triggers.py).
Every number shown is masked, whatever was stored.
"""

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from registration import access, selectors
from registration.forms.audit import AuditFilterForm
from registration.log_masking import mask_sensitive
from registration.models import AuditEntry
from registration.pagination import BoundedPaginator
from registration.searches import search_data, search_redirect

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    username: str
    object_repr: str
    reason: str
    detail: str


def _row(entry: AuditEntry) -> AuditRow:
    detail = json.dumps(entry.detail, ensure_ascii=False, sort_keys=True) if entry.detail else ""
    return AuditRow(
        entry=entry,
        username=mask_sensitive(entry.username),
        object_repr=mask_sensitive(entry.object_repr),
        reason=mask_sensitive(entry.reason),
        detail=mask_sensitive(detail)[:300],
    )


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _filters(request, form: AuditFilterForm) -> dict | None:
    """The selector's filters from a valid form; None when the record asked for is not the user's."""
    data = form.cleaned_data
    filters = {
        "at_from": _day_start(data["date_from"]) if data.get("date_from") else None,
        "at_before": _day_start(data["date_to"] + timedelta(days=1)) if data.get("date_to") else None,
        "action": data.get("action") or "",
        "username": data.get("username") or "",
        "hospital_id": data["hospital"].pk if data.get("hospital") else None,
    }
    if data.get("newborn"):
        # 404 for another hospital's record: its history does not exist for this user.
        filters["newborn_id"] = selectors.newborn_get_for_user(user=request.user, pk=data["newborn"]).pk
    if data.get("record"):
        newborn = selectors.newborn_search_for_user(user=request.user, **data["record"]).first()
        if newborn is None:
            form.add_error("record", "没有找到该登记记录。")
            return None
        filters["newborn_id"] = newborn.pk
    return filters


# The filters that may name a person (a record's number, a username typed as an ID): never in the URL.
PRIVATE_SEARCH_FIELDS = {"record", "username"}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@access.supervisor_required
def audit_list(request):
    """GET /audit/: the audit log, filtered, 50 entries a page, newest first.

    POST: the filter form; a valid one is answered with a redirect whose URL holds no ID number.
    """
    administrator = access.user_is_administrator(request.user)
    expired = False
    if request.method == "POST":
        form = AuditFilterForm(request.POST, administrator=administrator)
        if form.is_valid() and _filters(request, form) is not None:
            return search_redirect(request, reverse("audit_list"), PRIVATE_SEARCH_FIELDS)
    else:
        data, expired = search_data(request)
        form = AuditFilterForm(data or None, administrator=administrator)
    filters = {}
    if form.is_bound:
        filters = _filters(request, form) if form.is_valid() and not expired else None
    entries = selectors.audit_entries_for_user(user=request.user, **(filters or {}))
    if filters is None:
        entries = entries.none()
    page = BoundedPaginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [_row(entry) for entry in page],
        "show_hospital": administrator,
        "search_expired": expired,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "registration/audit_list.html", context, status=status)
