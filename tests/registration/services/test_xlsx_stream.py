"""The streaming XLSX writer: what openpyxl reads back from it, value by value and style by style."""

import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from registration.services.exports import Block, Sheet, StreamedSheet, xlsx_file
from registration.services.xlsx_stream import HEADER, TITLE, XlsxStream, excel_serial, sheet_title


def read(sheets, **options):
    handle = xlsx_file(sheets)
    try:
        return load_workbook(io.BytesIO(handle.read()), **options)
    finally:
        handle.close()


def streamed(rows, **fields) -> StreamedSheet:
    return StreamedSheet("x", ["a", "b", "c"], rows, **fields)


def test_it_writes_text_as_text_never_as_a_formula_nor_a_number():
    book = read([streamed([["=1+1", "450103201001011234", "0771"], ["=SUM(A1:A2)", "13877112345", "1e5"]])])

    sheet = book["x"]
    assert [cell.value for cell in sheet[2]] == ["'=1+1", "450103201001011234", "0771"]
    assert [cell.value for cell in sheet[3]] == ["'=SUM(A1:A2)", "13877112345", "1e5"]
    assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row)


def test_it_writes_numbers_as_numbers_and_none_as_an_empty_cell():
    book = read([streamed([[12, -3, 0.25], [Decimal("1.50"), None, True], [None, "", 7]])])

    rows = list(book["x"].iter_rows(min_row=2, values_only=True))
    assert rows == [(12, -3, 0.25), (1.5, None, True), (None, None, 7)]
    assert book["x"]["A2"].data_type == "n" and book["x"]["C3"].data_type == "b"


def test_it_writes_dates_and_datetimes_as_serial_numbers_with_their_formats():
    aware = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 in Asia/Shanghai
    book = read([streamed([[date(2026, 3, 2), datetime(2026, 3, 2, 14, 5), aware]])])

    day, moment, local = book["x"][2]
    assert day.value == datetime(2026, 3, 2) and day.number_format == "yyyy-mm-dd"
    assert moment.value == datetime(2026, 3, 2, 14, 5) and moment.number_format == "yyyy-mm-dd hh:mm"
    assert local.value == datetime(2026, 3, 2, 9, 30)


def test_excel_serial_counts_days_from_1899_12_30_with_the_time_as_a_fraction():
    assert excel_serial(date(1900, 3, 1)) == 61
    assert excel_serial(date(2026, 1, 1)) == 46023
    assert excel_serial(datetime(2026, 1, 1, 18)) == 46023.75


def test_it_escapes_markup_and_keeps_spaces_at_the_ends():
    book = read([streamed([["<b>A & B</b>", "  两端有空格 ", "]]>"]])])

    assert [cell.value for cell in book["x"][2]] == ["<b>A & B</b>", "  两端有空格 ", "]]>"]


def test_it_drops_the_characters_xml_forbids_and_keeps_tabs_and_line_breaks():
    book = read([streamed([["a\x00b\x1fc\x0b", "第一行\n第二行\t完", "\ufffe李\x08四"]])])

    assert [cell.value for cell in book["x"][2]] == ["abc", "第一行\n第二行\t完", "李四"]


def test_it_styles_the_title_the_header_and_a_filled_row_whole():
    rows = [[1, "剩2天", None], [2, date(2026, 3, 2), "x"]]
    sheet = streamed(rows, title_lines=["标题", "说明"], row_fill=lambda values: values[0] == 1 and "fff3cd")

    ws = read([sheet])["x"]

    assert ws["A1"].font.b and ws["A1"].font.sz == 14
    assert not ws["A2"].font.b and ws["A2"].font.sz == 11
    header = ws["B3"]
    assert header.value == "b" and header.font.b
    assert header.fill.fill_type == "solid" and header.fill.fgColor.rgb == "FFDDE5F0"
    assert header.border.left.style == "thin" and header.border.bottom.color.rgb == "FF999999"
    assert header.alignment.horizontal == "center" and header.alignment.wrap_text
    assert [cell.fill.fgColor.rgb for cell in ws[4]] == ["FFFFF3CD"] * 3  # the empty cell too
    assert ws["A5"].fill.fill_type is None and not ws["A5"].font.b
    assert ws["B5"].number_format == "yyyy-mm-dd" and ws["B5"].fill.fill_type is None
    assert sheet.written == 2


def test_a_filled_date_keeps_its_format():
    sheet = streamed([[date(2026, 3, 2), 1, "a"]], row_fill=lambda values: "F8D7DA")

    cell = read([sheet])["x"]["A2"]

    assert cell.number_format == "yyyy-mm-dd" and cell.fill.fgColor.rgb == "FFF8D7DA"


def test_it_sets_the_column_widths():
    ws = read([streamed([], widths=[6, 14.5, 24])])["x"]

    assert [ws.column_dimensions[letter].width for letter in "ABC"] == [6, 14.5, 24]


def test_sheet_names_follow_excels_rules_and_stay_unique():
    assert sheet_title("a/b\\c[d]e:f*g?h") == "a_b_c_d_e_f_g_h"
    assert sheet_title("'引号'") == "引号"
    assert sheet_title("") == "Sheet"
    long = "长" * 40
    book = read([StreamedSheet(name, ["a"], []) for name in (long, long, "A&B")])

    assert book.sheetnames == ["长" * 31, "长" * 29 + "_2", "A&B"]


def test_a_small_sheet_keeps_its_blocks_beside_a_streamed_one():
    figures = Sheet(
        "统计",
        ["项目", "数值"],
        [["登记新生儿数", 4], ["中位数", 2.5]],
        title_lines=["新生儿预参保登记统计"],
        blocks=[Block("按日登记数", ["日", "登记数"], [(date(2026, 3, 2), 2)])],
    )
    book = read([figures, StreamedSheet("登记明细", ["序号"], iter([[1], [2]]))])

    assert book.sheetnames == ["统计", "登记明细"]
    rows = list(book["统计"].iter_rows(values_only=True))
    assert rows[:2] == [("新生儿预参保登记统计", None), ("项目", "数值")]
    assert rows[2:4] == [("登记新生儿数", 4), ("中位数", 2.5)]
    assert rows[4] == (None, None)  # the blank row between the tables
    assert rows[5][0] == "按日登记数" and book["统计"]["A6"].font.b
    assert rows[6] == ("日", "登记数") and book["统计"]["A7"].fill.fgColor.rgb == "FFDDE5F0"
    assert rows[7] == (datetime(2026, 3, 2), 2)
    assert [row[0] for row in book["登记明细"].iter_rows(values_only=True)] == ["序号", 1, 2]


def test_it_writes_many_rows_in_order():
    rows = ([index, f"名{index}", date(2026, 1, 1)] for index in range(1, 30_001))
    sheet = streamed(rows)

    values = list(read([sheet], read_only=True)["x"].iter_rows(min_row=2, values_only=True))

    assert sheet.written == 30_000 and len(values) == 30_000
    assert values[0] == (1, "名1", datetime(2026, 1, 1)) and values[-1][:2] == (30_000, "名30000")


def test_a_workbook_holds_the_parts_excel_needs():
    handle = io.BytesIO()
    workbook = XlsxStream(handle)
    sheet = workbook.sheet("一")
    sheet.row(["标题"], TITLE)
    sheet.row(["表头"], HEADER)
    workbook.close()

    names = set(zipfile.ZipFile(handle).namelist())
    assert names == {
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
        "xl/worksheets/sheet1.xml",
    }
    assert load_workbook(handle)["一"]["A2"].value == "表头"


def test_a_workbook_without_sheets_still_opens():
    assert read([]).sheetnames == ["Sheet"]


def test_it_refuses_a_value_it_cannot_write():
    with pytest.raises(TypeError):
        xlsx_file([streamed([[object(), 1, 2]])])
    for number in (float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity")):
        with pytest.raises(ValueError):
            xlsx_file([streamed([[number, 1, 2]])])


def test_it_refuses_a_fill_that_is_not_a_colour():
    with pytest.raises(ValueError):
        xlsx_file([streamed([[1, 2, 3]], row_fill=lambda values: "yellow")])
