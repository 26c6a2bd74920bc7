"""What an admin form changed, field by field, with the old and the new value, for its audit entry.

The audit log never holds a full ID number or phone (docs/rules.md, Who uses it): such fields are masked as
the lists mask them, in the values and in the words alike.
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from registration.masking import mask_id_number, mask_phone

EMPTY = "（空）"
YES_NO = {True: "是", False: "否"}
# Fields holding an identity number under a name that does not say so.
ID_NUMBER_FIELDS = frozenset({"number", "temp_id", "birth_certificate_number"})


def field_masker(name: str) -> Callable[[str], str] | None:
    """The masking of a field's values in the log: ID numbers and phones, by the field's name."""
    if name.endswith("id_number") or name in ID_NUMBER_FIELDS:
        return mask_id_number
    if name.endswith("phone"):
        return mask_phone
    return None


def logged_value(value):
    """A value as JSON keeps it: numbers, text and lists as they are, the rest as text."""
    match value:
        case None | bool() | int() | str():
            return value
        case Decimal():
            return str(value)
        case datetime():
            return (
                timezone.localtime(value).isoformat(timespec="seconds")
                if timezone.is_aware(value)
                else (value.isoformat(timespec="seconds"))
            )
        case date():
            return value.isoformat()
        case list() | tuple():
            return [logged_value(item) for item in value]
        case models.Model():
            return str(value)
    return str(value)


def value_words(field: models.Field | None, value) -> str:
    """A logged value as a person reads it: 是/否, a choice's label, a list joined, （空）."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return YES_NO[value]
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return str(value)


def _related_text(field: models.Field, pk) -> str | None:
    if pk in (None, ""):
        return None
    related = field.remote_field.model._base_manager.filter(pk=pk).first()
    return str(related) if related is not None else str(pk)


def form_changes(form, obj: models.Model, *, added: bool, skip=()) -> dict:
    """{field: [old, new]} of the form's changed model fields ({field: {added, removed}} for a set);
    old is None for a new object. `skip`: fields saved elsewhere (by a service, with its own entry)."""
    changes = {}
    for name in form.changed_data:
        if name in skip:
            continue
        try:
            field = obj._meta.get_field(name)
        except FieldDoesNotExist:
            continue  # a form's own field (a reason, a confirmation): not a column
        if field.many_to_many:
            before = {str(item) for item in form.initial.get(name, [])} if not added else set()
            after = {str(item) for item in form.cleaned_data.get(name) or []}
            changes[name] = {"added": sorted(after - before), "removed": sorted(before - after)}
            continue
        if field.is_relation:
            old = None if added else _related_text(field, form.initial.get(name))
            new = _related_text(field, getattr(obj, field.attname))
        else:
            old = None if added else logged_value(form.initial.get(name))
            new = logged_value(getattr(obj, field.attname))
        if masker := field_masker(name):
            old, new = (masker(value) if isinstance(value, str) else value for value in (old, new))
        changes[name] = [old, new]
    return changes


def changes_words(model: type[models.Model], changes: dict) -> str:
    """The changes as a sentence: 启用：是 → 否，机构名称：A → B; a set's 增加/移除."""
    parts = []
    for name, change in changes.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        label = str(field.verbose_name) if field is not None else name
        if isinstance(change, dict):
            moves = [f"增加 {'、'.join(change['added'])}" if change.get("added") else ""]
            moves.append(f"移除 {'、'.join(change['removed'])}" if change.get("removed") else "")
            parts.append(f"{label}：{'；'.join(move for move in moves if move)}")
        else:
            old, new = change
            parts.append(f"{label}：{value_words(field, old)} → {value_words(field, new)}")
    return "，".join(parts)
