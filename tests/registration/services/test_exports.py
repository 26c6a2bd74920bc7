"""Both export writers (openpyxl's for the small sheets, xlsx_stream's for the long lists), read back with
openpyxl: what a stored text may hold never fails an export, and never becomes a formula."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from registration.services.exports import Sheet, StreamedSheet, xlsx_build, xlsx_file

# Every character XML 1.0 forbids that a text column might hold (a row older than the check, a hand edit).
FORBIDDEN = (
    "".join(chr(code) for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))) + "\ufffe\uffff"
)


def built(rows, **fields):
    return load_workbook(io.BytesIO(xlsx_build([Sheet("x", ["a", "b"], rows, **fields)])))["x"]


def streamed(rows):
    handle = xlsx_file([StreamedSheet("x", ["a", "b"], rows)])
    try:
        return load_workbook(io.BytesIO(handle.read()))["x"]
    finally:
        handle.close()


def test_both_writers_drop_what_xml_forbids_and_keep_the_rest():
    rows = [[f"桂林{FORBIDDEN}医院", "行一\n行二\t"], ["\x1b[31m红", 5]]

    for sheet in (built(rows), streamed(rows)):
        values = list(sheet.iter_rows(min_row=2, values_only=True))
        assert values == [("桂林医院", "行一\n行二\t"), ("[31m红", 5)]


def test_a_title_line_with_forbidden_characters_is_written_too():
    sheet = built([["a", date(2026, 3, 2)]], title_lines=["医疗机构名称：南宁\x0b\x1b医院"])

    assert sheet["A1"].value == "医疗机构名称：南宁医院"


# Text a spreadsheet would read as a formula once the cell is edited or the sheet saved as CSV (OWASP).
FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "+SUM(A1)",
    "-1+1",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "=1+1\x1b[31m\x07",
]


@pytest.mark.parametrize("write", [built, streamed], ids=["openpyxl", "stream"])
def test_a_text_that_starts_like_a_formula_gets_a_leading_apostrophe(write):
    sheet = write([[text, "x"] for text in FORMULAS])

    # A carriage return reads back as a line feed from the streamed sheet (XML): still behind the quote.
    values = [row[0].replace("\r", "\n") for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values == [
        '\'=HYPERLINK("http://x","y")',
        "'+SUM(A1)",
        "'-1+1",
        "'@SUM(1+1)",
        "'\t=1+1",
        "'\n=1+1",
        "'=1+1[31m",
    ]
    assert all(cell.data_type == "s" for (cell, _) in sheet.iter_rows(min_row=2))


@pytest.mark.parametrize("write", [built, streamed], ids=["openpyxl", "stream"])
def test_numbers_stay_numbers_and_other_text_is_left_alone(write):
    rows = [
        [-5, "a=b"],
        [-1.5, "—"],
        [Decimal("-3.50"), "450103199003070025X"],
        [date(2026, 3, 2), " =1"],
        [datetime(2026, 3, 2, 9, 30), "覃小梅之女"],
    ]

    sheet = write(rows)

    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert values == [
        (-5, "a=b"),
        (-1.5, "—"),
        (-3.5, "450103199003070025X"),
        (datetime(2026, 3, 2), " =1"),
        (datetime(2026, 3, 2, 9, 30), "覃小梅之女"),
    ]
    assert [row[0].data_type for row in sheet.iter_rows(min_row=2, max_row=4)] == ["n", "n", "n"]


def test_a_title_line_that_starts_like_a_formula_is_quoted_too():
    sheet = built([["a", 1]], title_lines=["=标题"])

    assert sheet["A1"].value == "'=标题"
