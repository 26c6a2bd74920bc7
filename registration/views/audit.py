"""The audit log page (issue 6, item 2): supervisors read their hospital's entries, administrators all.

Nothing here writes: the log is append-only (the database refuses changes, registration/audit_triggers.py).
Every number shown is masked, whatever was stored.
"""

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from registration import selectors
from registration.logging import mask_sensitive
from registration.models import AuditEntry, Hospital
from registration.permissions import supervisor_required
from registration.validators import (
    MAX_INPUT_LENGTH,
    birth_certificate_number_validate,
    personal_number_validate,
    temp_id_validate,
)

PAGE_SIZE = 50
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AuditFilterForm(forms.Form):
    """The log's filters; `newborn` (a record's id) comes from a record's own page."""

    date_from = forms.DateField(label="日期从", required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label="至", required=False, widget=DATE_INPUT)
    action = forms.ChoiceField(
        label="操作", required=False, choices=[("", "全部"), *AuditEntry.Action.choices]
    )
    username = forms.CharField(label="用户名", required=False, max_length=150)
    hospital = forms.ModelChoiceField(
        label="医疗机构", required=False, queryset=Hospital.objects.order_by("code"), empty_label="全部"
    )
    record = forms.CharField(
        label="个人编号/新生儿编码/出生医学证明编号",
        required=False,
        max_length=MAX_INPUT_LENGTH,
        help_text="完整号码，区分大小写。",
    )
    newborn = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)

    def __init__(self, *args, administrator: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not administrator:  # a supervisor's entries are all their own hospital's
            del self.fields["hospital"]

    def clean_username(self) -> str:
        value = self.cleaned_data["username"].strip()
        if any(not char.isprintable() for char in value):
            raise ValidationError("用户名包含无效字符。")
        return value

    def clean_record(self) -> dict:
        value = "".join(self.cleaned_data["record"].split())
        if not value:
            return {}
        if value.isascii() and value.isdigit() and len(value) == 10:
            return {"personal_number": personal_number_validate(value)}
        if len(value) >= 18:
            return {"identity_number": temp_id_validate(value)}
        return {"identity_number": birth_certificate_number_validate(value)}

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise ValidationError("起始日期不能晚于截止日期。")
        return data


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


@never_cache
@require_safe
@supervisor_required
def audit_list(request):
    """GET /audit/: the audit log, filtered, 50 entries a page, newest first."""
    administrator = selectors.user_is_administrator(request.user)
    form = AuditFilterForm(request.GET or None, administrator=administrator)
    filters = {}
    if form.is_bound:
        filters = _filters(request, form) if form.is_valid() else None
    entries = (
        selectors.audit_entries_for_user(user=request.user, **filters)
        if filters is not None
        else AuditEntry.objects.none()
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [_row(entry) for entry in page],
        "show_hospital": administrator,
    }
    return render(request, "registration/audit_list.html", context)
