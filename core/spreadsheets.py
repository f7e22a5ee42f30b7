"""Exports that people open in spreadsheet programs: text they typed stays text, never runs as a formula."""

import csv
import math
import re
import unicodedata
import zipfile
from io import BytesIO
from typing import NamedTuple
from xml.sax.saxutils import escape

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Signs that NFKC does not fold into one of FORMULA_STARTS but that a spreadsheet may still read as one: the minus
# sign and the heavy plus and minus signs. (Fullwidth ＝＋－＠ and the small forms ﹦﹢﹣﹫ fold, so they are covered.)
LOOK_ALIKES = "\u2212\u2795\u2796"
SPACES = " \u00a0\u2007\u202f\u3000"  # spaces a spreadsheet may skip before a formula
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # openpyxl's ILLEGAL_CHARACTERS_RE
SHEET_TITLE_LENGTH = 31
SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/?*\[\]:\x00-\x1f]")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet might take the text for a formula: it starts (after spaces) with =, +, -, @, a tab
    or a line break, in ASCII or in a form that looks the same (fullwidth ＝, small ﹦, the minus sign −)."""
    if text[:1] in FORMULA_STARTS:
        return True
    first = text.lstrip(SPACES)[:1]
    return bool(first) and (unicodedata.normalize("NFKC", first) in FORMULA_STARTS or first in LOOK_ALIKES)


def safe_text(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (names, titles and notes are typed by people)."""
    return f"'{text}" if looks_like_formula(text) else text


def sheet_title(text: str, *, fallback: str = "Sheet") -> str:
    """A worksheet title Excel accepts, from any text (a cycle named “FY2027/28” included): without the characters
    it forbids (\\ / ? * [ ] :), no apostrophe at either end, at most 31 characters, never empty."""
    title = SHEET_TITLE_FORBIDDEN.sub("-", text).strip().strip("'")[:SHEET_TITLE_LENGTH].strip().strip("'")
    return title or fallback


def csv_cell(value):
    """A value for csv.writer: empty for None, ISO for dates, guarded text, numbers as they are."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return safe_text(value) if isinstance(value, str) else value


def xlsx_row(values) -> list:
    """A row for openpyxl's sheet.append(): text without the control characters an .xlsx file cannot hold
    (openpyxl raises IllegalCharacterError on them, and a title typed with one answered 500)."""
    return [ILLEGAL_XML.sub("", value) if isinstance(value, str) else value for value in values]


def workbook_bytes(book) -> bytes:
    """An openpyxl workbook as .xlsx bytes, every text cell stored as text (openpyxl stores "=..." as a formula)."""
    for sheet in book.worksheets:
        for line in sheet.iter_rows():
            for cell in line:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class _Echo:
    """A file that hands back what is written to it, so that csv.writer yields lines instead of storing them."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows):
    """The rows (iterables of values) as CSV lines, one at a time, each cell through csv_cell()."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([csv_cell(v) for v in row])


def streaming_csv(rows, *, filename: str) -> StreamingHttpResponse:
    """A CSV download written while it is sent: a large table never sits in memory as one file."""
    return StreamingHttpResponse(
        csv_lines(rows),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class Styled(NamedTuple):
    """A value for xlsx_table() with a look: a solid fill ("F8D7DA", RGB hex) and/or bold."""

    value: object
    fill: str | None = None
    bold: bool = False


def xlsx_table(rows, *, title: str, widths=(), freeze: tuple[int, int] = (0, 0)) -> bytes:
    """A one-sheet .xlsx file of a table, written directly as SpreadsheetML, row by row.

    rows: iterables of values (str, int, float, bool, date, None for an empty cell) or Styled ones. Text is always
    stored as text (never a formula) without the control characters XML cannot hold; numbers that are not finite
    are written as text. widths: column widths in characters, first column first; freeze: (columns, rows) kept in
    view when scrolling. openpyxl costs some 40 µs a cell even in write-only mode, several times what the CSV of
    the same table costs, so exports of thousands of rows are written here instead (read back by openpyxl in tests).
    """
    styles: dict[tuple[str | None, bool], int] = {(None, False): 0}
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        for name, content in _XLSX_PARTS.items():
            book.writestr(name, content)
        book.writestr("xl/workbook.xml", _XLSX_WORKBOOK.format(title=escape(sheet_title(title), {'"': "&quot;"})))
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(_xlsx_sheet_head(widths, freeze).encode())
            letters: list[str] = []
            for number, row in enumerate(rows, start=1):
                cells = []
                for index, item in enumerate(row):
                    if index >= len(letters):
                        letters.append(_column_letter(index + 1))
                    style = 0
                    if isinstance(item, Styled):
                        key = (item.fill, item.bold)
                        style = styles.setdefault(key, len(styles))
                        item = item.value
                    if item is None and not style:
                        continue
                    cells.append(_xlsx_cell(f"{letters[index]}{number}", item, style))
                sheet.write(f'<row r="{number}">{"".join(cells)}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")
        book.writestr("xl/styles.xml", _xlsx_styles(styles))
    return buffer.getvalue()


def _xlsx_cell(ref: str, value, style: int) -> str:
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float) and math.isfinite(value):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    text = escape(ILLEGAL_XML.sub("", text))
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _column_letter(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_XLSX_PARTS = {
    "[Content_Types].xml": _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
    "_rels/.rels": _XML + f'<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/_rels/workbook.xml.rels": _XML + f'<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/></Relationships>',
}
_XLSX_WORKBOOK = (
    _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">'
    '<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)


def _xlsx_sheet_head(widths, freeze: tuple[int, int]) -> str:
    columns, rows = freeze
    view = '<sheetView workbookViewId="0"/>'
    if columns or rows:
        corner = f"{_column_letter(columns + 1)}{rows + 1}"
        split = (f' xSplit="{columns}"' if columns else "") + (f' ySplit="{rows}"' if rows else "")
        pane = "bottomRight" if columns and rows else "topRight" if columns else "bottomLeft"
        view = (
            f'<sheetView workbookViewId="0"><pane{split} topLeftCell="{corner}" activePane="{pane}" state="frozen"/>'
            "</sheetView>"
        )
    cols = "".join(
        f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>' for n, width in enumerate(widths, start=1)
    )
    return (
        _XML
        + f'<worksheet xmlns="{_MAIN}"><sheetViews>{view}</sheetViews>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + "<sheetData>"
    )


def _xlsx_styles(styles: dict[tuple[str | None, bool], int]) -> str:
    fills = [key[0] for key in styles if key[0] is not None]
    fill_ids = {colour: 2 + n for n, colour in enumerate(dict.fromkeys(fills))}
    fill_xml = "".join(
        f'<fill><patternFill patternType="solid"><fgColor rgb="FF{colour}"/><bgColor rgb="FF{colour}"/>'
        "</patternFill></fill>"
        for colour in fill_ids
    )
    xfs = []
    for (colour, bold), _index in sorted(styles.items(), key=lambda item: item[1]):
        fill = fill_ids.get(colour, 0)
        xfs.append(
            f'<xf numFmtId="0" fontId="{int(bold)}" fillId="{fill}" borderId="0" xfId="0"'
            + (' applyFont="1"' if bold else "")
            + (' applyFill="1"' if fill else "")
            + "/>"
        )
    return (
        _XML + f'<styleSheet xmlns="{_MAIN}">'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        f'<fills count="{2 + len(fill_ids)}"><fill><patternFill patternType="none"/></fill>'
        f'<fill><patternFill patternType="gray125"/></fill>{fill_xml}</fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    )
