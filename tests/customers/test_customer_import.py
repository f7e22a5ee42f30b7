"""CSV import of customers: per-row problems, all or nothing by default, valid rows only on request."""

import io

from customers.models import Customer
from customers.services import imports
from tests.customers.factories import CustomerFactory


def _file(text):
    return io.BytesIO(text.encode())


GOOD = "name,email,segment,products\nHarbour Books,books@harbour.example,retail,delivery\nLakeside,lk@lake.example,,\n"


def test_it_imports_a_good_file(org):
    report = imports.import_customers(file=_file(GOOD), department=org.support)
    assert report.saved and report.created == 2
    assert set(Customer.objects.filter(department=org.support).values_list("name", flat=True)) == {
        "Harbour Books",
        "Lakeside",
    }


def test_it_reports_each_bad_row_and_saves_nothing(org):
    CustomerFactory(department=org.support, email="taken@example.com")
    text = (
        "Name,Email,Segment\n"
        "A,not-an-email,retail\n"
        "B,dup@example.com,retail\n"
        "C,DUP@example.com,retail\n"
        "D,taken@example.com,retail\n"
        "E,e@example.com,retial\n"
        "F,f@example.com,online\n"
    )
    report = imports.import_customers(file=_file(text), department=org.support)
    assert not report.saved and report.created == 0
    assert [(p.line, p.column) for p in report.problems] == [(2, "email"), (4, "email"), (5, "email"), (6, "segment")]
    assert "also on line 3" in report.problems[1].message
    assert "already in the customer list" in report.problems[2].message
    assert "not a known segment" in report.problems[3].message
    assert Customer.objects.filter(department=org.support).count() == 1


def test_it_can_import_the_valid_rows_only(org):
    text = "name,email\nA,bad\nB,b@example.com\n"
    report = imports.import_customers(file=_file(text), department=org.support, valid_only=True)
    assert report.saved and report.created == 1 and report.rejected_rows == 1


def test_segments_in_use_are_known(org):
    CustomerFactory(department=org.support, segment="hospitals")
    report = imports.check_import(file=_file("name,email,segment\nA,a@example.com,Hospitals\n"), department=org.support)
    assert report.ok


def test_it_refuses_wrong_columns(org):
    report = imports.check_import(file=_file("nom,courriel\nA,a@example.com\n"), department=org.support)
    assert "missing column(s) name, email" in report.file_error


def test_it_refuses_an_empty_file(org):
    assert "empty" in imports.check_import(file=_file(""), department=org.support).file_error
