"""The audit log page (issue 6, item 2): supervisors read their hospital's entries, administrators all.

Nothing here writes but the export's own EXPORT entry: the log is append-only (the database refuses
changes, registration/audit_triggers.py). Every number shown or exported is masked, whatever was stored,
and each entry's details are words (registration/selectors/audit_words.py), not JSON.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from registration import access, selectors
from registration.forms.audit import AuditFilterForm, LookupAlertForm
from registration.http import client_ip
from registration.log_masking import mask_sensitive
from registration.models import AuditEntry
from registration.pagination import BoundedPaginator
from registration.searches import search_data, search_redirect
from registration.selectors.audit_words import entry_details
from registration.services.exports import (
    StreamedSheet,
    export_filename,
    export_record,
    xlsx_file,
    xlsx_response,
)

PAGE_SIZE = 50
# The newest entries that match, at most: a year of a province is tens of millions; the title says when the
# export stopped, and a narrower filter (a hospital, a month, a user) gets the rest.
EXPORT_MAX_ROWS = 100_000
EXPORT_HEADERS = ["时间", "用户", "医疗机构", "操作", "对象", "原因", "详情", "IP地址"]


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    username: str
    object_repr: str
    reason: str
    detail: str


def _row(entry: AuditEntry) -> AuditRow:
    return AuditRow(
        entry=entry,
        username=mask_sensitive(entry.username),
        object_repr=mask_sensitive(entry.object_repr),
        reason=mask_sensitive(entry.reason),
        detail=mask_sensitive(entry_details(entry)),
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
        "hide_view_id": bool(data.get("hide_view_id")),
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


def _entries(request):
    """(the form, the entries it selects: none when it is invalid, or when its search token expired)."""
    administrator = access.user_is_administrator(request.user)
    data, expired = search_data(request)
    form = AuditFilterForm(data or None, administrator=administrator)
    filters = {}
    if form.is_bound:
        filters = _filters(request, form) if form.is_valid() and not expired else None
    entries = selectors.audit_entries_for_user(user=request.user, **(filters or {}))
    return form, entries if filters is not None else entries.none(), expired


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@access.supervisor_required
def audit_list(request):
    """GET /audit/: the audit log, filtered, 50 entries a page, newest first.

    POST: the filter form; a valid one is answered with a redirect whose URL holds no ID number.
    """
    if request.method == "POST":
        administrator = access.user_is_administrator(request.user)
        form = AuditFilterForm(request.POST, administrator=administrator)
        if form.is_valid() and _filters(request, form) is not None:
            return search_redirect(request, reverse("audit_list"), PRIVATE_SEARCH_FIELDS)
        entries, expired = selectors.audit_entries_for_user(user=request.user).none(), False
    else:
        form, entries, expired = _entries(request)
    page = BoundedPaginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": [_row(entry) for entry in page],
        "show_hospital": access.user_is_administrator(request.user),
        "search_expired": expired,
        "export_query": query.urlencode(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "registration/audit_list.html", context, status=status)


@never_cache
@require_safe
@access.supervisor_required
def audit_export(request):
    """GET /audit/export.xlsx: the entries the page's filters select, newest first, masked, as XLSX."""
    form, entries, _expired = _entries(request)
    if form.is_bound and not form.is_valid():
        problems = "；".join(message for messages in form.errors.values() for message in messages)
        context = {"denied_reason": f"筛选条件有误：{problems}"}
        return render(request, "registration/denied.html", context, status=400)
    today = timezone.localdate()
    hospital = form.cleaned_data.get("hospital") if form.is_bound else None
    scope = access.scope_name(request.user, hospital)
    cut = {"truncated": False}
    sheet = StreamedSheet(
        "审计日志",
        EXPORT_HEADERS,
        _export_rows(entries.iterator(chunk_size=2000), cut),
        title_lines=[
            f"审计日志（{scope}）",
            f"导出日期：{today:%Y-%m-%d}；最新的在前，最多{EXPORT_MAX_ROWS}条；证件号码和电话均已隐藏部分数字。",
        ],
        widths=[18, 16, 22, 14, 28, 30, 50, 16],
    )
    handle = xlsx_file([sheet])
    export_record(
        user=request.user,
        kind="audit",
        rows=sheet.written,
        full_ids=False,
        ip=client_ip(request),
        hospital=hospital,
        detail={
            "hospital_id": hospital.pk if hospital else None,
            "truncated": cut["truncated"],
        },
    )
    filename = export_filename("审计日志", scope, f"{today:%Y-%m-%d}")
    return xlsx_response(handle, filename, fallback=f"audit-{today:%Y%m%d}.xlsx")


def _export_rows(entries, cut: dict):
    """The rows of the export, EXPORT_MAX_ROWS at most (`cut` says whether more matched)."""
    for count, entry in enumerate(entries, start=1):
        if count > EXPORT_MAX_ROWS:
            cut["truncated"] = True
            return
        row = _row(entry)
        yield [
            entry.at,
            row.username,
            entry.hospital.name if entry.hospital_id else "",
            entry.get_action_display(),
            row.object_repr,
            row.reason,
            row.detail,
            entry.ip or "",
        ]


LOOKUP_DAYS = 7  # the page's default: the last week


@never_cache
@require_safe
@access.administrator_required
def audit_lookups(request):
    """GET /audit/lookups/: the 医保中心's list of users (and API clients' accounts) whose lookups of other
    hospitals' records passed settings.LOOKUP_ALERT_PER_DAY on a day (selectors.lookups_above_threshold)."""
    form = LookupAlertForm(request.GET or None)
    today = timezone.localdate()
    start, end, hospital = today - timedelta(days=LOOKUP_DAYS - 1), today, None
    status = 200
    if form.is_bound:
        if form.is_valid():
            start = form.cleaned_data.get("date_from") or start
            end = form.cleaned_data.get("date_to") or end
            hospital = form.cleaned_data.get("hospital")
        else:
            status = 400
    rows = selectors.lookups_above_threshold(start=start, end=end, hospital=hospital) if status == 200 else []
    context = {
        "form": form,
        "rows": [{"row": row, "username": mask_sensitive(row.username)} for row in rows],
        "start": start,
        "end": end,
        "threshold": settings.LOOKUP_ALERT_PER_DAY,
    }
    return render(request, "registration/audit_lookups.html", context, status=status)
