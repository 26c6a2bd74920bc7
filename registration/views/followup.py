"""The follow-up list (待跟进, issue 5 item 5): who must be called today, and its XLSX export.

With ?next_year=1, the paid records whose next calendar year is unpaid before the card expires (issue 28);
with ?sms_failed=1, the records whose text message failed (「短信发送失败」, docs/sms.md).
Unpaid records ordered by days left, with the parents' phone numbers in full (calling them is the purpose
of the page) and ID numbers masked. A record with seven days or fewer left is highlighted; one past its
last day that the daily void job has not reached yet is marked as expired.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from registration import access, selectors
from registration.http import client_ip
from registration.masking import mask_id_number
from registration.models import Newborn
from registration.pagination import BoundedPaginator
from registration.selectors.reports import followup_counts
from registration.services.exports import (
    StreamedSheet,
    export_filename,
    export_record,
    export_shows_full_ids,
    ids_for_export,
    xlsx_file,
    xlsx_response,
)

PAGE_SIZE = 50
URGENT_DAYS = 7  # issue 5: "a record that reaches seven days left is highlighted"
# A hospital has at most a few hundred unpaid records, a province tens of thousands; the cap only stops a
# runaway export (streamed, so its memory does not grow with the rows: issue 15).
EXPORT_MAX_ROWS = 100_000


@dataclass(frozen=True)
class FollowupRow:
    newborn: Newborn
    identity: str  # masked: the page is a list
    days_left: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    @property
    def overdue_days(self) -> int:
        return max(0, -self.days_left)

    @property
    def urgent(self) -> bool:
        return self.days_left <= URGENT_DAYS


def followup_row(newborn: Newborn, today: date) -> FollowupRow:
    """A list row; days left as registration.services.days_left counts them (0 on the last day)."""
    return FollowupRow(newborn, mask_id_number(newborn.identity_number), (newborn.last_day - today).days)


def _scope(request) -> tuple[list, object | None, str]:
    """The hospitals an administrator may pick from, the picked hospital (404 if not the user's), an error."""
    administrator = access.user_is_administrator(request.user)
    hospitals = list(selectors.hospitals_for_user(user=request.user)) if administrator else []
    raw = request.GET.get("hospital", "").strip()
    if not raw:
        return hospitals, None, ""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        return hospitals, None, "医疗机构参数无效。"
    return hospitals, selectors.hospital_get_for_user(user=request.user, pk=int(raw)), ""


@never_cache
@require_safe
@access.module_access_required
def followup(request):
    """GET /followup/: unpaid records, fewest days left first, 50 a page, with the counts for today."""
    hospitals, hospital, error = _scope(request)
    if error:
        return render(
            request, "registration/followup.html", {"error": error, "hospitals": hospitals}, status=400
        )
    today = timezone.localdate()
    hospital_id = hospital.pk if hospital else None
    newborns = selectors.newborns_followup_for_user(user=request.user, hospital_id=hospital_id)
    counts = followup_counts(newborns, today=today, urgent_days=URGENT_DAYS)
    # Paid, but the next calendar year is unpaid before the card expires: the clerk calls these families
    # too, to pay that year by the last day (docs/rules.md, Which days are covered).
    next_year = selectors.newborns_next_year_unpaid_for_user(
        user=request.user, today=today, hospital_id=hospital_id
    )
    counts["next_year"] = next_year.order_by().count()
    # A text message that failed (docs/sms.md): the clerk calls those families instead.
    sms_failed = selectors.newborns_sms_failed_for_user(user=request.user, hospital_id=hospital_id)
    counts["sms_failed"] = sms_failed.order_by().count()
    only_urgent = request.GET.get("urgent") == "1"
    only_next_year = request.GET.get("next_year") == "1"
    only_sms_failed = request.GET.get("sms_failed") == "1"
    if only_sms_failed:
        only_urgent, only_next_year, newborns = False, False, sms_failed
    elif only_next_year:
        only_urgent, newborns = False, next_year
    elif only_urgent:
        newborns = selectors.newborns_followup_for_user(
            user=request.user, hospital_id=hospital_id, last_day_by=today + timedelta(days=URGENT_DAYS)
        )
    page = BoundedPaginator(newborns, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [
            followup_row(newborn, today)
            for newborn in selectors.newborns_sms_failed_mark(selectors.materials_incomplete_mark(page))
        ],
        "counts": counts,
        "today": today,
        "urgent_days": URGENT_DAYS,
        "only_urgent": only_urgent,
        "only_next_year": only_next_year,
        "only_sms_failed": only_sms_failed,
        "hospitals": hospitals,
        "hospital": hospital,
        "show_hospital": access.user_is_administrator(request.user) and hospital is None,
    }
    return render(request, "registration/followup.html", context)


EXPORT_HEADERS = [
    "序号",
    "姓名",
    "新生儿编码/出生医学证明编号",
    "个人编号",
    "剩余天数",
    "跟进提示",
    "缴费截止日",
    "母亲姓名",
    "母亲联系电话",
    "父亲姓名",
    "父亲联系电话",
    "联系电话（登记）",
    "登记日期",
    "登记医院",
]


@never_cache
@require_safe
@access.module_access_required
def followup_export(request):
    """GET /followup/export.xlsx: the whole follow-up list as XLSX, audited as EXPORT."""
    _, hospital, error = _scope(request)
    if error:
        return render(request, "registration/denied.html", {"denied_reason": error}, status=400)
    today = timezone.localdate()
    full = export_shows_full_ids(request.user)
    newborns = selectors.newborns_followup_for_user(
        user=request.user, hospital_id=hospital.pk if hospital else None
    )
    # Streamed: the rows are read in chunks and written one by one (issue 15), so memory stays flat.
    truncated, records = selectors.followup_export_records(newborns, limit=EXPORT_MAX_ROWS)
    scope = access.scope_name(request.user, hospital)
    title_lines = [
        f"新生儿预参保待缴费跟进名单（{scope}）",
        f"导出日期：{today:%Y-%m-%d}；按剩余天数排序。图例：黄色＝剩余{URGENT_DAYS}天及以内（含今天截止），"
        "红色＝已过缴费截止日、待作废（见“跟进提示”列）",
    ]
    if truncated:
        title_lines.append(f"记录过多，仅导出前{EXPORT_MAX_ROWS}条，请按医疗机构分别导出。")
    sheet = StreamedSheet(
        "待跟进",
        EXPORT_HEADERS,
        _export_rows(records, today, full),
        title_lines=title_lines,
        widths=[6, 14, 24, 12, 9, 18, 12, 10, 14, 10, 14, 14, 12, 24],
        row_fill=_export_fill,
    )
    handle = xlsx_file([sheet])
    export_record(
        user=request.user,
        kind="followup",
        rows=sheet.written,
        full_ids=full,
        ip=client_ip(request),
        hospital=hospital,
        detail={"hospital_id": hospital.pk if hospital else None, "truncated": truncated},
    )
    filename = export_filename("待跟进", scope, f"{today:%Y-%m-%d}")
    return xlsx_response(handle, filename, fallback=f"followup-{today:%Y%m%d}.xlsx")


# The page's colours (Bootstrap's table-danger and table-warning), so the printout reads like the screen.
EXPIRED_FILL, URGENT_FILL = "F8D7DA", "FFF3CD"


def days_left_label(days_left: int) -> str:
    """A record's state in words from its days left, as the page's badge says it (FollowupRow's expired,
    overdue_days and urgent); empty when more than a week is left."""
    if days_left < 0:
        return f"已过期{-days_left}天，待作废"
    if days_left == 0:
        return "今天截止"
    if days_left <= URGENT_DAYS:
        return f"剩{days_left}天"
    return ""


def _export_fill(values: list) -> str | None:
    """The fill of an export row (_export_rows), from its days left, as the page highlights the record."""
    days_left = values[DAYS_LEFT_COLUMN]
    if days_left < 0:
        return EXPIRED_FILL
    return URGENT_FILL if days_left <= URGENT_DAYS else None


DAYS_LEFT_COLUMN = 4  # 剩余天数 in EXPORT_HEADERS


def _export_rows(records, today: date, full: bool):
    """The sheet's rows (EXPORT_HEADERS) from the query's tuples (FOLLOWUP_EXPORT_FIELDS of
    registration.selectors.records), numbered from 1."""
    shown = ids_for_export(full=full)
    for index, record in enumerate(records, start=1):
        name, temp_id, certificate, personal_number, last_day = record[:5]
        *parents, phone, registered_on, hospital = record[5:]
        days_left = (last_day - today).days
        yield [
            index,
            name,
            shown(temp_id or certificate),  # Newborn.identity_number
            personal_number,
            days_left,
            days_left_label(days_left),
            last_day,
            *parents,  # the mother's name and phone, the father's name and phone
            phone,
            registered_on,
            hospital,
        ]
