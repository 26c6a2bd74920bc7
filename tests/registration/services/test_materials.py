"""services/materials.py: uploads judged by content, images re-encoded without metadata, PDFs complete,
bombs refused."""

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image
from pypdf import PdfWriter

from registration.services.materials import material_clean
from tests.registration.services.conftest import GPS_IFD, jpeg_with_gps


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


MAX = 10 * 1024 * 1024


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "taken at 22.8N 108.3E")
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def pdf_bytes(pages: int = 1, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_it_strips_exif_gps_and_comments_from_a_jpeg():
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)

    content_type, cleaned = material_clean(original, max_bytes=MAX)

    image = Image.open(io.BytesIO(cleaned))
    assert content_type == "image/jpeg"
    assert not image.getexif()
    assert "comment" not in image.info
    assert b"Exif" not in cleaned
    assert b"450103199003070022" not in cleaned
    assert image.size == (40, 20)
    assert image.convert("RGB").getpixel((20, 10)) == pytest.approx((200, 30, 30), abs=6)


def test_it_turns_a_sideways_photo_upright_before_dropping_the_orientation():
    _, cleaned = material_clean(jpeg_with_gps(size=(40, 20), orientation=6), max_bytes=MAX)

    assert Image.open(io.BytesIO(cleaned)).size == (20, 40)


def test_it_strips_text_chunks_from_a_png():
    content_type, cleaned = material_clean(png_with_text(), max_bytes=MAX)

    assert content_type == "image/png"
    assert b"tEXt" not in cleaned
    assert b"108.3E" not in cleaned
    assert Image.open(io.BytesIO(cleaned)).size == (16, 16)


def test_it_drops_bytes_hidden_after_the_image():
    _, clean = material_clean(jpeg_with_gps(), max_bytes=MAX)

    _, cleaned = material_clean(clean + b"<script>alert(1)</script>", max_bytes=MAX)

    assert b"<script>" not in cleaned


def test_it_keeps_a_clean_image_byte_for_byte():
    _, once = material_clean(jpeg_with_gps(), max_bytes=MAX)
    _, png_once = material_clean(png_with_text(), max_bytes=MAX)

    assert material_clean(once, max_bytes=MAX)[1] == once  # no second lossy encoding
    assert material_clean(png_once, max_bytes=MAX)[1] == png_once


def test_it_refuses_a_decompression_bomb_before_decoding_it():
    buffer = io.BytesIO()
    Image.new("1", (10_000, 7_000), 0).save(buffer, "PNG")  # 70 million pixels in a few kilobytes
    bomb = buffer.getvalue()
    assert len(bomb) < 100_000

    with pytest.raises(ValidationError) as error:
        material_clean(bomb, max_bytes=MAX)

    assert error.value.code == "too_many_pixels"
    assert "图片尺寸过大" in error.value.messages[0]


def test_it_refuses_what_pillows_own_limit_refuses(settings):
    settings.MATERIAL_MAX_PIXELS = 10**12
    buffer = io.BytesIO()
    Image.new("1", (20_000, 10_000), 0).save(buffer, "PNG")  # past Pillow's 2 × 89 million pixels

    with pytest.raises(ValidationError) as error:
        material_clean(buffer.getvalue(), max_bytes=MAX)

    assert error.value.code == "too_many_pixels"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty"),
        (b"GIF89a" + b"\0" * 20, "type"),
        (b"<html><script>alert(1)</script></html>", "type"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 50, "corrupt"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "corrupt"),
        (b"%PDF-1.4\n1 0 obj\n", "truncated"),
        (b"%PDF-1.4\nnot a pdf at all\n%%EOF\n", "truncated"),
    ],
)
def test_it_refuses_bad_files_with_a_chinese_message(content, code):
    with pytest.raises(ValidationError) as error:
        material_clean(content, max_bytes=MAX)

    assert error.value.code == code
    assert any("\u4e00" <= char <= "\u9fff" for char in error.value.messages[0])


def test_it_refuses_a_truncated_jpeg_and_png():
    import weasyprint  # noqa: F401  (it tells Pillow to accept truncated images, process-wide)

    noise = Image.effect_noise((200, 200), 50).convert("RGB")
    for fmt in ("JPEG", "PNG"):
        buffer = io.BytesIO()
        noise.save(buffer, fmt)
        content = buffer.getvalue()

        with pytest.raises(ValidationError, match="损坏或不完整"):
            material_clean(content[: len(content) // 2], max_bytes=MAX)


def test_it_keeps_a_complete_pdf_as_it_is_and_refuses_a_truncated_or_encrypted_one():
    pdf = pdf_bytes(pages=2)

    assert material_clean(pdf, max_bytes=MAX) == ("application/pdf", pdf)
    with pytest.raises(ValidationError, match="不完整"):
        material_clean(pdf[: len(pdf) - 200], max_bytes=MAX)
    with pytest.raises(ValidationError, match="密码"):
        material_clean(pdf_bytes(password="secret"), max_bytes=MAX)


def test_it_refuses_a_file_over_the_size_limit():
    with pytest.raises(ValidationError, match="MB"):
        material_clean(jpeg_with_gps(), max_bytes=100)
