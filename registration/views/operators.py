"""Operators and their module access (附件1, issue 5 item 7).

A hospital's supervisor requests access for a clerk (a new one, whose account is created with a one-time
password shown once, or an existing one); a 医保中心 administrator grants or withdraws it. The list
exports as 附件1's form, with full ID numbers: the 医保中心 needs them, and only supervisors (their
hospital's) and administrators reach this page.
"""

from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from registration import access, selectors
from registration.forms.operators import OperatorFilterForm, OperatorRequestForm, OperatorWithdrawForm
from registration.http import client_ip
from registration.masking import mask_id_number
from registration.models import Division, Operator
from registration.services.exports import (
    XLSX_CONTENT_TYPE,
    Sheet,
    attachment_disposition,
    export_filename,
    export_record,
    xlsx_build,
)
from registration.services.operators import (
    DECISIONS,
    operator_access_decide,
    operator_access_request,
    operator_request_new,
)

FORM_TITLE = "开通“新生儿参保登记”模块操作人员信息登记表"
FORM_HEADERS = ["序号", "医疗机构所属区", "经办人姓名", "身份证号码", "联系电话", "备注"]
# The 附件1 form lists the people to be enabled: those asked for and those already enabled.
EXPORTED_BY_DEFAULT = [Operator.Access.REQUESTED, Operator.Access.GRANTED]
MAX_OPERATORS = 2000  # every hospital's operators together are a few hundred
WITHDRAWABLE = DECISIONS["withdraw"][1]


def _filters(request):
    """(hospital or None, access) from the query; 404 for a hospital the user may not see."""
    form = OperatorFilterForm(request.GET)
    if not form.is_valid():
        return None, "", "筛选条件无效。"
    hospital = None
    if form.cleaned_data["hospital"] is not None:
        hospital = selectors.hospital_get_for_user(user=request.user, pk=form.cleaned_data["hospital"])
    return hospital, form.cleaned_data["access"], ""


@never_cache
@require_safe
@access.supervisor_required
def operator_list(request):
    """GET /operators/: the hospital's operators (administrators: every hospital's) and their access."""
    hospital, access_state, error = _filters(request)
    administrator = access.user_is_administrator(request.user)
    if error:
        return denied_400(request, error)
    operators = list(
        selectors.operators_for_user(
            user=request.user,
            hospital_id=hospital.pk if hospital else None,
            access=access_state,
            # The administrator's work first: the requests waiting for a decision.
            pending_first=administrator,
        )[:MAX_OPERATORS]
    )
    districts = {operator.hospital_id: district_name(operator.hospital) for operator in operators}
    rows = [
        {
            "operator": operator,
            "id_masked": mask_id_number(operator.id_number),
            "district": districts[operator.hospital_id],
        }
        for operator in operators
    ]
    # API clients' service accounts are no 经办人员 (never in the list above nor in 附件1): shown apart.
    api_clients = list(
        selectors.api_clients_for_user(user=request.user, hospital_id=hospital.pk if hospital else None)[
            :MAX_OPERATORS
        ]
    )
    context = {
        "rows": rows,
        "api_clients": api_clients,
        "administrator": administrator,
        "hospitals": list(selectors.hospitals_for_user(user=request.user)) if administrator else [],
        "hospital": hospital,
        "access": access_state,
        "access_choices": Operator.Access.choices,
        "requested_count": sum(1 for operator in operators if operator.access == Operator.Access.REQUESTED),
        "query": request.GET.urlencode(),
    }
    return render(request, "registration/operators.html", context)


def denied_400(request, reason: str):
    return render(request, "registration/denied.html", {"denied_reason": reason}, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
@access.supervisor_required
def operator_request(request):
    """GET/POST /operators/request/: a supervisor asks access for a new clerk; the password is shown once."""
    supervisor = access.user_operator(request.user)
    if supervisor is None:
        return access.denied(
            request, "管理员请在管理后台添加操作人员；此页供医疗机构主管为本院经办人申请开通模块权限。"
        )
    hospital = supervisor.hospital
    form = OperatorRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            operator, password = operator_request_new(
                hospital=hospital, data=form.operator_input(), user=request.user, ip=client_ip(request)
            )
        except ValidationError as error:
            _errors_apply(form, error)
        else:
            context = {
                "operator": operator,
                "password": password,
                "hospital": hospital,
                "temporary_password_days": settings.TEMPORARY_PASSWORD_DAYS,
            }
            response = render(request, "registration/operators_created.html", context)
            response["Cache-Control"] = "no-store"
            return response
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "hospital": hospital, "district": district_name(hospital)}
    return render(request, "registration/operators_request.html", context, status=status)


def _errors_apply(form: forms.Form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, field_messages in error.message_dict.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


@require_POST
@access.supervisor_required
def operator_request_existing(request, pk):
    """POST /operators/<pk>/request: a supervisor asks access for an operator of their hospital."""
    if access.user_operator(request.user) is None:
        return access.denied(request, "管理员可直接开通模块权限，无需申请。")
    operator = selectors.operator_get_for_user(user=request.user, pk=pk)  # 404 outside the hospital
    try:
        operator_access_request(operator=operator, user=request.user, ip=client_ip(request))
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("operator_list")
    messages.success(request, f"已为{operator.real_name}申请开通“新生儿参保登记”模块权限，待医保中心审核。")
    return redirect("operator_list")


@require_POST
@access.administrator_required
def operator_access(request, pk):
    """POST /operators/<pk>/access (decision=grant): an administrator grants access in one click; a
    withdrawal (decision=withdraw) is sent to its confirmation page, which asks for the reason."""
    operator = selectors.operator_get_for_user(user=request.user, pk=pk)
    decision = request.POST.get("decision", "")
    next_query = _next_query(request.POST.get("next", ""))
    if decision == "withdraw":
        url = reverse("operator_withdraw", args=[operator.pk])
        return redirect(f"{url}?next={quote(next_query)}" if next_query else url)
    try:
        operator = operator_access_decide(
            operator=operator, decision=decision, user=request.user, ip=client_ip(request)
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"已开通{operator.real_name}（{operator.hospital.name}）的模块权限。")
    return _back_to_list(next_query)


@never_cache
@require_http_methods(["GET", "POST"])
@access.administrator_required
def operator_withdraw(request, pk):
    """GET/POST /operators/<pk>/withdraw: withdraw (撤销) or refuse (不予开通) access, confirmed, with a
    reason."""
    operator = selectors.operator_get_for_user(user=request.user, pk=pk)
    next_query = _next_query((request.POST if request.method == "POST" else request.GET).get("next", ""))
    initial = {"next": next_query}
    form = OperatorWithdrawForm(request.POST if request.method == "POST" else None, initial=initial)
    verb = "不予开通" if operator.access == Operator.Access.REQUESTED else "撤销"
    blocked = None
    if operator.access not in WITHDRAWABLE:
        blocked = f"该经办人员的模块权限为“{operator.get_access_display()}”，不能撤销。"
    if request.method == "POST" and blocked is None and form.is_valid():
        try:
            operator_access_decide(
                operator=operator,
                decision="withdraw",
                reason=form.cleaned_data["reason"],
                user=request.user,
                ip=client_ip(request),
            )
        except ValidationError as error:
            _errors_apply(form, error)
        else:
            messages.success(
                request, f"已{verb}{operator.real_name}（{operator.hospital.name}）的模块权限，原因已记录。"
            )
            return _back_to_list(next_query)
    context = {
        "operator": operator,
        "form": form,
        "verb": verb,
        "blocked": blocked,
        "district": district_name(operator.hospital),
        "id_masked": mask_id_number(operator.id_number),
        "next_query": next_query,
    }
    status = 400 if request.method == "POST" and (form.errors or blocked) else 200
    return render(request, "registration/operators_withdraw.html", context, status=status)


def _next_query(value: str) -> str:
    # Only our own list's query string goes back into a redirect: never a URL from the request.
    if value and value.isascii() and "/" not in value and len(value) < 200:
        return value
    return ""


def _back_to_list(next_query: str):
    if next_query:
        return redirect(f"{reverse('operator_list')}?{next_query}")
    return redirect("operator_list")


@never_cache
@require_safe
@access.supervisor_required
def operator_export(request):
    """GET /operators/export.xlsx: 附件1's form per hospital, full ID numbers, audited as EXPORT."""
    hospital, access_state, error = _filters(request)
    if error:
        return denied_400(request, error)
    operators = selectors.operators_for_user(
        user=request.user,
        hospital_id=hospital.pk if hospital else None,
        access=access_state,
        access_in=() if access_state else EXPORTED_BY_DEFAULT,
    )
    operators = list(operators[:MAX_OPERATORS])
    by_hospital: dict[int, list[Operator]] = {}
    for operator in operators:
        by_hospital.setdefault(operator.hospital_id, []).append(operator)
    today = timezone.localdate()
    sheets = [_form_sheet(rows[0].hospital, rows, today) for rows in by_hospital.values()]
    own = hospital or getattr(access.user_operator(request.user), "hospital", None)
    if not sheets and own is not None:
        sheets = [_form_sheet(own, [], today)]  # the empty form, ready to be filled in
    if not sheets:
        sheets = [Sheet("附件1", FORM_HEADERS, [], title_lines=[FORM_TITLE, "没有符合条件的经办人员。"])]
    export_record(
        user=request.user,
        kind="operators",
        rows=len(operators),
        full_ids=True,
        ip=client_ip(request),
        hospital=hospital,
        detail={
            "hospital_id": hospital.pk if hospital else None,
            "access": access_state or "requested,granted",
        },
    )
    response = HttpResponse(xlsx_build(sheets), content_type=XLSX_CONTENT_TYPE)
    scope = own.name if own is not None else "全部医疗机构"
    filename = export_filename("附件1经办人员", scope, f"{today:%Y-%m-%d}")
    response["Content-Disposition"] = attachment_disposition(filename, f"operators-{today:%Y%m%d}.xlsx")
    response["Cache-Control"] = "private, no-store"
    return response


def district_name(hospital) -> str:
    """The hospital's 所属区 (附件1): its division, or the county (区县) above it when it is finer."""
    division = hospital.division
    while division.level > Division.Level.COUNTY and division.parent_id is not None:
        division = division.parent
    return division.name


def _form_sheet(hospital, operators: list[Operator], today) -> Sheet:
    district = district_name(hospital)
    rows = [
        [
            index,
            district,
            operator.real_name,
            operator.id_number,
            operator.phone,
            operator.remark,
        ]
        for index, operator in enumerate(operators, start=1)
    ]
    return Sheet(
        hospital.code,
        FORM_HEADERS,
        rows,
        title_lines=[
            FORM_TITLE,
            f"医疗机构名称（盖章）：{hospital.name}",
            f"填报时间：{today.year}年{today.month}月{today.day}日",
        ],
        widths=[6, 16, 14, 22, 16, 30],
        text_columns={4, 5},
    )
