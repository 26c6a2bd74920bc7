"""services/birth_materials.py: scans added to a saved registration (birth_material_add)."""

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image

from registration.models import AuditEntry, Material
from registration.rules import materials_missing
from registration.services.birth_materials import MaterialInput, birth_material_add
from registration.services.lifecycle import newborn_void
from tests import factories
from tests.factories import register
from tests.registration.services.conftest import jpeg_with_gps, scans

pytestmark = pytest.mark.django_db


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


def test_it_stores_a_registrations_photo_without_its_gps_position(clerk):
    birth = factories.register(
        clerk, materials=[MaterialInput("household_head", jpeg_with_gps(), "户主页.jpg")]
    )

    material = birth.materials.get()
    stored = default_storage.open(material.file.name).read()
    assert b"Exif" not in stored
    assert material.sha256 == hashlib.sha256(stored).hexdigest()
    assert material.size == len(stored)


def test_it_refuses_a_registrations_bomb_with_the_files_name(clerk):
    buffer = io.BytesIO()
    Image.new("1", (10_000, 7_000), 0).save(buffer, "PNG")

    with pytest.raises(ValidationError) as error:
        factories.register(
            clerk, materials=[MaterialInput("household_head", buffer.getvalue(), "户主页.png")]
        )

    assert "户主页.png：图片尺寸过大" in str(error.value)
    assert not Material.objects.exists()
