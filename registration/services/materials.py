"""Uploaded scans and photos, judged by their content and cleaned before they are stored (issue 6, item 3).

Images are decoded and written again, which drops everything but the pixels: EXIF (a phone photo's GPS
position, the camera owner's name), XMP, comments and any bytes hidden after the image. The EXIF
orientation is applied first, so a photo taken sideways stays upright. PDFs are kept byte for byte (a
scanner's PDF may be signed) but must be complete and readable, and not encrypted.
"""

import io
import struct
import threading
import warnings
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageFile, ImageOps

from registration.validators import MATERIAL_SIGNATURES

# An A4 page scanned at 600 dpi has 35 million pixels, a 48-megapixel phone photo 48 million. Anything
# much larger is a mistake or a decompression bomb (a small file that decodes to gigabytes).
DEFAULT_MAX_PIXELS = 60_000_000
JPEG_QUALITY = 90

# JPEG segments that carry no personal data: JFIF, the ICC colour profile, Adobe's colour transform.
_JPEG_CLEAN_SEGMENTS = {("APP0", b"JFIF"), ("APP2", b"ICC_PROFILE"), ("APP14", b"Adobe")}
# PNG chunks that carry no text, dates or EXIF.
_PNG_CLEAN_CHUNKS = {
    b"IHDR",
    b"PLTE",
    b"tRNS",
    b"IDAT",
    b"IEND",
    b"gAMA",
    b"cHRM",
    b"sRGB",
    b"iCCP",
    b"sBIT",
    b"bKGD",
    b"pHYs",
}


_strict_decoding_lock = threading.Lock()


@contextmanager
def _strict_decoding():
    """Pillow refusing truncated files while the block runs.

    WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES on import, after which a half-uploaded
    scan decodes silently with its missing part painted grey. The lock keeps two uploads from restoring
    the flag under each other.
    """
    with _strict_decoding_lock:
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def material_clean(content: bytes, *, max_bytes: int) -> tuple[str, bytes]:
    """The upload's type by content and the bytes to store; a Chinese ValidationError for a bad file."""
    if not content:
        raise ValidationError("上传的文件是空的。", code="empty")
    if len(content) > max_bytes:
        raise ValidationError(
            f"上传的文件超过 {max_bytes // (1024 * 1024)} MB，请压缩后再上传。", code="too_large"
        )
    content_type = next(
        (kind for signature, kind in MATERIAL_SIGNATURES if content.startswith(signature)), None
    )
    if content_type is None:
        raise ValidationError("只能上传 JPEG、PNG 图片或 PDF 文件。", code="type")
    if content_type == "application/pdf":
        _pdf_check(content)
        return content_type, content
    return content_type, _image_clean(content, content_type)


def _max_pixels() -> int:
    return getattr(settings, "MATERIAL_MAX_PIXELS", DEFAULT_MAX_PIXELS)


def _too_many_pixels(width: int, height: int) -> ValidationError:
    return ValidationError(
        f"图片尺寸过大（{width}×{height} 像素），请降低分辨率（例如以 300 dpi 扫描）后再上传。",
        code="too_many_pixels",
    )


def _image_clean(content: bytes, content_type: str) -> bytes:
    corrupt = ValidationError("图片文件已损坏或不完整，请重新拍摄或扫描。", code="corrupt")
    try:
        with warnings.catch_warnings():
            # Pillow warns, then refuses, past its own limit; ours is lower and checked before decoding.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                if width * height > _max_pixels():
                    raise _too_many_pixels(width, height)
                # A phone's photo may be MPO: a JPEG with more pictures after the first (stored alone).
                expected = {"JPEG", "MPO"} if content_type == "image/jpeg" else {"PNG"}
                if image.format not in expected:
                    raise corrupt
                with _strict_decoding():
                    image.load()  # every pixel decoded: a truncated scan fails here, not on a reader's screen
                if _already_clean(image, content):
                    return content
                return _encode(image)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            "图片尺寸过大，请降低分辨率（例如以 300 dpi 扫描）后再上传。", code="too_many_pixels"
        ) from None
    except Exception:  # Pillow raises many types for bad data; each means the same to the clerk
        raise corrupt from None


def _already_clean(image: Image.Image, content: bytes) -> bool:
    """Whether the file holds nothing but pixels (and a colour profile): storing it again changes nothing.

    Spares a second lossy JPEG encoding when a staged upload, cleaned once, is finally saved.
    """
    if image.format == "JPEG":
        segments = {(marker, data.split(b"\0", 1)[0]) for marker, data in image.applist}
        return (
            segments <= _JPEG_CLEAN_SEGMENTS
            and "comment" not in image.info
            and "exif" not in image.info
            and content.endswith(b"\xff\xd9")
        )
    return _png_chunks_clean(content)


def _png_chunks_clean(content: bytes) -> bool:
    position = 8
    while position + 8 <= len(content):
        length, kind = struct.unpack(">I4s", content[position : position + 8])
        if kind not in _PNG_CLEAN_CHUNKS:
            return False
        position += 12 + length
        if kind == b"IEND":
            return position == len(content)
    return False


def _encode(image: Image.Image) -> bytes:
    """The image's pixels, upright, in a new file of the same format; no metadata but the colour profile."""
    fmt = "JPEG" if image.format in ("JPEG", "MPO") else "PNG"
    icc_profile = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)
    upright.info = {}  # Pillow writes some of it back (a JPEG's comment) unless it is gone
    buffer = io.BytesIO()
    if fmt == "JPEG":
        if upright.mode not in ("L", "RGB", "CMYK"):
            upright = upright.convert("RGB")
        options = {"quality": JPEG_QUALITY}
        if icc_profile:
            options["icc_profile"] = icc_profile
        upright.save(buffer, "JPEG", **options)
    else:
        options = {"icc_profile": icc_profile} if icc_profile else {}
        if "transparency" in image.info and upright.mode in ("P", "L", "RGB"):
            options["transparency"] = image.info["transparency"]
        upright.save(buffer, "PNG", **options)
    return buffer.getvalue()


def _pdf_check(content: bytes) -> None:
    """A complete, readable, unencrypted PDF with at least one page; ValidationError otherwise."""
    truncated = ValidationError("PDF 文件不完整或已损坏，请重新扫描后上传。", code="truncated")
    if b"%%EOF" not in content[-2048:]:
        raise truncated
    from pypdf import PdfReader

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pypdf warns about harmless quirks of scanners' PDFs
            reader = PdfReader(io.BytesIO(content), strict=False)
            if reader.is_encrypted:
                raise ValidationError("PDF 文件设置了密码，请上传未加密的文件。", code="encrypted")
            if len(reader.pages) == 0:
                raise ValidationError("PDF 文件没有任何页面。", code="empty_pdf")
            for page in reader.pages:
                page.mediabox  # noqa: B018  (each page object must resolve)
    except ValidationError:
        raise
    except Exception:  # pypdf raises many types (PyPdfError, ValueError, KeyError…) for a broken file
        raise truncated from None
