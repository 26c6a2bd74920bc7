"""Reading payment lists (缴费名单): CSV or XLSX bytes in, data rows and parsed cell values out.

No database here: registration.services.payments matches the rows to records and applies them.
"""

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from registration import validators

IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_ROWS = 5000
# A real list of 5,000 rows unpacks to a few megabytes; far more is a zip bomb, not a payment list.
XLSX_MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_COLUMNS = 64
HEADER_SEARCH_ROWS = 10
# Spreadsheets often carry thousands of formatted but empty rows after the data: stop after this many.
MAX_EMPTY_RUN = 1000
TOO_LARGE_MESSAGE = (
    f"文件超过 {IMPORT_MAX_BYTES // (1024 * 1024)} MB，请分批导入（每批不超过{IMPORT_MAX_ROWS}行）。"
)


@dataclass(frozen=True)
class Column:
    field: str
    label: str
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("temp_id", "新生儿编码", ("新生儿证件号码", "临时证件号码")),
    Column("birth_certificate_number", "出生医学证明编号", ("出生医学证明号码", "出生证编号")),
    Column("personal_number", "个人编号", ("人员编号",)),
    Column("name", "姓名", ("新生儿姓名",)),
    Column("paid_on", "到账日期", ("缴费到账日期", "缴费日期")),
    Column("years", "缴费年度", ("缴费年份", "所属年度")),
    Column("receipt_number", "缴费凭证号", ("凭证号", "缴费凭证号码", "票据号")),
    Column("amount", "金额（元）", ("金额", "缴费金额", "缴费金额（元）")),
)
LABELS = {column.field: column.label for column in COLUMNS}
IDENTITY_FIELDS = ("temp_id", "birth_certificate_number", "personal_number")
TEMPLATE_HEADERS = [column.label for column in COLUMNS]


def _header_key(text) -> str:
    text = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"[\s*＊]", "", text)


HEADER_FIELDS = {
    _header_key(name): column.field for column in COLUMNS for name in (column.label, *column.aliases)
}


@dataclass(frozen=True)
class RawRow:
    """A data row of the list: its row number in the spreadsheet and its cells by field."""

    number: int
    cells: dict[str, object]


# --- Reading the file ------------------------------------------------------------------------------------

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and other Office 97 files
OTHER_SIGNATURES = (b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")


def payment_rows_read(content: bytes) -> list[RawRow]:
    """The data rows of a CSV (UTF-8, with or without BOM, GBK, UTF-16) or XLSX payment list.

    Raises ValidationError with a Chinese message when the file as a whole cannot be used.
    """
    if not content:
        raise ValidationError("上传的文件是空的。", code="empty")
    if len(content) > IMPORT_MAX_BYTES:
        raise ValidationError(TOO_LARGE_MESSAGE, code="too_large")
    if content.startswith(b"PK\x03\x04"):
        table = _xlsx_table(content)
    elif content.startswith(OLE_SIGNATURE):
        raise ValidationError(
            "不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV 后再上传。", code="xls"
        )
    elif content.startswith(OTHER_SIGNATURES):
        raise ValidationError("上传的不是表格文件，请上传 CSV 或 XLSX 格式的缴费名单。", code="type")
    else:
        table = _csv_table(content)
    return _rows_from_table(table)


def _csv_table(content: bytes) -> Iterator[list[object]]:
    utf16 = content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not utf16 and b"\x00" in content[:4096]:
        raise ValidationError("上传的不是表格文件，请上传 CSV 或 XLSX 格式的缴费名单。", code="type")
    text = _decode(content)
    # Text files have no NUL or other control characters besides tab and line breaks.
    if validators.has_hidden_characters(
        text[:65536], allowed="\t\r\n", categories=validators.CONTROL_CATEGORIES
    ):
        raise ValidationError("上传的不是表格文件，请上传 CSV 或 XLSX 格式的缴费名单。", code="type")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    # Excel's "Unicode 文本" is tab-separated; its CSV is comma-separated.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error:
        raise ValidationError(
            "CSV 文件格式有误（引号不成对或某一格过长），请检查后重新导出。", code="csv"
        ) from None


def _decode(content: bytes) -> str:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    elif content.startswith(codecs.BOM_UTF8):
        encodings = ("utf-8-sig",)
    else:
        # GB18030 reads every GBK file (what Chinese spreadsheets save as "CSV") and is a superset of it.
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        "无法识别文件的文字编码，请另存为 UTF-8 或 GBK 编码的 CSV 文件，或 XLSX 文件。", code="encoding"
    )


def _xlsx_table(content: bytes) -> Iterator[list[object]]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
            unpacked = sum(member.file_size for member in members)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ValidationError("XLSX 文件已损坏或不完整，请重新导出后再上传。", code="corrupt") from None
    if "xl/workbook.xml" not in names:
        raise ValidationError(
            "上传的压缩文件不是 XLSX 表格，请上传 CSV 或 XLSX 格式的缴费名单。", code="type"
        )
    if unpacked > XLSX_MAX_UNPACKED_BYTES:
        raise ValidationError("XLSX 文件内容过大，请分批导入。", code="too_large")
    try:
        values = _xlsx_first_sheet(content, data_only=True)  # a formula's value as last computed
        formulas = _xlsx_first_sheet(content, data_only=False)  # the formulas themselves
    except ValidationError:
        raise
    except Exception:  # openpyxl, zipfile and the XML parser raise many types for a damaged file
        raise ValidationError("XLSX 文件已损坏或不完整，请重新导出后再上传。", code="corrupt") from None
    # The formulas' pass leads: a formula without a saved result is an empty cell to the values' pass.
    for number, written in enumerate(formulas):
        row = values[number] if number < len(values) else []
        width = max(len(row), len(written))
        row, written = row + [None] * (width - len(row)), written + [None] * (width - len(written))
        yield [
            UncomputedFormula(str(formula)) if value is None and _is_formula(formula) else value
            for value, formula in zip(row, written, strict=True)
        ]


def _xlsx_first_sheet(content: bytes, *, data_only: bool) -> list[list]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)
    try:
        sheet = workbook.worksheets[0]
        # Some programs write a wrong used range into the file; read what is really there.
        sheet.reset_dimensions()
        return [list(row) for row in _bounded(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True))]
    finally:
        workbook.close()


def _is_formula(value) -> bool:
    # openpyxl gives a formula as its text ("=B2+1") or, for array and table formulas, as an object.
    if isinstance(value, str):
        return value.startswith("=")
    return type(value).__name__ in {"ArrayFormula", "DataTableFormula"}


class UncomputedFormula(str):
    """A formula cell without a saved result (a file written by a program that does not compute them).

    Its value is unknown: never read as empty. Each use of the cell is refused with a message saying so.
    """

    @property
    def message(self) -> str:
        return (
            f"该单元格是公式（{self[:30]}），文件中没有保存计算结果。"
            "请在 Excel 或 WPS 中打开并保存后重新上传，或把公式复制后“粘贴为数值”"
        )


def _bounded(rows: Iterable) -> Iterator:
    """The rows, stopping after a long run of empty ones and refusing more than a list can hold."""
    empty_run = filled = 0
    for row in rows:
        if any(cell not in (None, "") for cell in row):
            empty_run = 0
            filled += 1
            if filled > IMPORT_MAX_ROWS + HEADER_SEARCH_ROWS:
                raise ValidationError(
                    f"文件行数过多：每次最多导入{IMPORT_MAX_ROWS}行，请分批导入。", code="too_many_rows"
                )
        else:
            empty_run += 1
            if empty_run > MAX_EMPTY_RUN:
                return
        yield row


def _rows_from_table(table: Iterable[list[object]]) -> list[RawRow]:
    rows = enumerate(_bounded(table), start=1)
    positions = None
    for number, cells in rows:
        keys = [_header_key(cell) for cell in cells[:MAX_COLUMNS]]
        # The header is the first row naming two of our columns: a title row above it names none.
        if sum(1 for key in keys if key in HEADER_FIELDS) >= 2:
            positions = _header_positions(keys, number)
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if positions is None:
        raise ValidationError(
            f"没有找到表头：文件前{HEADER_SEARCH_ROWS}行中应有一行列名，包括「到账日期」「缴费年度」"
            "及「新生儿编码」「出生医学证明编号」「个人编号」中的至少一列。请使用下载的模板。",
            code="header",
        )
    data = []
    for number, cells in rows:
        values = {name: cells[index] if index < len(cells) else None for name, index in positions.items()}
        if all(value is None or str(value).strip() == "" for value in values.values()):
            continue
        data.append(RawRow(number, values))
        if len(data) > IMPORT_MAX_ROWS:
            raise ValidationError(
                f"文件行数过多：每次最多导入{IMPORT_MAX_ROWS}行，请分批导入。", code="too_many_rows"
            )
    if not data:
        raise ValidationError("文件中没有缴费记录（表头下面没有数据行）。", code="no_rows")
    return data


def _header_positions(keys: list[str], number: int) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, key in enumerate(keys):
        name = HEADER_FIELDS.get(key)
        if name is None:
            continue  # other columns (序号, 备注…) are ignored
        if name in positions:
            raise ValidationError(f"第{number}行表头中「{LABELS[name]}」列出现了两次。", code="header")
        positions[name] = index
    missing = [LABELS[name] for name in ("paid_on", "years") if name not in positions]
    if missing:
        raise ValidationError(f"第{number}行表头缺少「{'」「'.join(missing)}」列。", code="header")
    if not any(name in positions for name in IDENTITY_FIELDS):
        raise ValidationError(
            f"第{number}行表头须至少有「新生儿编码」「出生医学证明编号」「个人编号」中的一列。", code="header"
        )
    return positions


# --- Cell values ---------------------------------------------------------------------------------------

DATE_RE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
)


def cell_text(value) -> str:
    """A cell as trimmed text (NFKC: full-width digits become ASCII); a whole float loses its ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a spreadsheet cell: 4500000017.0
    return unicodedata.normalize("NFKC", str(value)).strip()


def cell_date(value) -> date:
    """A date cell: a spreadsheet date, 2026-03-05, 2026/3/5, 2026年3月5日 or 20260305; else ValueError."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and 20000 < value < 80000:
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date()  # a date cell Excel left as its serial number
    match = DATE_RE.fullmatch(text) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if match:
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise ValueError(f"无法识别的日期「{text[:20]}」，请写成 2026-03-05 的格式")


def cell_years(value) -> list[int]:
    """The years paid: 2026, or several separated by 、 , ; or spaces (2025、2026); else ValueError."""
    text = cell_text(value)
    parts = [
        part for part in re.split(r"[,，、;；/\s]+", text.replace("年度", "").replace("年", " ")) if part
    ]
    if not parts or not all(re.fullmatch(r"\d{4}", part) for part in parts):
        raise ValueError(f"无法识别的缴费年度「{text[:20]}」，多个年度请用顿号或逗号分隔，如 2025、2026")
    return sorted({int(part) for part in parts})


def cell_amount(value) -> Decimal | None:
    """An optional amount in yuan with at most two decimals; else ValueError."""
    text = cell_text(value).replace(",", "").replace("元", "").replace("¥", "").strip()
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"无法识别的金额「{text[:20]}」") from None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("100000000"):
        raise ValueError("金额须大于0且小于1亿元")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("金额最多保留两位小数")
    return amount.quantize(Decimal("0.01"))


# --- The template the administrators fill in ------------------------------------------------------------

TEMPLATE_NOTES = (
    "每行一笔缴费。「新生儿编码」「出生医学证明编号」「个人编号」至少填一项；"
    "新生儿编码区分大小写（…X 与 …x 是两个孩子）。",
    "「到账日期」写成 2026-03-05；「缴费年度」可填多个，用顿号或逗号分隔，如 2025、2026。",
    "「缴费凭证号」「金额（元）」「姓名」可不填；填了姓名的，须与登记的姓名一致。",
    f"每次最多{IMPORT_MAX_ROWS}行；同一文件重复导入不会重复录入。",
)


def payment_template_csv() -> bytes:
    """The CSV template: the header row, UTF-8 with a BOM so that Excel shows the Chinese headers."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(TEMPLATE_HEADERS)
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def payment_template_xlsx() -> bytes:
    """The XLSX template: the header row on the first sheet (text cells), the notes on a second one."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "缴费名单"
    sheet.append(TEMPLATE_HEADERS)
    for index, header in enumerate(TEMPLATE_HEADERS, start=1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 24 if header in ("新生儿编码", "出生医学证明编号") else 14
        # Text cells: Excel would otherwise turn a long number into 4.50103E+17 and lose its digits.
        for row in range(2, 202):
            sheet.cell(row=row, column=index).number_format = "@"
    notes = workbook.create_sheet("填写说明")
    for note in TEMPLATE_NOTES:
        notes.append([note])
    notes.column_dimensions["A"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
