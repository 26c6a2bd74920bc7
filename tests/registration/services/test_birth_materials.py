"""services/birth_materials.py: scans added to a saved registration (birth_material_add)."""

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from registration.models import AuditEntry, Material
from registration.rules import (
    materials_missing,
)
from registration.services.birth_materials import MaterialInput, birth_material_add
from registration.services.lifecycle import newborn_void
from tests.factories import register

pytestmark = pytest.mark.django_db


def png_bytes(color="white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, "PNG")
    return buffer.getvalue()


def scans(*kinds) -> list[MaterialInput]:
    return [MaterialInput(kind, png_bytes(), f"{kind}.png") for kind in kinds]


def test_a_scan_added_later_completes_the_registration_and_is_audited(clerk):
    newborn = register(clerk).newborns.get()
    for kind in ("household_head", "household_parent", "birth_record"):
        birth_material_add(user=clerk, newborn=newborn, material=scans(kind)[0], ip="10.0.0.7")

    assert materials_missing("parent_id", newborn.birth.materials.values_list("kind", flat=True)) == []
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, newborn=newborn)
    assert entries.count() == 3 and {entry.ip for entry in entries} == {"10.0.0.7"}
    assert {entry.detail["material_added"] for entry in entries} == {
        "household_head",
        "household_parent",
        "birth_record",
    }


def test_a_bad_scan_added_later_is_refused_and_stores_nothing(clerk):
    newborn = register(clerk).newborns.get()
    with pytest.raises(ValidationError, match="x.png"):
        birth_material_add(user=clerk, newborn=newborn, material=MaterialInput("id_card", b"%PDF-", "x.png"))
    assert not Material.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).exists()


def test_a_void_registration_takes_no_scan(clerk):
    newborn = register(clerk).newborns.get()
    newborn_void(newborn=newborn, user=clerk, reason="登记错误")
    newborn.refresh_from_db()
    with pytest.raises(ValidationError, match="已作废"):
        birth_material_add(user=clerk, newborn=newborn, material=scans("id_card")[0])
    assert not Material.objects.exists()
