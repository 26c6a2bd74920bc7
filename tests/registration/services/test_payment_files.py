"""services/payment_files.py: reading a payment list (缴费名单), CSV or XLSX, cell by cell, into rows."""

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from registration.services import payment_files
from registration.services.payment_files import payment_rows_read
from registration.services.payments import Outcome
from tests.registration.services.conftest import HEADER, csv_bytes, plan_of, row, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "kwargs",
    [
        {"encoding": "utf-8"},
        {"encoding": "utf-8", "bom": True},
        {"encoding": "gbk"},
        {"encoding": "gb18030"},
        {"encoding": "utf-16", "delimiter": "\t"},  # Excel's "Unicode 文本"
    ],
    ids=["utf8", "utf8-bom", "gbk", "gb18030", "utf16-tab"],
)
def test_it_reads_a_csv_in_every_encoding_a_chinese_spreadsheet_saves(kwargs):
    header = [*HEADER, "姓名"]
    content = csv_bytes(
        [["450103199003070025X", "", "", "2026/2/10", "2025、2026", "R1", "张三之女"]],
        header=header,
        **kwargs,
    )

    (parsed,) = payment_rows_read(content)

    assert parsed.number == 2
    assert parsed.cells["temp_id"] == "450103199003070025X"
    assert parsed.cells["name"] == "张三之女"
    assert parsed.cells["years"] == "2025、2026"


def test_it_reads_an_xlsx_with_date_and_number_cells_below_a_title_row():
    content = xlsx_bytes(
        [["", "", 4500000017, datetime(2026, 2, 10, 9, 30), 2026, 88001]], title="2026年2月缴费名单"
    )

    (parsed,) = payment_rows_read(content)

    assert parsed.number == 3  # the spreadsheet's own row number, title and header above it
    assert payment_files.cell_text(parsed.cells["personal_number"]) == "4500000017"
    assert payment_files.cell_date(parsed.cells["paid_on"]) == date(2026, 2, 10)
    assert payment_files.cell_years(parsed.cells["years"]) == [2026]
    assert payment_files.cell_text(parsed.cells["receipt_number"]) == "88001"


def test_it_ignores_other_columns_and_accepts_the_usual_header_variants():
    header = ["序号", " 新生儿编码 ", "缴费日期", "缴费年份", "金额", "备注"]
    content = csv_bytes([["1", "450103199003070025X", "2026-02-10", "2026", "380.00", "x"]], header=header)

    (parsed,) = payment_rows_read(content)

    assert set(parsed.cells) == {"temp_id", "paid_on", "years", "amount"}


def test_it_skips_blank_rows_and_stops_after_a_long_run_of_them():
    blank = ["", "", "", "", "", ""]
    rows = [row(temp_id="450103199003070025X"), blank, row(temp_id="450103199003070025x")]
    rows += [blank] * (payment_files.MAX_EMPTY_RUN + 1) + [row(temp_id="450103199003070025A")]

    parsed = payment_rows_read(xlsx_bytes(rows))

    assert [r.number for r in parsed] == [2, 4]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "上传的文件是空的"),
        (csv_bytes([]), "没有缴费记录"),
        (csv_bytes([], header=["新生儿编码", "到账日期"]), "表头缺少「缴费年度」列"),
        (
            csv_bytes([], header=["姓名", "到账日期", "缴费年度"]),
            "至少有「新生儿编码」「出生医学证明编号」「个人编号」中的一列",
        ),
        (
            csv_bytes([], header=["新生儿编码", "到账日期", "缴费日期", "缴费年度"]),
            "「到账日期」列出现了两次",
        ),
        ("姓名,电话\n张三,138\n".encode(), "没有找到表头"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "不是表格文件"),
        (b"%PDF-1.7\n%%EOF", "不是表格文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "旧版 Excel（.xls）"),
        (bytes(range(256)) * 4, "不是表格文件"),
        ("新生儿编码,到账日期,缴费年度\n\x00\x01\x02".encode(), "不是表格文件"),
        ("新生儿编码,".encode() + b"\x80\xff\n", "无法识别文件的文字编码"),
    ],
    ids=[
        "empty",
        "header-only",
        "missing-years",
        "no-identity",
        "duplicate-column",
        "no-header",
        "png",
        "pdf",
        "xls",
        "binary",
        "control-characters",
        "unknown-encoding",
    ],
)
def test_it_refuses_a_file_it_cannot_use_with_a_chinese_reason(content, message):
    with pytest.raises(ValidationError) as excinfo:
        payment_rows_read(content)

    assert message in " ".join(excinfo.value.messages)


def test_it_refuses_a_truncated_or_damaged_xlsx():
    content = xlsx_bytes([row(temp_id="450103199003070025X")] * 50)
    damaged = bytearray(content)
    damaged[len(content) // 2 : len(content) // 2 + 200] = bytes(200)

    for broken in (content[: len(content) // 2], content[:40], bytes(damaged)):
        with pytest.raises(ValidationError, match="XLSX 文件已损坏或不完整"):
            payment_rows_read(broken)


def test_it_refuses_a_zip_that_is_not_a_workbook_and_a_zip_bomb(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "not a workbook")
    with pytest.raises(ValidationError, match="不是 XLSX 表格"):
        payment_rows_read(buffer.getvalue())

    monkeypatch.setattr(payment_files, "XLSX_MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(ValidationError, match="内容过大"):
        payment_rows_read(xlsx_bytes([row(temp_id="450103199003070025X")]))


def test_it_refuses_a_huge_file_and_too_many_rows(monkeypatch):
    with pytest.raises(ValidationError, match="MB"):
        payment_rows_read(b"a" * (payment_files.IMPORT_MAX_BYTES + 1))

    monkeypatch.setattr(payment_files, "IMPORT_MAX_ROWS", 3)
    with pytest.raises(ValidationError, match="最多导入3行"):
        payment_rows_read(csv_bytes([row(temp_id="450103199003070025X")] * 4))
    with pytest.raises(ValidationError, match="最多导入3行"):
        payment_rows_read(xlsx_bytes([row(temp_id="450103199003070025X")] * 20))


def test_it_refuses_a_csv_with_a_broken_quote_as_a_list_error_not_a_crash():
    content = b'a,"b\n' + csv_bytes([row(temp_id="450103199003070025X")])
    content = content.replace(b"\r\n", b"\n") + b'"' + b"x" * 200_000

    with pytest.raises(ValidationError):
        payment_rows_read(content)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-02-10", date(2026, 2, 10)),
        ("2026/2/10", date(2026, 2, 10)),
        ("2026.02.10", date(2026, 2, 10)),
        ("2026年2月10日", date(2026, 2, 10)),
        ("20260210", date(2026, 2, 10)),
        ("2026-02-10 15:04:05", date(2026, 2, 10)),
        ("２０２６－０２－１０", date(2026, 2, 10)),  # full-width, as a Chinese input method types
        (46063, date(2026, 2, 10)),  # a date cell left as Excel's serial number
        (datetime(2026, 2, 10, 8, 0), date(2026, 2, 10)),
    ],
)
def test_it_reads_the_dates_clerks_write(value, expected):
    assert payment_files.cell_date(value) == expected


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "10/02/2026", "明天", "2026", "", None, 12])
def test_it_refuses_a_bad_date(value):
    with pytest.raises(ValueError, match="无法识别的日期"):
        payment_files.cell_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026", [2026]),
        (2026, [2026]),
        (2026.0, [2026]),
        ("2025、2026", [2025, 2026]),
        ("2026,2025", [2025, 2026]),
        ("2025年，2026年", [2025, 2026]),
        ("2025年度 2026年度", [2025, 2026]),
    ],
)
def test_it_reads_the_years(value, expected):
    assert payment_files.cell_years(value) == expected


@pytest.mark.parametrize("value", ["", "26", "2025-2026", "二〇二六", "2026.5"])
def test_it_refuses_bad_years(value):
    with pytest.raises(ValueError, match="缴费年度"):
        payment_files.cell_years(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("380", Decimal("380.00")), ("1,200.50元", Decimal("1200.50")), (380.5, Decimal("380.50")), ("", None)],
)
def test_it_reads_amounts(value, expected):
    assert payment_files.cell_amount(value) == expected


@pytest.mark.parametrize("value", ["-1", "0", "1.234", "abc", "NaN", "1e9"])
def test_it_refuses_bad_amounts(value):
    with pytest.raises(ValueError, match="金额"):
        payment_files.cell_amount(value)


def xlsx_with_formulas(rows, *, cached: dict[str, str] | None = None) -> bytes:
    """An XLSX whose cells may hold formulas; `cached` writes a computed result into the named cells, as Excel
    and WPS do when they save (openpyxl itself saves formulas without results)."""
    content = xlsx_bytes(rows)
    if not cached:
        return content
    source = zipfile.ZipFile(io.BytesIO(content))
    sheet = source.read("xl/worksheets/sheet1.xml").decode()
    for reference, value in cached.items():
        start = sheet.index(f'<c r="{reference}"')
        end = sheet.index("</c>", start)
        cell = sheet[start:end]
        formula = cell[cell.index("<f>") : cell.index("</f>") + 4]
        cell_type = ' t="str"' if not value.replace(".", "").isdigit() else ""
        sheet = sheet[:start] + f'<c r="{reference}"{cell_type}>{formula}<v>{value}</v>' + sheet[end:]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = (
                sheet.encode() if item.filename == "xl/worksheets/sheet1.xml" else source.read(item.filename)
            )
            target.writestr(item, data)
    return buffer.getvalue()


def test_a_formula_cell_is_read_as_its_saved_result(admin, twins):
    content = xlsx_with_formulas(
        [row(twins[0], years="=2025+1", receipt='=CONCATENATE("GX","-1")')],
        cached={"E2": "2026", "F2": "GX-1"},
    )

    [planned] = plan_of(content, admin).rows

    assert planned.outcome == Outcome.RECORD
    assert (planned.years, planned.receipt_number) == ((2026,), "GX-1")


def test_a_formula_cell_without_a_saved_result_is_refused_not_read_as_empty(admin, twins):
    content = xlsx_with_formulas(
        [row(twins[0], paid_on="=DATE(2026,2,10)", receipt='=CONCATENATE("GX","-1")')]
    )

    [planned] = plan_of(content, admin).rows

    assert planned.outcome == Outcome.ERROR
    assert planned.messages[0].startswith(
        "第2行「到账日期」：该单元格是公式（=DATE(2026,2,10)），文件中没有保存计算结果"
    )
    assert planned.messages[1].startswith("第2行「缴费凭证号」：该单元格是公式")
    assert not any("不能为空" in message for message in planned.messages)


def test_an_identity_formula_without_a_saved_result_is_refused_by_its_column(admin, twins):
    content = xlsx_with_formulas([row(temp_id="=A1", personal=twins[0].personal_number)])

    [planned] = plan_of(content, admin).rows

    assert planned.outcome == Outcome.ERROR
    assert planned.messages[0].startswith("第2行「新生儿编码」：该单元格是公式（=A1）")
    assert not any("至少要填一项" in message for message in planned.messages)
