"""services/materials.py: what a scan must be (its type judged by content) and why a bad one is refused."""

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from registration.services.materials import material_clean


def _png(size=(4, 4)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_material_type_is_judged_by_content():
    assert material_clean(_png(), max_bytes=10_000)[0] == "image/png"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "空的"),
        (b"MZ\x90\x00 not a scan", "只能上传"),
        (_png()[:40], "损坏"),
        (b"%PDF-1.4 cut short", "不完整"),
        (b"\xff\xd8\xff" + b"0" * 20_000, "超过"),
    ],
)
def test_bad_materials_are_refused_with_a_reason(content, message):
    with pytest.raises(ValidationError, match=message):
        material_clean(content, max_bytes=10_000)
