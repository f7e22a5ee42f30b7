"""Exports opened in spreadsheet programs keep people's text as text."""

from datetime import date

from openpyxl import Workbook, load_workbook

from core.spreadsheets import csv_cell, workbook_bytes


def test_text_that_looks_like_a_formula_is_guarded_in_csv():
    assert csv_cell('=HYPERLINK("http://evil")') == '\'=HYPERLINK("http://evil")'
    assert csv_cell("-5 defects") == "'-5 defects"
    assert csv_cell("Fine") == "Fine"


def test_other_values_keep_their_type():
    assert csv_cell(None) == ""
    assert csv_cell(date(2026, 11, 2)) == "2026-11-02"
    assert csv_cell(4.5) == 4.5


def test_a_workbook_stores_formula_like_text_as_text(tmp_path):
    book = Workbook()
    book.active.append(["=1+1", 2])
    path = tmp_path / "out.xlsx"
    path.write_bytes(workbook_bytes(book))
    cell = load_workbook(path).active["A1"]
    assert cell.value == "=1+1" and cell.data_type == "s"
