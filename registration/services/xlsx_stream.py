"""A small streaming XLSX writer for the exports (issue 15): sheets written row by row into a ZIP file.

No library streams XLSX at the exports' rate (openpyxl's write-only mode writes 3,200-5,900 rows a second,
XlsxWriter's constant-memory mode 4,800; the faster ones hold every row in memory), so this writes the
few parts a workbook needs itself, and only what the exports use: text as inline strings (no shared
strings table held in memory), numbers, dates and datetimes as serial numbers with their formats, a bold
title, the header's look, caption rows, one fill per row and column widths. Everything else (merged
cells, per-cell borders) is openpyxl's job (registration.services.exports.xlsx_build).

Text is always text, never a formula; characters XML 1.0 forbids (control characters) are dropped, and a
text that starts like a formula (=, +, -, @, a tab or a carriage return) gets a leading apostrophe, as
OWASP's advice on CSV injection says (export_text): it stays text when the cell is edited or the sheet is
saved as CSV. Numbers and dates are written as numbers: a negative number is no text and is not quoted.
"""

import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from django.utils import timezone

# Deflate level 1: a sheet's repetitive XML still shrinks about tenfold, in 0.12 s of CPU per 100,000 rows
# against 0.18 s at level 3 and 0.58 s at the default 6 (docs/performance.md).
COMPRESSLEVEL = 1
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# What a spreadsheet reads as the start of a formula (OWASP, CSV injection): =, +, -, @, tab, carriage return.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_QUOTE = "'"
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
# Excel's day 0 for every date from 1900-03-01 on (before it Excel counts a 1900-02-29 that never was).
_EXCEL_EPOCH = date(1899, 12, 30).toordinal()
_COLOUR = re.compile("[0-9A-F]{6}")
_BUFFERED_PARTS = 8_000  # strings (cells, row tags) between two writes to the ZIP: about 500 rows
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_RELS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"

# Fonts: 0 the default, 1 the title (bold, 14 pt), 2 bold. Borders: 0 none, 1 thin grey on four sides.
_FONTS = (
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>',
    '<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font>',
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>',
)
_BORDERS = (
    "<border><left/><right/><top/><bottom/><diagonal/></border>",
    '<border><left style="thin"><color rgb="FF999999"/></left><right style="thin"><color rgb="FF999999"/>'
    '</right><top style="thin"><color rgb="FF999999"/></top><bottom style="thin"><color rgb="FF999999"/>'
    "</bottom><diagonal/></border>",
)
DATE_FORMAT, DATETIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
_NUMBER_FORMATS = {DATE_FORMAT: 164, DATETIME_FORMAT: 165}
HEADER_FILL_COLOUR = "DDE5F0"

TITLE, HEADER, CAPTION = "title", "header", "caption"


def sheet_title(name: str) -> str:
    """A valid worksheet name: at most 31 characters, none of []:*?/\\ (nor a control character)."""
    cleaned = _SHEET_NAME_FORBIDDEN.sub("_", name).strip("'")
    return cleaned[:31] or "Sheet"


def excel_serial(value: date) -> int | float:
    """A date or a naive datetime as Excel's serial number (days since 1899-12-30, fractions for time)."""
    days = value.toordinal() - _EXCEL_EPOCH
    if not isinstance(value, datetime):
        return days
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1_000_000
    return days + seconds / 86400


def export_text(value: str) -> str:
    """A text cell's content as both writers write it: without the characters XML 1.0 forbids (a stored
    control character never fails an export), and quoted with a leading apostrophe when it starts like a
    formula (=1+1 is written '=1+1)."""
    text = _FORBIDDEN.sub("", value)
    return FORMULA_QUOTE + text if text.startswith(FORMULA_STARTS) else text


class _Styles:
    """The cell formats (cellXfs) the sheets use, collected as they are met; styles.xml at the end."""

    def __init__(self):
        self._fills: list[str] = []
        self._xfs: dict[tuple, int] = {}
        self._xf((0, 0, 0, 0, False))  # the default format must be the first

    def _xf(self, key: tuple) -> int:
        return self._xfs.setdefault(key, len(self._xfs))

    def _fill(self, colour: str | None) -> int:
        if not colour:
            return 0
        colour = colour.upper()
        if not _COLOUR.fullmatch(colour):
            raise ValueError(f"a fill colour is six hexadecimal digits (RRGGBB), not {colour!r}")
        if colour not in self._fills:
            self._fills.append(colour)
        return 2 + self._fills.index(colour)  # 0 and 1 are the two fills Excel reserves

    def attrs(self, *, kind: str | None = None, fill: str | None = None) -> dict:
        """A cell's ' s="n"' attribute by the value's format (None, dates, datetimes) for a row's look."""
        font, fill_id, border, header = 0, self._fill(fill), 0, False
        if kind == TITLE:
            font = 1
        elif kind == CAPTION:
            font = 2
        elif kind == HEADER:
            font, fill_id, border, header = 2, self._fill(HEADER_FILL_COLOUR), 1, True
        attrs = {}
        for number_format, number_format_id in ((None, 0), *_NUMBER_FORMATS.items()):
            index = self._xf((font, fill_id, border, number_format_id, header))
            attrs[number_format] = f' s="{index}"' if index else ""
        return attrs

    def xml(self) -> str:
        formats = "".join(
            f'<numFmt numFmtId="{number}" formatCode={quoteattr(code)}/>'
            for code, number in _NUMBER_FORMATS.items()
        )
        fills = [
            '<fill><patternFill patternType="none"/></fill>',
            '<fill><patternFill patternType="gray125"/></fill>',
        ]
        fills += [
            f'<fill><patternFill patternType="solid"><fgColor rgb="FF{colour}"/><bgColor indexed="64"/>'
            "</patternFill></fill>"
            for colour in self._fills
        ]
        xfs = []
        for font, fill, border, number_format, header in self._xfs:
            xf = (
                f'<xf numFmtId="{number_format}" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0"'
            )
            xf += ' applyNumberFormat="1"' if number_format else ""
            xf += ' applyFont="1"' if font else ""
            xf += ' applyFill="1"' if fill else ""
            xf += ' applyBorder="1"' if border else ""
            if header:
                xf += (
                    ' applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>'
                )
            else:
                xf += "/>"
            xfs.append(xf)
        return (
            f'{_XML}<styleSheet xmlns="{_MAIN}"><numFmts count="{len(_NUMBER_FORMATS)}">{formats}</numFmts>'
            f'<fonts count="{len(_FONTS)}">{"".join(_FONTS)}</fonts>'
            f'<fills count="{len(fills)}">{"".join(fills)}</fills>'
            f'<borders count="{len(_BORDERS)}">{"".join(_BORDERS)}</borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            '<dxfs count="0"/><tableStyles count="0"/></styleSheet>'
        )


def _column_letters(count: int) -> list[str]:
    letters = []
    for number in range(1, count + 1):
        name = ""
        while number:
            number, remainder = divmod(number - 1, 26)
            name = chr(65 + remainder) + name
        letters.append(name)
    return letters


_LETTERS = _column_letters(16_384)  # A..XFD, Excel's columns: a longer row loses its cells past them


def _cell(reference: str, value, attrs: dict, filled: bool) -> str:
    """One cell's XML, whatever the value's type (the hot loop in SheetStream.rows takes the common ones)."""
    if value is None or value == "":
        return f'<c r="{reference}"{attrs[None]}/>' if filled else ""
    if isinstance(value, str):
        text = escape(export_text(value))
        space = ' xml:space="preserve"' if text.strip() != text else ""
        return f'<c r="{reference}"{attrs[None]} t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{reference}"{attrs[None]} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, float | Decimal) and not math.isfinite(value):  # NaN, infinities: no number
        raise ValueError(f"an export cell cannot hold {value!r}")
    if isinstance(value, int | float | Decimal):
        return f'<c r="{reference}"{attrs[None]}><v>{value}</v></c>'
    if isinstance(value, datetime):
        # As the exports' times are read: local (Asia/Shanghai) wall-clock time, naive.
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return f'<c r="{reference}"{attrs[DATETIME_FORMAT]}><v>{excel_serial(value)}</v></c>'
    if isinstance(value, date):
        return f'<c r="{reference}"{attrs[DATE_FORMAT]}><v>{excel_serial(value)}</v></c>'
    raise TypeError(f"an export cell cannot hold {type(value).__name__}: {value!r}")


class SheetStream:
    """One worksheet being written: rows go out as they come, in blocks of a few hundred."""

    def __init__(self, handle, styles: _Styles, widths: Sequence[float]):
        self._out, self._styles, self._number, self._parts = handle, styles, 0, []
        cols = "".join(
            f'<col min="{index}" max="{index}" width="{width}" customWidth="1"/>'
            for index, width in enumerate(widths, start=1)
        )
        self._parts.append(
            f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}">'
            '<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            f"{f'<cols>{cols}</cols>' if cols else ''}<sheetData>"
        )

    def row(self, values: Sequence, kind: str | None = None) -> None:
        """One row in a look of its own: TITLE, HEADER, CAPTION or plain (None)."""
        attrs = self._styles.attrs(kind=kind)
        self._number += 1
        number = self._number
        cells = "".join(
            _cell(f"{letter}{number}", value, attrs, kind == HEADER)
            for letter, value in zip(_LETTERS, values, strict=False)
        )
        self._parts.append(f'<row r="{number}">{cells}</row>')

    def rows(self, rows: Iterable[Sequence], fill=None) -> int:
        """Plain rows, each filled with the colour fill(values) gives (RRGGBB or None); the count written."""
        # One loop with its names bound locally and the common types (clean text, int, date, None) inline:
        # this is the exports' rate (issue 15); anything else goes through _cell.
        styles, parts, out, looks = self._styles, self._parts, self._out, {}
        plain = styles.attrs()
        letters, epoch, append = _LETTERS, _EXCEL_EPOCH, parts.append
        start = number = self._number
        for values in rows:
            number += 1
            attrs, filled = plain, False
            if fill is not None:
                colour = fill(values)
                if colour:
                    attrs, filled = (
                        looks.get(colour) or looks.setdefault(colour, styles.attrs(fill=colour)),
                        True,
                    )
            text_s, date_s, row = attrs[None], attrs[DATE_FORMAT], str(number)
            append(f'<row r="{row}">')
            for letter, value in zip(letters, values, strict=False):
                kind = type(value)
                if kind is str and value:
                    # isprintable() is False for the control characters and for every other one XML forbids;
                    # a text that starts like a formula is quoted (_cell).
                    if (
                        value[0] in "=+-@"
                        or "&" in value
                        or "<" in value
                        or ">" in value
                        or not value.isprintable()
                        or value[0].isspace()
                        or value[-1].isspace()
                    ):
                        append(_cell(f"{letter}{row}", value, attrs, filled))
                    else:
                        append(f'<c r="{letter}{row}"{text_s} t="inlineStr"><is><t>{value}</t></is></c>')
                elif kind is int:
                    append(f'<c r="{letter}{row}"{text_s}><v>{value}</v></c>')
                elif kind is date:
                    append(f'<c r="{letter}{row}"{date_s}><v>{value.toordinal() - epoch}</v></c>')
                elif value is None or value == "":
                    if filled:
                        append(f'<c r="{letter}{row}"{text_s}/>')
                else:
                    append(_cell(f"{letter}{row}", value, attrs, filled))
            append("</row>")
            if len(parts) >= _BUFFERED_PARTS:
                out.write("".join(parts).encode())
                parts.clear()
        self._number = number
        return number - start

    def blank_row(self) -> None:
        """An empty row, as between two tables."""
        self._number += 1

    def close(self) -> None:
        self._parts.append("</sheetData></worksheet>")
        self._out.write("".join(self._parts).encode())
        self._parts.clear()
        self._out.close()

    def abandon(self) -> None:
        self._parts.clear()
        self._out.close()


class XlsxStream:
    """A workbook written sheet by sheet into a file opened for writing (binary); close() finishes it."""

    def __init__(self, handle, *, compresslevel: int = COMPRESSLEVEL):
        self._zip = zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self._styles, self._names = _Styles(), []
        self._current: SheetStream | None = None

    def sheet(self, name: str, widths: Sequence[float] = ()) -> SheetStream:
        """A new worksheet (the one before it is finished); its name made valid and unique."""
        if self._current is not None:
            self._current.close()
        title, taken = sheet_title(name), {taken.casefold() for taken in self._names}
        for number in range(2, 1000):
            if title.casefold() not in taken:
                break
            title = f"{sheet_title(name)[: 31 - len(str(number)) - 1]}_{number}"
        self._names.append(title)
        handle = self._zip.open(f"xl/worksheets/sheet{len(self._names)}.xml", "w")
        self._current = SheetStream(handle, self._styles, widths)
        return self._current

    def close(self) -> None:
        """The last sheet finished, then the workbook's own parts; the ZIP's directory written."""
        if self._current is not None:
            self._current.close()
            self._current = None
        if not self._names:
            self.sheet("Sheet").close()
        for name, xml in _workbook_parts(self._names, self._styles):
            self._zip.writestr(name, xml)
        self._zip.close()

    def abandon(self) -> None:
        """Give the workbook up after an error (its file is thrown away): the ZIP closed as it stands."""
        if self._current is not None:
            self._current.abandon()
            self._current = None
        self._zip.close()


def _workbook_parts(names: Sequence[str], styles: _Styles) -> list[tuple[str, str]]:
    """The parts around the sheets: content types, relationships, the workbook (its sheets' names), styles."""
    numbers = range(1, len(names) + 1)
    worksheet_type = f"{_OFFICE}.worksheet+xml"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{number}.xml" ContentType="{worksheet_type}"/>'
        for number in numbers
    )
    types = (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="{_RELS_TYPE}"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_OFFICE}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_OFFICE}.styles+xml"/>{overrides}</Types>'
    )
    package = (
        f'{_XML}<Relationships xmlns="{_PACKAGE_RELS}"><Relationship Id="rId1" '
        f'Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    sheets = "".join(
        f'<sheet name={quoteattr(name)} sheetId="{number}" r:id="rId{number}"/>'
        for number, name in enumerate(names, start=1)
    )
    workbook = (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><bookViews><workbookView activeTab="0"/>'
        f"</bookViews><sheets>{sheets}</sheets></workbook>"
    )
    relations = "".join(
        f'<Relationship Id="rId{number}" Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet{number}.xml"/>'
        for number in numbers
    )
    relations += f'<Relationship Id="rId{len(names) + 1}" Type="{_DOC_RELS}/styles" Target="styles.xml"/>'
    return [
        ("[Content_Types].xml", types),
        ("_rels/.rels", package),
        ("xl/workbook.xml", workbook),
        (
            "xl/_rels/workbook.xml.rels",
            f'{_XML}<Relationships xmlns="{_PACKAGE_RELS}">{relations}</Relationships>',
        ),
        ("xl/styles.xml", styles.xml()),
    ]
