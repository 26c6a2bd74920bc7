"""The 医保中心's data quality (docs/quality.md): likely duplicates, records going stale, each hospital's
figures, the decisions on a pair. For 医保中心 administrators only: anyone else meets an unknown URL (404).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from registration import access
from registration.forms.quality import DismissForm, DuplicateVoidForm, QualityForm
from registration.http import client_ip
from registration.masking import mask_id_number
from registration.models import AuditEntry, Newborn
from registration.selectors.quality import (
    SORTS,
    WARNING_LABELS,
    QualityReport,
    duplicate_dismissal_get,
    duplicate_pair_get,
    likely_duplicates,
    quality_report,
)
from registration.services.audit import audit_record
from registration.services.exports import (
    Block,
    Sheet,
    export_filename,
    export_record,
    xlsx_file,
    xlsx_response,
)
from registration.services.quality import duplicate_dismiss, duplicate_void


def _report(form: QualityForm, *, hospital_id: int | None = None) -> QualityReport:
    data = form.cleaned_data
    return quality_report(
        date_from=data["date_from"],
        date_to=data["date_to"],
        days=data["days"],
        today=form.today,
        hospital_id=hospital_id,
        sort=data["sort"],
        descending=data["order"] == "desc",
    )


def sort_links(form: QualityForm) -> list[dict]:
    """The figures' headers: each a link sorting by its column (again: the other way round)."""
    data = form.cleaned_data
    period = {
        "date_from": data["date_from"].isoformat(),
        "date_to": data["date_to"].isoformat(),
        "days": data["days"],
    }
    links = []
    for key, (label, _) in SORTS.items():
        current = data["sort"] == key
        order = "asc" if current and data["order"] == "desc" else ("desc" if current else "asc")
        links.append(
            {
                "key": key,
                "label": label,
                "href": "?" + urlencode({**period, "sort": key, "order": order}),
                "current": current,
                "descending": current and data["order"] == "desc",
            }
        )
    return links


def _masked(newborn: Newborn) -> dict:
    return {
        "newborn": newborn,
        "identity": mask_id_number(newborn.identity_number),
        "mother": mask_id_number(newborn.birth.mother_id_number),
        "father": mask_id_number(newborn.birth.father_id_number),
    }


@never_cache
@require_safe
@access.administrator_or_not_found
def quality(request):
    """GET /quality/: likely duplicates, going stale by hospital, every hospital's figures (sortable)."""
    form = QualityForm(request.GET, today=timezone.localdate())
    if not form.is_valid():
        return render(request, "registration/quality.html", {"form": form}, status=400)
    report = _report(form)
    context = {
        "form": form,
        "report": report,
        "pairs": [(pair, [_masked(pair.first), _masked(pair.second)]) for pair in report.pairs_shown],
        "sorts": sort_links(form),
        "warning_labels": WARNING_LABELS,
        "query": request.GET.urlencode(),
    }
    return render(request, "registration/quality.html", context)


FIGURE_HEADERS = [
    "医疗机构",
    "机构编码",
    "登记数",
    "未缴费作废",
    "未缴费作废比例",
    "登记至首次缴费天数（中位数）",
    "疑似重复",
    "材料逾期未补",
    "缴费后逾期未正式参保",
    "确认提示后登记",
    "其中",
    "跨院查询超阈值（人·天）",
]


def figure_rows(report: QualityReport):
    """The figures' rows as the export writes them (the supervisor's report page shares them)."""
    for row in report.hospitals:
        share = row.void_unpaid_share
        median = row.median_days_to_payment
        yield [
            row.hospital_name,
            row.hospital_code,
            row.registered,
            row.void_unpaid,
            f"{share:.1%}" if share is not None else "—",
            median if median is not None else "—",
            row.duplicates,
            row.missing_scans,
            row.not_formalized,
            row.warnings_confirmed,
            row.warnings_words(),
            row.lookups_above,
        ]


def figures_sheet(report: QualityReport, scope: str) -> Sheet:
    return Sheet(
        "数据质量",
        FIGURE_HEADERS,
        list(figure_rows(report)),
        title_lines=[
            f"新生儿预参保登记数据质量（{scope}）",
            f"登记日期 {report.date_from:%Y-%m-%d} 至 {report.date_to:%Y-%m-%d}；逾期天数 {report.days} 天；"
            f"导出日期：{timezone.localdate():%Y-%m-%d}",
        ],
        widths=[28, 16, 10, 12, 14, 16, 10, 12, 16, 14, 40],
        blocks=[
            Block(
                "疑似重复登记（证件号码已隐藏中间位）",
                ["记录一", "医疗机构", "记录二", "医疗机构", "出生日期", "依据"],
                [
                    [
                        mask_id_number(pair.first.identity_number),
                        pair.first.hospital.name,
                        mask_id_number(pair.second.identity_number),
                        pair.second.hospital.name,
                        pair.first.birth_date,
                        "、".join(pair.why),
                    ]
                    for pair in report.pairs
                ],
            )
        ]
        if report.pairs
        else [],
    )


@never_cache
@require_safe
@access.administrator_or_not_found
def quality_export(request):
    """GET /quality/export.xlsx: the figures and the likely duplicates (masked), audited as EXPORT."""
    form = QualityForm(request.GET, today=timezone.localdate())
    if not form.is_valid():
        return render(request, "registration/quality.html", {"form": form}, status=400)
    report = _report(form)
    handle = xlsx_file([figures_sheet(report, "全部医疗机构")])
    export_record(
        user=request.user,
        kind="quality",
        rows=len(report.hospitals),
        full_ids=False,
        ip=client_ip(request),
        detail={"from": report.date_from.isoformat(), "to": report.date_to.isoformat()},
    )
    period = f"{report.date_from:%Y-%m-%d}至{report.date_to:%Y-%m-%d}"
    fallback = f"quality-{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}.xlsx"
    return xlsx_response(handle, export_filename("数据质量", "全部医疗机构", period), fallback=fallback)


def _pair(first: int, second: int) -> tuple[Newborn, Newborn]:
    try:
        return duplicate_pair_get(first=first, second=second)
    except Newborn.DoesNotExist:
        raise Http404("没有找到这两条登记记录。") from None


def _pair_page(request, first, second, *, dismiss_form=None, void_form=None, status=200):
    # The full numbers are shown: every record's view is audited, as its own page's (VIEW_ID).
    for record in (first, second):
        audit_record(
            user=request.user,
            action=AuditEntry.Action.VIEW_ID,
            obj=record,
            hospital=record.hospital,
            ip=client_ip(request),
            detail={"via": "数据质量"},
        )
    dismiss_form, void_form = dismiss_form or DismissForm(), void_form or DuplicateVoidForm()
    context = {
        "forms": [void_form, dismiss_form],
        "first": first,
        "second": second,
        "records": [first, second],
        "why": likely_duplicates(first=first, second=second),
        "dismissal": duplicate_dismissal_get(first=first.pk, second=second.pk),
        "dismiss_form": dismiss_form,
        "void_form": void_form,
        "in_force": first.state != Newborn.State.VOID and second.state != Newborn.State.VOID,
    }
    return render(request, "registration/quality_pair.html", context, status=status)


@never_cache
@require_safe
@access.administrator_or_not_found
def quality_pair(request, first: int, second: int):
    """GET /quality/duplicates/<first>/<second>/: the pair side by side, the full numbers (audited)."""
    return _pair_page(request, *_pair(first, second))


def _errors_apply(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, field_messages in error.message_dict.items():
            for message in field_messages:
                form.add_error(name if name in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


@require_POST
@access.administrator_or_not_found
def quality_pair_dismiss(request, first: int, second: int):
    """POST …/dismiss: the pair is two babies (a reason required); it leaves the list."""
    first_record, second_record = _pair(first, second)
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            duplicate_dismiss(
                first=first_record,
                second=second_record,
                user=request.user,
                reason=form.cleaned_data["reason"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            _errors_apply(form, error)
        else:
            messages.success(request, "已判定为非重复登记，这两条记录不再列为疑似重复。")
            return redirect("quality")
    return _pair_page(request, first_record, second_record, dismiss_form=form, status=400)


@require_POST
@access.administrator_or_not_found
def quality_pair_void(request, first: int, second: int):
    """POST …/void: void one record of the pair as the other's duplicate (the other kept)."""
    first_record, second_record = _pair(first, second)
    form = DuplicateVoidForm(request.POST)
    if form.is_valid():
        chosen = form.cleaned_data["void"]
        if chosen not in (first_record.pk, second_record.pk):
            form.add_error("void", "请选择要作废的记录。")
        else:
            voided, kept = (
                (first_record, second_record) if chosen == first_record.pk else (second_record, first_record)
            )
            try:
                duplicate_void(voided=voided, kept=kept, user=request.user, ip=client_ip(request))
            except ValidationError as error:
                _errors_apply(form, error)
            else:
                messages.success(
                    request,
                    f"记录 {mask_id_number(voided.identity_number)} 已作废为重复登记，保留记录 "
                    f"{mask_id_number(kept.identity_number)}；作废记录的编码保留为已签发，不再分配。",
                )
                return redirect("quality")
    return _pair_page(request, first_record, second_record, void_form=form, status=400)
