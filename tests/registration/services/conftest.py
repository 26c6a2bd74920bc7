"""Fixtures and helpers shared by the services' tests: the payment lists (缴费名单) read by
services/payment_files.py and planned and applied by services/payments.py, and a photo with a GPS
position for the scans' cleaning (services/materials.py, birth_materials.py, kept_uploads.py), scans for a
registration, and the hospital of the operators' and API clients' services. The payment lists' records
and the administrator are tests/registration/conftest.py's."""

import codecs
import io
from datetime import date

import pytest
from openpyxl import Workbook
from PIL import Image

from registration.models import Division
from registration.services.birth_materials import MaterialInput
from registration.services.kept_uploads import kept_payment_list_store
from registration.services.payment_files import payment_rows_read
from registration.services.payments import payment_import_plan

BORN = date(2026, 1, 10)  # last day 2026-04-09
TODAY = date(2026, 3, 1)
HEADER = ["新生儿编码", "出生医学证明编号", "个人编号", "到账日期", "缴费年度", "缴费凭证号"]
CERTIFICATE = "Q450123456"


def csv_bytes(rows, *, header=HEADER, encoding="utf-8", bom=False, delimiter=",") -> bytes:
    lines = [delimiter.join(header), *(delimiter.join(str(cell) for cell in row) for row in rows)]
    text = "\r\n".join(lines) + "\r\n"
    content = text.encode(encoding)
    return codecs.BOM_UTF8 + content if bom else content


def xlsx_bytes(rows, *, header=HEADER, title=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(
    newborn=None, *, temp_id=None, certificate="", personal="", paid_on="2026-02-10", years="2026", receipt=""
):
    if temp_id is None:
        temp_id = (newborn.temp_id or "") if newborn is not None else ""
    return [temp_id, certificate, personal, paid_on, years, receipt]


def plan_of(content: bytes, user, today=TODAY):
    return payment_import_plan(user=user, rows=payment_rows_read(content), today=today)


def stored(user, content, name="缴费名单.csv"):
    return kept_payment_list_store(user=user, original_name=name, content=content)


GPS_IFD = 0x8825


def jpeg_with_gps(size=(40, 20), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010E] = "household register of 450103199003070022"  # ImageDescription
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (22.0, 48.0, 0.0), 3: "E", 4: (108.0, 22.0, 0.0)})
    if orientation:
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"camera owner")
    return buffer.getvalue()


def png_bytes(color="white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, "PNG")
    return buffer.getvalue()


def scans(*kinds) -> list[MaterialInput]:
    return [MaterialInput(kind, png_bytes(), f"{kind}.png") for kind in kinds]


@pytest.fixture
def hospital(clerk):
    """The clerk's hospital, in 青秀区 (its 所属区, which 附件1 asks for)."""
    hospital = clerk.operator.hospital
    hospital.division = Division.objects.get(code="450103")
    hospital.save(update_fields=["division"])
    return hospital
