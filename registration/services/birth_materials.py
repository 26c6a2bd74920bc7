"""The scans of a registration (附件2 资料收集): checked, stored under random names, added later.

newborn_register stores the scans that came with the page; birth_material_add those a clerk uploads on a
saved record's page (the scans were deferred, or a page is scanned again).
"""

import hashlib
import uuid
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registration import rules
from registration.models import AuditEntry, Birth, Material, Newborn
from registration.services.audit import audit_record
from registration.services.materials import material_clean
from registration.services.storage import storage_delete_quietly, storage_save

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


@dataclass(frozen=True)
class MaterialInput:
    kind: str
    content: bytes
    original_name: str = ""


def materials_checked(materials) -> tuple[list[tuple[MaterialInput, str]], list[tuple[str, str]]]:
    """The materials cleaned, with their content types, and the problems as ("materials.N", message)."""
    checked, problems = [], []
    for index, material in enumerate(materials):
        if material.kind not in Material.Kind.values:
            problems.append((f"materials.{index}", "材料类型无效。"))
            continue
        try:
            # Checked by content; images re-encoded without their metadata (EXIF GPS), PDFs validated.
            content_type, content = material_clean(material.content, max_bytes=settings.MATERIAL_MAX_BYTES)
        except ValidationError as exc:
            problems.append((f"materials.{index}", f"{material.original_name or '文件'}：{exc.messages[0]}"))
            continue
        checked.append((replace(material, content=content), content_type))
    return checked, problems


def material_store(material: MaterialInput, content_type: str) -> str:
    """Write a cleaned material's bytes; the stored name, random: the original may carry a family's name.

    Raises StorageUnavailable when the file storage cannot take it.
    """
    name = f"materials/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.{EXTENSIONS[content_type]}"
    return storage_save(name, material.content)


def materials_store(checked: list[tuple[MaterialInput, str]]) -> list[str]:
    """Write every cleaned material, or none: when one cannot be stored, those already written are removed
    again (as far as the store lets) and StorageUnavailable is raised."""
    stored = []
    try:
        for material, content_type in checked:
            stored.append(material_store(material, content_type))
    except BaseException:
        for name in stored:
            storage_delete_quietly(name)
        raise
    return stored


def material_row(birth: Birth, material: MaterialInput, content_type: str, name: str, user) -> Material:
    """The row of a cleaned material already stored under `name` (not saved)."""
    return Material(
        birth=birth,
        kind=material.kind,
        file=name,
        content_type=content_type,
        size=len(material.content),
        sha256=hashlib.sha256(material.content).hexdigest(),
        original_name=material.original_name[:255],
        uploaded_by=user,
    )


def birth_materials_pending_refresh(birth: Birth) -> bool:
    """Birth.materials_pending anew from the birth's scans (rules.materials_missing): after a scan is added,
    or its kind changed in the admin. Returns the value."""
    kinds = Material.objects.filter(birth=birth).values_list("kind", flat=True)
    pending = bool(rules.materials_missing(birth.route, kinds))
    Birth.objects.filter(pk=birth.pk).update(materials_pending=pending)
    birth.materials_pending = pending
    return pending


def birth_material_add(*, user, newborn: Newborn, material: MaterialInput, ip: str | None = None) -> Material:
    """Add a scan to a saved registration (its materials deferred, or a page scanned again); audited.

    The caller has checked that the user may see the record (selectors); a void record takes nothing.
    Raises ValidationError (Chinese) for a bad file or a void record, StorageUnavailable when the file
    storage cannot take the file (nothing is added).
    """
    if newborn.state == Newborn.State.VOID:
        raise ValidationError("该记录已作废，不能再补传材料。", code="void")
    checked, problems = materials_checked([material])
    if problems:
        raise ValidationError([message for _, message in problems])
    ((cleaned, content_type),) = checked
    name = material_store(cleaned, content_type)  # before the transaction: no file I/O inside it
    try:
        with transaction.atomic():
            added = material_row(newborn.birth, cleaned, content_type, name, user)
            added.save()
            birth_materials_pending_refresh(newborn.birth)
            audit_record(
                user=user,
                action=AuditEntry.Action.UPDATE,
                obj=newborn,
                hospital=newborn.birth.hospital,
                ip=ip,
                detail={"material_added": cleaned.kind, "material": added.pk},
            )
    except Exception:
        storage_delete_quietly(name)
        raise
    return added
