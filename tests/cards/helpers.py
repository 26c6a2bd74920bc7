"""Rows as render_cards receives them, built without the database, and what a card's PDF says."""

import io
import shutil
import subprocess
from datetime import date

import pytest
from pypdf import PdfReader

from registration.models import Birth, Division, Hospital, InsuranceAgency, Newborn, Sex
from registration.rules import pre_enrollment_last_day
from tests.factories import FATHER_ID, MOTHER_ID

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")

NANNING_COMMUNITY = ("450103001001", "南宁市 青秀区 新竹街道 新竹社区")
GUILIN_COMMUNITY = ("450302001001", "桂林市 秀峰区 秀峰街道 丽君社区")


def unsaved_birth(**overrides) -> Birth:
    """A birth registered with the mother's ID in Nanning, its related rows attached."""
    community = overrides.pop("community", NANNING_COMMUNITY)
    fields = {
        "hospital": Hospital(pk=1, code="H1", name=overrides.pop("hospital_name", "南宁市第一人民医院")),
        "community": Division(
            pk=1, code=community[0], name=community[1].split()[-1], level=5, full_name=community[1]
        ),
        "agency": InsuranceAgency(pk=1, code="450100", name="南宁市医疗保障事业管理中心"),
        "registered_on": date(2025, 1, 3),
        "route": Birth.Route.PARENT_ID,
        "parent_role": Birth.ParentRole.MOTHER,
        "mother_name": "禤秀兰",
        "mother_id_number": MOTHER_ID,
        "mother_phone": "13877112345",
        "father_name": "覃建华",
        "father_id_number": FATHER_ID,
        "father_phone": "13977154321",
        "birth_hospital_name": "南宁市第一人民医院",
    }
    fields.update(overrides)
    return Birth(pk=1, **fields)


def unsaved_newborn(*, born: date = date(2025, 1, 2), birth: Birth | None = None, **overrides) -> Newborn:
    """A girl of `birth` (unsaved_birth by default), the mother's ID and X; the rules give the last day."""
    fields = {
        "name": "禤秀兰之女",
        "sex": Sex.FEMALE,
        "temp_id": MOTHER_ID + "X",
        "personal_number": "4501000001",
        "phone": "13877112345",
        "birth_order": 1,
        "state": Newborn.State.REGISTERED,
    }
    fields.update(overrides)
    return Newborn(
        birth=birth or unsaved_birth(),
        birth_date=born,
        last_day=pre_enrollment_last_day(born),
        **fields,
    )


def babies_prefetched(newborns: list[Newborn]) -> list[Newborn]:
    """As if fetched with prefetch_related("birth__newborns"): the birth knows all its babies."""
    newborns[0].birth._prefetched_objects_cache = {"newborns": list(newborns)}
    return newborns


def pdftotext(pdf: bytes, *, layout: bool = False) -> str:
    """The PDF's text as poppler's pdftotext extracts it (pages separated by form feeds)."""
    args = ["pdftotext", *(["-layout"] if layout else []), "-enc", "UTF-8", "-", "-"]
    return subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode()


def pdf_pages_text(pdf: bytes) -> list[str]:
    """Each page's text in reading order (pdftotext -layout), whitespace removed: cells join, lines wrap."""
    return ["".join(page.split()) for page in pdftotext(pdf, layout=True).split("\f")[:-1]]


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def font_sizes(pdf: bytes, page: int) -> dict[float, str]:
    """The text of one page by the size it is printed at, in points (the text matrix applied)."""
    sizes: dict[float, str] = {}

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 * (cm[0] ** 2 + cm[1] ** 2) ** 0.5
            size = round(font_size * scale, 2)
            sizes[size] = sizes.get(size, "") + text

    PdfReader(io.BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    return sizes


def embedded_fonts(pdf: bytes) -> set[str]:
    """The BaseFont names of every font of every page; each must be embedded (or the test fails)."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor or "/FontFile3" in descriptor  # embedded
            names.add(str(font["/BaseFont"]))
    return names
