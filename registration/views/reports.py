"""Reports (统计报表, issue 5 item 6): a hospital's for its supervisor, every hospital's for administrators.

The figures come from registration.selectors.reports (grouped SQL, a fixed number of queries); the charts
are inline SVG drawn here by registration.charts; the export holds the same figures and, as its second
sheet, the records (ID numbers full for administrators only).
"""

from datetime import date, timedelta
from urllib.parse import urlencode

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from registration import access, selectors
from registration.charts import bar_chart_svg, share_bar_svg
from registration.forms.quality import DEFAULT_STALE_DAYS
from registration.forms.reports import ReportForm
from registration.http import client_ip
from registration.models import Newborn, Sex
from registration.selectors.quality import QualityReport, quality_report
from registration.selectors.reports import (
    Report,
    StateCounts,
    report_build,
    report_newborns_for_user,
    report_records,
)
from registration.services.exports import (
    Block,
    Sheet,
    StreamedSheet,
    export_filename,
    export_record,
    export_shows_full_ids,
    ids_for_export,
    xlsx_file,
    xlsx_response,
)

# Streamed (issue 15): memory does not grow with the rows; the cap stops only a runaway export.
EXPORT_MAX_RECORDS = 200_000
STATE_COLOURS = {"paid": "#198754", "formalized": "#0d6efd", "void": "#6c757d", "registered": "#ffc107"}


def _report_input(request):
    """(form, hospital or None, newborns) for a valid query; the form carries the errors otherwise."""
    form = ReportForm(request.GET, today=timezone.localdate())
    if not form.is_valid():
        return form, None, None
    hospital = None
    if form.cleaned_data["hospital"] is not None:
        hospital = selectors.hospital_get_for_user(user=request.user, pk=form.cleaned_data["hospital"])
    newborns = report_newborns_for_user(user=request.user, hospital_id=hospital.pk if hospital else None)
    return form, hospital, newborns


def _report(request, form, hospital, newborns) -> Report:
    """The figures of a valid query (the page's and the export's); by hospital for an administrator's
    report of every hospital."""
    data = form.cleaned_data
    return report_build(
        newborns=newborns,
        date_from=data["date_from"],
        date_to=data["date_to"],
        granularity=data["granularity"],
        per_hospital=access.user_is_administrator(request.user) and hospital is None,
        per_place=_places_asked(request),
    )


def _places_asked(request) -> bool:
    """An administrator's totals by city and by agency, on asking (?places=1): at a province's volume they
    read every registration of the period with its community and agency, seconds for a year
    (docs/performance.md), which the report's default view should not wait for."""
    return access.user_is_administrator(request.user) and _asked(request, "places")


def _asked(request, part: str) -> bool:
    """Whether the query asks for a part the report leaves out by default (?places=1, ?quality=1)."""
    return request.GET.get(part) == "1"


def _asking_link(request, part: str) -> str:
    """The same report's query, asking for that part."""
    query = request.GET.copy()
    query[part] = "1"
    return "?" + query.urlencode()


@never_cache
@require_safe
@access.supervisor_required
def reports(request):
    """GET /reports/: registrations per day or week, states, median days to the first payment, charts."""
    form, hospital, newborns = _report_input(request)
    administrator = access.user_is_administrator(request.user)
    context = {
        "form": form,
        "administrator": administrator,
        "hospitals": list(selectors.hospitals_for_user(user=request.user)) if administrator else [],
        "hospital": hospital,
    }
    if newborns is None:
        return render(request, "registration/reports.html", context, status=400)
    report = _report(request, form, hospital, newborns)
    context.update(
        report=report,
        scope=access.scope_name(request.user, hospital),
        series_chart=_series_chart(report),
        states_chart=_states_chart(report.counts),
        state_rows=_state_rows(report.counts),
        query=request.GET.urlencode(),
        hospital_link=_hospital_link(form, report),
        last_month_link=_last_month_link(form, hospital),
        places_link=_asking_link(request, "places") if administrator and not _places_asked(request) else "",
        place_tables=[
            ("各市（按参保社区所在市）", report.cities, "cities"),
            ("各参保所属机构", report.agencies, "agencies"),
        ],
        quality=_quality(request, form),
        quality_link=_quality_link(request, form),
        quality_days_shown=QUALITY_DAYS_SHOWN,
    )
    return render(request, "registration/reports.html", context)


def last_month(today: date) -> tuple[date, date]:
    """The calendar month before today's: its first and last day."""
    last_day = today.replace(day=1) - timedelta(days=1)
    return last_day.replace(day=1), last_day


def _last_month_link(form, hospital) -> str:
    """The query of the same report (hospital, granularity) over last calendar month: the 上月 shortcut."""
    first, last = last_month(form.today)
    query = {"date_from": first.isoformat(), "date_to": last.isoformat()}
    query["granularity"] = form.cleaned_data.get("granularity") or "day"
    if hospital is not None:
        query["hospital"] = hospital.pk
    return "?" + urlencode(query)


# A supervisor's quality figures come with a report of up to this many days; a longer one shows them on
# asking (?quality=1): over years of a big hospital they read every registration's warnings and scans.
QUALITY_DAYS_SHOWN = 92


def _quality_shown(request, form) -> bool:
    data = form.cleaned_data
    return (data["date_to"] - data["date_from"]).days < QUALITY_DAYS_SHOWN or _asked(request, "quality")


def _quality_link(request, form) -> str:
    """The same report with the supervisor's quality figures asked for, when the period hides them."""
    if access.user_operator(request.user) is None or _quality_shown(request, form):
        return ""
    return _asking_link(request, "quality")


def _quality(request, form) -> QualityReport | None:
    """A supervisor's hospital's data-quality figures over the report's period (docs/quality.md): the
    row the 医保中心's quality page shows for it. Administrators have the quality page itself."""
    operator = access.user_operator(request.user)
    if operator is None or not _quality_shown(request, form):
        return None
    data = form.cleaned_data
    return quality_report(
        date_from=data["date_from"],
        date_to=data["date_to"],
        days=DEFAULT_STALE_DAYS,
        today=timezone.localdate(),
        hospital_id=operator.hospital_id,
    )


def _hospital_link(form, report) -> str:
    """The per-hospital table's link to one hospital's report of the same period, but its id."""
    period = {}
    if form.cleaned_data.get("date_from"):
        period = {"date_from": report.date_from.isoformat(), "date_to": report.date_to.isoformat()}
    return "?" + urlencode({**period, "granularity": report.granularity, "hospital": ""})


def _period_label(report: Report, start: date) -> str:
    return f"{start:%m-%d}" if report.granularity == "day" else f"{start:%m-%d}起"


def _series_chart(report: Report):
    unit = "日" if report.granularity == "day" else "周"
    total = sum(value for _, value in report.series)
    busiest = max(report.series, key=lambda item: item[1], default=None)
    desc = f"{report.date_from:%Y-%m-%d}至{report.date_to:%Y-%m-%d}按{unit}登记数，共{total}名新生儿"
    if busiest and busiest[1]:
        desc += f"；最多的一{unit}（{busiest[0]:%Y-%m-%d}起）{busiest[1]}名"
    return bar_chart_svg(
        [(_period_label(report, start), value) for start, value in report.series],
        title=f"按{unit}登记数",
        desc=desc + "。",
        chart_id="chart-series",
    )


def _state_rows(counts: StateCounts) -> list[dict]:
    labels = dict(Newborn.State.choices)
    return [
        {
            "key": key,
            "label": labels[key] if key != "registered" else "仍待缴费（已登记）",
            "value": getattr(counts, key),
            "share": counts.share(key),
            "percent": counts.percents[key],
            "colour": STATE_COLOURS[key],
        }
        for key in ("paid", "formalized", "void", "registered")
    ]


def _states_chart(counts: StateCounts):
    rows = _state_rows(counts)
    desc = "；".join(
        f"{row['label']}{row['value']}名（{row['share']:.1%}）"
        if row["share"] is not None
        else row["label"] + "0名"
        for row in rows
    )
    return share_bar_svg(
        [(row["label"], row["value"], row["colour"]) for row in rows],
        title="登记记录当前状态",
        desc=f"共{counts.total}名：{desc}。",
        chart_id="chart-states",
    )


# --- the export -----------------------------------------------------------------------------------------

RECORD_HEADERS = [
    "序号",
    "登记日期",
    "登记医院",
    "姓名",
    "性别",
    "出生日期",
    "新生儿编码/出生医学证明编号",
    "个人编号",
    "状态",
    "缴费截止日",
    "首次缴费到账日",
    "登记至首次缴费天数",
    "真实姓名",
    "身份证号码（正式参保）",
    "作废原因",
]


@never_cache
@require_safe
@access.supervisor_required
def reports_export(request):
    """GET /reports/export.xlsx: the figures (sheet 1) and the records (sheet 2), audited as EXPORT."""
    form, hospital, newborns = _report_input(request)
    if newborns is None:
        return render(request, "registration/denied.html", {"denied_reason": _first_error(form)}, status=400)
    data = form.cleaned_data
    report = _report(request, form, hospital, newborns)
    full = export_shows_full_ids(request.user)
    # The records are module data: a supervisor whose module access is not granted gets the figures only.
    with_records = access.module_denied_reason(request.user) is None
    records = report_records(
        newborns=newborns, date_from=data["date_from"], date_to=data["date_to"], limit=EXPORT_MAX_RECORDS
    )
    # Streamed: the records are read in chunks and written one by one (issue 15), so memory stays flat. The
    # report has counted the same records (its cohort): no query of their own for the cap.
    truncated = with_records and report.counts.total > EXPORT_MAX_RECORDS
    scope = access.scope_name(request.user, hospital)
    records_sheet = _records_sheet(
        records.iterator(chunk_size=2000) if with_records else (), full, with_records, truncated
    )
    handle = xlsx_file([_figures_sheet(report, scope), records_sheet])
    export_record(
        user=request.user,
        kind="report",
        rows=records_sheet.written,
        full_ids=full,
        ip=client_ip(request),
        hospital=hospital,
        detail={
            "hospital_id": hospital.pk if hospital else None,
            "from": data["date_from"].isoformat(),
            "to": data["date_to"].isoformat(),
            "granularity": data["granularity"],
            "truncated": truncated,
        },
    )
    period = f"{data['date_from']:%Y-%m-%d}至{data['date_to']:%Y-%m-%d}"
    fallback = f"report-{data['date_from']:%Y%m%d}-{data['date_to']:%Y%m%d}.xlsx"
    return xlsx_response(handle, export_filename("统计报表", scope, period), fallback=fallback)


def _first_error(form) -> str:
    messages = [message for messages in form.errors.values() for message in messages]
    return messages[0] if messages else "查询条件有误。"


def _median(value: float | None) -> float | str:
    return value if value is not None else "—"


def _figures_sheet(report: Report, scope: str) -> Sheet:
    counts = report.counts
    unit = "日" if report.granularity == "day" else "周"
    figures = [
        ["医疗机构", scope],
        ["统计期间（登记日期）", f"{report.date_from:%Y-%m-%d} 至 {report.date_to:%Y-%m-%d}"],
        ["登记新生儿数", counts.total],
        ["已缴费（含正式参保）", counts.ever_paid, counts.percents["ever_paid"]],
        ["其中：已缴费", counts.paid, counts.percents["paid"]],
        ["其中：正式参保", counts.formalized, counts.percents["formalized"]],
        ["已作废", counts.void, counts.percents["void"]],
        ["仍待缴费（已登记）", counts.registered, counts.percents["registered"]],
        ["登记至首次缴费天数（中位数）", _median(report.median_days_to_payment)],
        ["计入中位数的已缴费记录数", report.payments_counted],
    ]
    blocks = [Block(f"按{unit}登记数", [f"{unit}（起始日）", "登记数"], report.series)]
    for caption, places in (("各市（按参保社区所在市）", report.cities), ("各参保所属机构", report.agencies)):
        if places:
            blocks.append(Block(caption, PLACE_HEADERS, [_place_row(place) for place in places]))
    if report.hospitals:
        blocks.append(
            Block(
                "各医疗机构",
                [
                    "医疗机构",
                    "登记数",
                    "已缴费（含正式参保）",
                    "缴费比例",
                    "正式参保",
                    "已作废",
                    "仍待缴费",
                    "首次缴费天数中位数",
                ],
                [
                    [
                        item.hospital_name,
                        item.counts.total,
                        item.counts.ever_paid,
                        item.counts.percents["ever_paid"],
                        item.counts.formalized,
                        item.counts.void,
                        item.counts.registered,
                        _median(item.median_days_to_payment),
                    ]
                    for item in report.hospitals
                ],
            )
        )
    return Sheet(
        "统计",
        ["项目", "数值", "比例"],
        figures,
        title_lines=[f"新生儿预参保登记统计（{scope}）", f"导出日期：{timezone.localdate():%Y-%m-%d}"],
        widths=[30, 26, 20, 12, 12, 12, 12, 18],
        blocks=blocks,
    )


PLACE_HEADERS = ["名称", "登记数", "已缴费（含正式参保）", "缴费比例", "正式参保", "已作废", "仍待缴费"]


def _place_row(place) -> list:
    counts = place.counts
    return [
        place.name,
        counts.total,
        counts.ever_paid,
        counts.percents["ever_paid"],
        counts.formalized,
        counts.void,
        counts.registered,
    ]


def _records_sheet(records, full: bool, with_records: bool, truncated: bool) -> StreamedSheet:
    notes = []
    if not with_records:
        notes.append("您的账号尚未开通“新生儿参保登记”模块权限，导出不含登记明细。")
    if truncated:
        notes.append(f"记录过多，仅导出前{EXPORT_MAX_RECORDS}条，请缩短统计期间。")
    if not full:
        notes.append("证件号码已按规定隐藏中间位。")
    return StreamedSheet(
        "登记明细",
        RECORD_HEADERS,
        _record_rows(records, full),
        title_lines=notes,
        widths=[6, 12, 24, 14, 6, 12, 24, 12, 10, 12, 14, 10, 10, 22, 30],
    )


def _record_rows(records, full: bool):
    """The sheet's rows from report_records' tuples (REPORT_RECORD_FIELDS), numbered from 1."""
    sexes, states = dict(Sex.choices), dict(Newborn.State.choices)
    shown = ids_for_export(full=full)
    for index, record in enumerate(records, start=1):
        registered_on, hospital, name, sex, birth_date, temp_id, certificate, personal_number = record[:8]
        state, last_day, first_paid, real_name, real_id_number, void_reason = record[8:]
        yield [
            index,
            registered_on,
            hospital,
            name,
            sexes.get(sex, sex),
            birth_date,
            shown(temp_id or certificate),  # Newborn.identity_number
            personal_number,
            states.get(state, state),
            last_day,
            first_paid,
            (first_paid - registered_on).days if first_paid else None,
            real_name,
            shown(real_id_number),
            void_reason,
        ]
