"""The registrations list, a registration's own page, and its materials (issue 3, item 3)."""

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cards.services import card_state_refusal
from registration import access, selectors
from registration.forms.newborns import MaterialAddForm, NewbornFilterForm
from registration.http import client_ip
from registration.masking import mask_id_number, mask_phone
from registration.models import AuditEntry, Material, Newborn, Sex
from registration.pagination import BoundedPaginator
from registration.rules import days_left, materials_missing
from registration.searches import search_data, search_redirect
from registration.selectors.quality import duplicate_kept_code
from registration.services.audit import audit_record
from registration.services.birth_materials import MaterialInput, birth_material_add
from registration.services.exports import (
    StreamedSheet,
    export_filename,
    export_record,
    xlsx_file,
    xlsx_response,
)
from registration.services.kept_uploads import display_name
from registration.services.sms import newborn_sms_decline, sms_decline_refusal
from registration.services.storage import RETRY_AFTER_SECONDS, StorageUnavailable, storage_open

PAGE_SIZE = 25
MATERIAL_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


@dataclass(frozen=True)
class NewbornRow:
    """A list row: the newborn and its numbers as the list may show them (masked)."""

    newborn: Newborn
    identity: str
    phone: str
    days_left: int | None


# The search's fields that name a person: never in the list's URL (registration/searches.py).
PRIVATE_SEARCH_FIELDS = {"identity_number", "name", "personal_number"}


@require_http_methods(["GET", "HEAD", "POST"])
@access.module_access_required
def newborn_list(request):
    """GET /newborns/: the user's hospital's registrations, searched, 25 a page, numbers masked.

    POST: the search form; a valid search is answered with a redirect whose URL holds no ID number.
    """
    administrator = access.user_is_administrator(request.user)
    if request.method == "POST":
        form = NewbornFilterForm(request.POST, administrator=administrator)
        if form.is_valid():
            return search_redirect(request, reverse("newborn_list"), PRIVATE_SEARCH_FIELDS)
        return _list(request, form, expired=False, status=400)
    data, expired = search_data(request)
    return _list(request, NewbornFilterForm(data or None, administrator=administrator), expired=expired)


def _search(request, form: NewbornFilterForm):
    """(the hospital picked or None, the list) of the form's valid search; 404 for a hospital the user may
    not see."""
    filters = dict(form.cleaned_data) if form.is_bound else {}
    hospital_id = filters.pop("hospital", None)
    hospital = None
    if hospital_id is not None:
        hospital = selectors.hospital_get_for_user(user=request.user, pk=hospital_id)
    newborns = selectors.newborn_search_for_user(
        user=request.user, hospital_id=hospital.pk if hospital else None, **filters
    )
    return hospital, newborns


def _list(request, form: NewbornFilterForm, *, expired: bool, status: int = 200):
    if expired or (form.is_bound and not form.is_valid()):
        newborns = []  # the form says what to correct, or the search is to be typed again
    else:
        _, newborns = _search(request, form)
    page = BoundedPaginator(newborns, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [_row(newborn, today) for newborn in selectors.materials_incomplete_mark(page)]
    administrator = access.user_is_administrator(request.user)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "show_hospital": administrator,  # they see every hospital's
        "administrator": administrator,
        "hospitals": list(selectors.hospitals_for_user(user=request.user)) if administrator else [],
        "search_expired": expired,
        "query": request.GET.urlencode(),
    }
    return render(request, "registration/newborn_list.html", context, status=status)


# --- the administrator's export of the list ---------------------------------------------------------------

# Streamed: memory does not grow with the rows; the cap stops only a runaway export.
EXPORT_MAX_RECORDS = 200_000
EXPORT_HEADERS = [
    "序号",
    "登记日期",
    "登记医院",
    "姓名",
    "性别",
    "出生日期",
    "新生儿编码/出生医学证明编号",
    "个人编号",
    "联系电话",
    "状态",
    "缴费截止日",
    "首次缴费到账日",
    "参保社区",
    "参保所属机构",
]


@never_cache
@require_safe
@access.administrator_required
def newborn_export(request):
    """GET /newborns/export.xlsx: the administrator's list as the page's search selects it (the same query
    string, its search token included), ID numbers and phones masked, streamed, audited as EXPORT."""
    data, expired = search_data(request)
    form = NewbornFilterForm(data or None, administrator=True)
    if expired:
        reason = "该查询已过期，请在登记查询页重新查询后再导出。"
        return render(request, "registration/denied.html", {"denied_reason": reason}, status=400)
    if form.is_bound and not form.is_valid():
        problems = "；".join(message for messages in form.errors.values() for message in messages)
        return render(
            request, "registration/denied.html", {"denied_reason": f"查询条件有误：{problems}"}, status=400
        )
    hospital, newborns = _search(request, form)
    truncated, records = selectors.newborn_export_records(newborns, limit=EXPORT_MAX_RECORDS)
    today = timezone.localdate()
    scope = access.scope_name(request.user, hospital)
    title_lines = [
        f"新生儿预参保登记记录（{scope}）",
        f"导出日期：{today:%Y-%m-%d}；{_filters_in_words(form)}；按登记时间排序，最新的在前；"
        "证件号码和联系电话已隐藏部分数字。",
    ]
    if truncated:
        title_lines.append(
            f"记录过多，仅导出前{EXPORT_MAX_RECORDS}条，请缩小登记日期范围或按医疗机构分别导出。"
        )
    sheet = StreamedSheet(
        "登记记录",
        EXPORT_HEADERS,
        _export_rows(records),
        title_lines=title_lines,
        widths=[8, 12, 24, 14, 6, 12, 24, 14, 14, 10, 12, 14, 20, 20],
    )
    handle = xlsx_file([sheet])
    export_record(
        user=request.user,
        kind="newborns",
        rows=sheet.written,
        full_ids=False,
        ip=client_ip(request),
        hospital=hospital,
        detail={"hospital_id": hospital.pk if hospital else None, "truncated": truncated},
    )
    filename = export_filename("登记记录", scope, f"{today:%Y-%m-%d}")
    return xlsx_response(handle, filename, fallback=f"newborns-{today:%Y%m%d}.xlsx")


def _filters_in_words(form: NewbornFilterForm) -> str:
    """The search's plain filters as the title says them (never a searched name or number)."""
    data = form.cleaned_data if form.is_bound else {}
    words = []
    if data.get("registered_from") or data.get("registered_to"):
        start, end = data.get("registered_from"), data.get("registered_to")
        words.append(f"登记日期{start.isoformat() if start else '…'}至{end.isoformat() if end else '…'}")
    if data.get("born_from") or data.get("born_to"):
        start, end = data.get("born_from"), data.get("born_to")
        words.append(f"出生日期{start.isoformat() if start else '…'}至{end.isoformat() if end else '…'}")
    if data.get("state"):
        words.append(f"状态：{Newborn.State(data['state']).label}")
    if data.get("name") or data.get("personal_number") or data.get("identity_number"):
        words.append("按姓名或号码查询")
    return "，".join(words) or "全部登记记录"


def _export_rows(records):
    """The sheet's rows from newborn_export_records' tuples (NEWBORN_EXPORT_FIELDS), numbered from 1."""
    sexes, states = dict(Sex.choices), dict(Newborn.State.choices)
    for index, record in enumerate(records, start=1):
        registered_on, hospital, name, sex, birth_date, temp_id, certificate, personal_number = record[:8]
        phone, state, last_day, first_paid, community, agency = record[8:]
        yield [
            index,
            registered_on,
            hospital,
            name,
            sexes.get(sex, sex),
            birth_date,
            mask_id_number(temp_id or certificate),  # Newborn.identity_number
            personal_number,
            mask_phone(phone),
            states.get(state, state),
            last_day,
            first_paid,
            community,
            agency or "",
        ]


def _row(newborn: Newborn, today: date) -> NewbornRow:
    pending = newborn.state == Newborn.State.REGISTERED
    return NewbornRow(
        newborn=newborn,
        identity=mask_id_number(newborn.identity_number),
        phone=mask_phone(newborn.phone),
        days_left=(newborn.last_day - today).days if pending else None,
    )


@require_safe
@access.module_access_required
def newborn_detail(request, pk):
    """GET /newborns/<pk>/: the record's own page, full numbers included, so every view is audited."""
    return _detail(request, selectors.newborn_detail_get_for_user(user=request.user, pk=pk))


def _detail(request, newborn: Newborn, *, material_form: MaterialAddForm | None = None, status: int = 200):
    audit_record(
        user=request.user,
        action=AuditEntry.Action.VIEW_ID,
        obj=newborn,
        hospital=newborn.birth.hospital,
        ip=client_ip(request),
    )
    today = timezone.localdate()
    materials = newborn.birth.materials.all()
    if material_form is None and newborn.state != Newborn.State.VOID:
        material_form = MaterialAddForm()
    context = {
        "newborn": newborn,
        "birth": newborn.birth,
        "siblings": [baby for baby in newborn.birth.newborns.all() if baby.pk != newborn.pk],
        "materials": materials,
        "materials_missing": materials_missing(
            newborn.birth.route, [material.kind for material in materials]
        ),
        "material_form": material_form,
        "card_refusal": card_state_refusal(newborn, today=today),
        "payments": newborn.payments.all(),
        "cover_note": selectors.newborn_cover_note(
            newborn, payments=[(p.paid_on, p.years) for p in newborn.payments.all()], today=today
        ),
        "history": selectors.newborn_history(newborn=newborn),
        "sms_messages": [
            (message, mask_phone(message.phone))
            for message in selectors.newborn_sms_messages(newborn=newborn)
        ],
        # Voided as a duplicate: the kept record by its masked code alone, whichever hospital keeps it.
        "duplicate_of_masked": duplicate_kept_code(newborn),
        "days_left": days_left(newborn.birth_date, today),
        "today": today,
    }
    return render(request, "registration/newborn_detail.html", context, status=status)


@require_POST
@access.module_access_required
def newborn_material_add(request, pk):
    """POST /newborns/<pk>/materials/add: a scan added to the record's registration (all its babies')."""
    newborn = selectors.newborn_detail_get_for_user(user=request.user, pk=pk)  # 404 outside the hospital
    form = MaterialAddForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            content = upload.read()
            birth_material_add(
                user=request.user,
                newborn=newborn,
                material=MaterialInput(form.cleaned_data["kind"], content, display_name(upload.name, "文件")),
                ip=client_ip(request),
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages[0])
        except OSError:
            form.add_error("file", "文件读取失败，请重新选择。")
        except StorageUnavailable:
            form.add_error("file", "文件存储服务暂时不可用，材料未保存，请稍后重新上传。")
            return _detail(request, newborn, material_form=form, status=503)
        else:
            messages.success(request, f"已补传：{Material.Kind(form.cleaned_data['kind']).label}。")
            return redirect(f"{reverse('newborn_detail', args=[newborn.pk])}#h-materials")
    # The page again with the form's errors (its full numbers: audited like any view of the page); nothing
    # was added, so the record read above is still what the page shows.
    return _detail(request, newborn, material_form=form, status=400)


@require_safe
@access.module_access_required
def material_view(request, pk, material_pk):
    """GET /newborns/<pk>/materials/<material_pk>: a scan, streamed only to those who may see the record."""
    newborn, material = selectors.material_get_for_user(
        user=request.user, newborn_pk=pk, material_pk=material_pk
    )
    try:
        handle = storage_open(material.file.name, storage=material.file.storage)
    except (FileNotFoundError, ValueError):
        raise Http404("材料文件不存在，请联系管理员。") from None
    except StorageUnavailable:
        response = render(request, "registration/storage_unavailable.html", {"newborn": newborn}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    audit_record(
        user=request.user,
        action=AuditEntry.Action.VIEW_MATERIAL,
        obj=material,
        newborn=newborn,
        hospital=newborn.birth.hospital,
        ip=client_ip(request),
    )
    extension = MATERIAL_EXTENSIONS.get(material.content_type, "bin")
    response = FileResponse(handle, content_type=material.content_type)
    # Our own name, never the uploaded one: it could carry a person's name or quote characters.
    response["Content-Disposition"] = f'inline; filename="material-{material.pk}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@access.module_access_required
def newborn_sms_decline_view(request, pk):
    """POST /newborns/<pk>/sms/decline: the family declines text messages (docs/sms.md), for every baby of
    the birth; who and when are recorded and audited."""
    newborn = selectors.newborn_detail_get_for_user(user=request.user, pk=pk)  # 404 outside the hospital
    refusal = sms_decline_refusal(newborn)
    if refusal:
        messages.info(request, refusal)
    else:
        newborn_sms_decline(newborn=newborn, user=request.user, ip=client_ip(request))
        messages.success(request, "已登记：家长拒收短信，今后不再向其发送短信。")
    return redirect(f"{reverse('newborn_detail', args=[newborn.pk])}#h-sms")
