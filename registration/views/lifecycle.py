"""A record's lifecycle from its own page (issue 5): payment, void by hand, formal enrollment, special group.

Each action is a page of its own reached from the record's page: GET shows the form (or why the action
is not available in the record's state), POST calls the service and redirects back to the record with a
message; on an error the page comes back with what was typed and the reason next to the field.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from registration import access, selectors
from registration.forms.lifecycle import FormalizeForm, PaymentForm, SpecialGroupForm, VoidForm
from registration.http import client_ip
from registration.masking import mask_id_number
from registration.models import Newborn
from registration.rules import format_date_zh
from registration.services.lifecycle import (
    formalize_refusal,
    newborn_formalize,
    newborn_special_group_set,
    newborn_void,
    payment_record,
    payment_refusal,
    special_group_refusal,
    void_refusal,
)


def _errors_apply(form: forms.Form, error: ValidationError) -> None:
    """Put a service's messages next to the fields they name; the rest above the form."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for name, field_messages in error.message_dict.items():
        for message in field_messages:
            form.add_error(name if name in form.fields else None, message)


def _page(request, template: str, newborn: Newborn, form, blocked: str | None, status: int = 200):
    # Masked: the full number is shown (and its view audited) on the record's own page only.
    identity = mask_id_number(newborn.identity_number)
    context = {"newborn": newborn, "identity_masked": identity, "form": form, "blocked": blocked}
    context["today"] = timezone.localdate()
    return render(request, f"registration/lifecycle/{template}", context, status=status)


def _status(form: forms.Form) -> int:
    # A refused POST is the client's to correct: 400, the page showing why.
    return 400 if form.is_bound and form.errors else 200


@require_http_methods(["GET", "POST"])
@access.module_access_required
def newborn_payment(request, pk):
    """GET/POST /newborns/<pk>/payment: record a payment that arrived (到账日期, 缴费年度, 凭证号)."""
    newborn = selectors.newborn_get_for_user(user=request.user, pk=pk)  # 404 outside the hospital
    today = timezone.localdate()
    blocked = payment_refusal(newborn)
    form = PaymentForm(request.POST if request.method == "POST" else None, newborn=newborn, today=today)
    if request.method == "POST" and form.is_valid():
        try:
            payment_record(
                newborn=newborn, user=request.user, today=today, ip=client_ip(request), **form.cleaned_data
            )
        except ValidationError as error:
            _errors_apply(form, error)
        else:
            newborn.refresh_from_db(fields=["state", "benefit_start", "benefit_rule"])
            if newborn.state == Newborn.State.VOID:
                # Arrived after the last day: kept, the record stays void (docs/rules.md).
                messages.warning(request, f"缴费已录入，记录保持作废。{newborn.benefit_rule}")
            else:
                messages.success(
                    request,
                    f"缴费已录入。待遇享受起始日：{format_date_zh(newborn.benefit_start)}（{newborn.benefit_rule}）",
                )
            return redirect("newborn_detail", pk=newborn.pk)
    return _page(request, "payment.html", newborn, form, blocked, _status(form))


@require_http_methods(["GET", "POST"])
@access.module_access_required
def newborn_void_view(request, pk):
    """GET/POST /newborns/<pk>/void: void a record by hand, with a reason and a confirmation."""
    newborn = selectors.newborn_get_for_user(user=request.user, pk=pk)
    form = VoidForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            newborn_void(
                newborn=newborn, user=request.user, reason=form.cleaned_data["reason"], ip=client_ip(request)
            )
        except ValidationError as error:
            _errors_apply(form, error)
        else:
            messages.success(
                request,
                f"记录已作废。新生儿编码 {mask_id_number(newborn.identity_number)} 保留为已签发，"
                "不会再分配给其他孩子。",
            )
            return redirect("newborn_detail", pk=newborn.pk)
    return _page(request, "void.html", newborn, form, void_refusal(newborn), _status(form))


@require_http_methods(["GET", "POST"])
@access.module_access_required
def newborn_formalize_view(request, pk):
    """GET/POST /newborns/<pk>/formalize: the baby's real name and 18-digit ID (正式参保)."""
    newborn = selectors.newborn_get_for_user(user=request.user, pk=pk)
    form = FormalizeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            newborn_formalize(newborn=newborn, user=request.user, ip=client_ip(request), **form.cleaned_data)
        except ValidationError as error:
            _errors_apply(form, error)
        else:
            messages.success(
                request,
                f"已办理正式参保：{form.cleaned_data['real_name']}。"
                f"原新生儿编码 {mask_id_number(newborn.identity_number)} 保留为历史记录。",
            )
            return redirect("newborn_detail", pk=newborn.pk)
    return _page(request, "formalize.html", newborn, form, formalize_refusal(newborn), _status(form))


@require_http_methods(["GET", "POST"])
@access.module_access_required
def newborn_special_group_view(request, pk):
    """GET/POST /newborns/<pk>/special-group: flag or unflag the record as a special group (特殊人群)."""
    newborn = selectors.newborn_get_for_user(user=request.user, pk=pk)
    blocked = special_group_refusal(newborn)
    form = SpecialGroupForm(
        request.POST if request.method == "POST" else None, initial={"special_group": newborn.special_group}
    )
    if request.method == "POST" and form.is_valid():
        try:
            newborn_special_group_set(
                newborn=newborn, user=request.user, ip=client_ip(request), **form.cleaned_data
            )
        except ValidationError as error:
            _errors_apply(form, error)
        else:
            group = form.cleaned_data["special_group"]
            label = Newborn.SpecialGroup(group).label
            messages.success(request, f"已标记为特殊人群：{label}。" if group else "已取消特殊人群标记。")
            return redirect("newborn_detail", pk=newborn.pk)
    return _page(request, "special_group.html", newborn, form, blocked, _status(form))
