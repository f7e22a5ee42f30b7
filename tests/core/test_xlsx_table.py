"""core.spreadsheets.xlsx_table(): a workbook written directly as SpreadsheetML, read back by openpyxl."""

import io
from datetime import date

from openpyxl import load_workbook

from core.spreadsheets import Styled, xlsx_table


def read(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def test_it_writes_values_as_their_types():
    sheet = read(xlsx_table([["Name", 1, 2.5, True, None, date(2026, 11, 2)]], title="W45 2026"))
    assert [c.value for c in sheet[1]] == ["Name", 1, 2.5, True, None, "2026-11-02"]
    assert sheet.title == "W45 2026"


def test_text_that_looks_like_a_formula_stays_text():
    sheet = read(xlsx_table([["=SUM(A1:A9)", "+1", "a < b & c"]], title="x"))
    assert [c.value for c in sheet[1]] == ["=SUM(A1:A9)", "+1", "a < b & c"]
    assert sheet["A1"].data_type == "s"


def test_it_drops_what_xml_cannot_hold_and_writes_what_is_not_finite_as_text():
    sheet = read(xlsx_table([["tab\tok\x00\x07", float("inf"), float("nan")]], title="x"))
    assert [c.value for c in sheet[1]] == ["tab\tok", "inf", "nan"]


def test_it_styles_fills_and_bold_and_keeps_leading_spaces():
    sheet = read(
        xlsx_table([[Styled("Head", bold=True), Styled(3, fill="D1E7DD"), Styled("  x", "F8D7DA", True)]], title="x")
    )
    assert sheet["A1"].font.bold and not sheet["B1"].font.bold
    assert sheet["B1"].fill.fgColor.rgb.endswith("D1E7DD") and sheet["B1"].value == 3
    assert sheet["C1"].font.bold and sheet["C1"].fill.fgColor.rgb.endswith("F8D7DA") and sheet["C1"].value == "  x"


def test_it_freezes_panes_and_sets_widths():
    sheet = read(xlsx_table([["a", "b", "c"], [1, 2, 3]], title="x", widths=[24, 16], freeze=(2, 1)))
    assert sheet.freeze_panes == "C2"
    assert sheet.column_dimensions["A"].width == 24 and sheet.column_dimensions["B"].width == 16


def test_a_forbidden_sheet_title_is_made_acceptable():
    assert read(xlsx_table([["a"]], title="FY2027/28: [draft]")).title == "FY2027-28- -draft-"
