"""Exports that people open in spreadsheet programs: text they typed stays text, never runs as a formula."""

import csv
import re
import unicodedata
from io import BytesIO

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


def write_only_row(sheet, values, *, styles=None) -> list:
    """A row for a write-only sheet's append(): xlsx_row()'s text, stored as text even when it starts with "="
    (openpyxl would store a formula), and a cell style where `styles` ({index: dict of Font/PatternFill/...}) gives
    one. Plain values are appended as they are: building a cell object for each costs more than the writing."""
    from openpyxl.cell import WriteOnlyCell

    line = []
    for index, value in enumerate(xlsx_row(values)):
        style = styles.get(index) if styles else None
        if style is None and not (isinstance(value, str) and value.startswith("=")):
            line.append(value)
            continue
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        for name, setting in (style or {}).items():
            setattr(cell, name, setting)
        line.append(cell)
    return line


def write_only_bytes(book) -> bytes:
    """A write-only openpyxl workbook (its rows went through write_only_row()) as .xlsx bytes."""
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
