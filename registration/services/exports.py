"""XLSX exports: sheets of plain rows, numbers kept as text, every export audit-logged.

Who may see a full ID number in an export is decided here once (docs/clerks-guide.md, Follow-up, reports
and operators): 医保中心 administrators yes; hospital staff get them masked, except in the 附件1 operator
form, which exists to hand the full numbers to the 医保中心 and is open to supervisors and administrators
only.
"""

import io
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import quote

from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from registration.access import user_is_administrator
from registration.masking import mask_id_number
from registration.models import AuditEntry
from registration.services.audit import audit_record
from registration.services.xlsx_stream import (
    CAPTION,
    HEADER,
    HEADER_FILL_COLOUR,
    TITLE,
    XlsxStream,
    export_text,
    sheet_title,
)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill("solid", fgColor=HEADER_FILL_COLOUR)
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def export_shows_full_ids(user) -> bool:
    """Whether this user's exports carry full ID numbers: administrators only; staff get them masked."""
    return user_is_administrator(user)


def id_for_export(value: str | None, *, full: bool) -> str:
    """An ID number as an export shows it: full for the roles allowed to, masked (450103*****1234X) else."""
    return (value or "") if full else mask_id_number(value)


def ids_for_export(*, full: bool) -> Callable[[str | None], str]:
    """id_for_export with `full` given once, for the many rows of an export."""
    return _id_in_full if full else mask_id_number


def _id_in_full(value: str | None) -> str:
    return value or ""


@dataclass
class Block:
    """A further table on a sheet, below the first after a blank row, with a bold caption."""

    caption: str
    headers: Sequence[str]
    rows: Iterable[Sequence]


@dataclass
class Sheet:
    """One worksheet: optional title lines above a header row, then the rows."""

    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence]
    title_lines: Sequence[str] = ()
    widths: Sequence[int] = ()
    # Columns holding numbers that must stay text (ID numbers, phones): Excel would round 18 digits.
    text_columns: set[int] = field(default_factory=set)
    blocks: Sequence[Block] = ()
    # One fill colour (RRGGBB) or None per row, as the page highlights its rows.
    row_fills: Sequence[str | None] = ()


def xlsx_build(sheets: Sequence[Sheet]) -> bytes:
    """The workbook's bytes; strings are always written as text, never as formulas."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in sheets:
        _sheet_write(workbook.create_sheet(title=sheet_title(sheet.name)), sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Streamed exports: constant memory whatever the number of rows (issue 15) -----------------------------


@dataclass
class StreamedSheet:
    """A worksheet written row by row (registration.services.xlsx_stream): title lines, a header row, rows.

    `rows` is consumed once, lazily (a queryset's iterator()); `row_fill(values)` gives a row's fill colour
    (RRGGBB) or None. Text stays text: a string is never written as a formula.
    """

    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence]
    title_lines: Sequence[str] = ()
    widths: Sequence[int] = ()
    row_fill: object = None
    written: int = 0  # rows written, once xlsx_file has run


def xlsx_file(sheets: Sequence[Sheet | StreamedSheet]):
    """The workbook in a temporary file (rewound), no row held in memory. A Sheet (small: figures) is
    written with its blocks, a StreamedSheet row by row."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response that streams it)
    workbook = XlsxStream(handle)
    try:
        for sheet in sheets:
            _sheet_stream(workbook.sheet(sheet.name, sheet.widths), sheet)
    except BaseException:
        workbook.abandon()
        handle.close()
        raise
    workbook.close()
    handle.seek(0)
    return handle


def _sheet_stream(stream, sheet: Sheet | StreamedSheet) -> None:
    for index, line in enumerate(sheet.title_lines):
        stream.row([line], TITLE if index == 0 else None)
    stream.row(sheet.headers, HEADER)
    if isinstance(sheet, StreamedSheet):
        sheet.written = stream.rows(sheet.rows, sheet.row_fill)
        return
    stream.rows(sheet.rows)
    for block in sheet.blocks:
        stream.blank_row()
        stream.row([block.caption], CAPTION)
        stream.row(block.headers, HEADER)
        stream.rows(block.rows)


# What a file name may not hold on Windows, macOS or Linux, and controls.
FILENAME_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def export_filename(what: str, scope: str, when: str, *, extension: str = "xlsx") -> str:
    """An export's file name that says what, whose and when: 待跟进-南宁市演示医院-2026-12-07.xlsx."""
    parts = (FILENAME_UNSAFE.sub("", part).strip() for part in (what, scope, when))
    return "-".join(part for part in parts if part) + f".{extension}"


def attachment_disposition(filename: str, fallback: str) -> str:
    """Content-Disposition of a download: the ASCII `fallback` for old clients, the real (Chinese) name as
    RFC 6266's filename* (UTF-8, percent-encoded), which every current browser uses."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def xlsx_response(handle, filename: str, *, fallback: str) -> FileResponse:
    """A download of a workbook file (xlsx_file), streamed in blocks, never cached."""
    response = FileResponse(handle, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = attachment_disposition(filename, fallback)
    response["Cache-Control"] = "private, no-store"
    return response


# --- Small sheets in full (openpyxl): merged title lines, borders, text columns --------------------------


def _sheet_write(worksheet, sheet: Sheet) -> None:
    width = max(len(sheet.headers), 1)
    row_number = 1
    for index, line in enumerate(sheet.title_lines):
        cell = _cell(worksheet, row_number, 1, line)
        cell.font = Font(bold=index == 0, size=14 if index == 0 else 11)
        if index == 0:
            cell.alignment = Alignment(horizontal="center")
        worksheet.merge_cells(start_row=row_number, start_column=1, end_row=row_number, end_column=width)
        row_number += 1
    _header_write(worksheet, row_number, sheet.headers)
    header_row = row_number
    fills = list(sheet.row_fills)
    for index, values in enumerate(sheet.rows):
        row_number += 1
        colour = fills[index] if index < len(fills) else None
        for column, value in enumerate(values, start=1):
            cell = _cell(worksheet, row_number, column, value)
            cell.border = BORDER
            if column in sheet.text_columns:
                cell.number_format = "@"
            if colour:
                cell.fill = PatternFill("solid", fgColor=colour)
    for block in sheet.blocks:
        row_number += 2
        _cell(worksheet, row_number, 1, block.caption).font = Font(bold=True)
        row_number += 1
        _header_write(worksheet, row_number, block.headers)
        for values in block.rows:
            row_number += 1
            for column, value in enumerate(values, start=1):
                _cell(worksheet, row_number, column, value).border = BORDER
    if sheet.headers and not sheet.blocks:
        worksheet.freeze_panes = worksheet.cell(row=header_row + 1, column=1)
    for column, column_width in enumerate(sheet.widths, start=1):
        worksheet.column_dimensions[get_column_letter(column)].width = column_width


def _header_write(worksheet, row_number: int, headers: Sequence[str]) -> None:
    for column, header in enumerate(headers, start=1):
        cell = _cell(worksheet, row_number, column, header)
        cell.font, cell.fill, cell.border = Font(bold=True), HEADER_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _cell(worksheet, row: int, column: int, value):
    if isinstance(value, datetime):
        value = value.replace(tzinfo=None)
    if isinstance(value, str):
        # Without the characters XML forbids (openpyxl would refuse the cell), quoted if it starts like a
        # formula: xlsx_stream.export_text, the same text in both writers.
        value = export_text(value)
    cell = worksheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        # openpyxl writes a string beginning with "=" as a formula: a name or remark must never run.
        cell.data_type = "s"
    if isinstance(value, date) and not isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    return cell


def export_record(
    *, user, kind: str, rows: int, full_ids: bool, ip: str | None, hospital=None, detail: dict | None = None
) -> AuditEntry:
    """The EXPORT audit entry of one download: what was exported, how many rows, with full IDs or not."""
    return audit_record(
        user=user,
        action=AuditEntry.Action.EXPORT,
        hospital=hospital,
        ip=ip,
        detail={"kind": kind, "rows": rows, "full_ids": full_ids, **(detail or {})},
    )
