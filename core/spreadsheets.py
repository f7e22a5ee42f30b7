"""Exports that people open in spreadsheet programs: text they typed stays text, never runs as a formula."""

from io import BytesIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (names, titles and notes are typed by people)."""
    return f"'{text}" if text[:1] in FORMULA_STARTS else text


def csv_cell(value):
    """A value for csv.writer: empty for None, ISO for dates, guarded text, numbers as they are."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return safe_text(value) if isinstance(value, str) else value


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
