"""import_readings FILE --as USERNAME [--valid-only]: the import page's checks, a summary line, non-zero on failure."""

import pytest
from django.core.management import CommandError, call_command

from metrics.models import Reading
from tests.metrics.factories import MetricFactory

HEADER = "metric,person,measured_at,value,denominator,note"


@pytest.fixture
def fcr(org):
    return MetricFactory(
        department=org.support, name="First-contact resolution", code="fcr", min_value=0, max_value=100
    )


@pytest.fixture
def write_csv(tmp_path):
    def write(*lines: str) -> str:
        path = tmp_path / "readings.csv"
        path.write_text("\n".join([HEADER, *lines, ""]), encoding="utf-8")
        return str(path)

    return write


def test_it_imports_a_file_and_prints_a_summary(org, fcr, write_csv, capsys):
    path = write_csv("fcr,bob,2026-10-05,80,,", "fcr,alice,2026-10-05,90,,")
    call_command("import_readings", path, "--as", "Alice")
    out, err = capsys.readouterr()
    assert out.strip() == f"Imported 2 readings from {path}: 2 new, 0 updated, 0 rows rejected."
    assert err == ""
    assert Reading.objects.filter(source=Reading.Source.COMMAND, recorded_by=org.alice).count() == 2


def test_it_exits_non_zero_with_every_problem_when_a_row_is_bad(org, fcr, write_csv, capsys):
    path = write_csv("fcr,bob,2026-10-05,80,,", "fcr,bob,2026-10-06,800,,", "fcr,zoe,2026-10-06,80,,")
    with pytest.raises(CommandError, match=r"Nothing imported from .*: 2 of 3 rows have problems"):
        call_command("import_readings", path, "--as", "alice")
    err = capsys.readouterr().err
    assert "line 3: 800.0% is above the highest valid value" in err
    assert "line 4: Nobody has the username or e-mail address “zoe”." in err
    assert Reading.objects.count() == 0


def test_valid_only_imports_the_good_rows(org, fcr, write_csv, capsys):
    path = write_csv("fcr,bob,2026-10-05,80,,", "fcr,bob,2026-10-06,800,,")
    call_command("import_readings", path, "--as", "alice", "--valid-only")
    out, err = capsys.readouterr()
    assert "1 new, 0 updated, 1 row rejected." in out and "line 3:" in err
    assert Reading.objects.count() == 1


def test_the_persons_rights_decide(org, fcr, write_csv, capsys):
    with pytest.raises(CommandError):
        call_command("import_readings", write_csv("fcr,alice,2026-10-05,80,,"), "--as", "bob")
    assert "You may not record readings of “First-contact resolution” for Alice Archer" in capsys.readouterr().err


def test_it_prints_only_the_first_problems(org, fcr, write_csv, capsys):
    path = write_csv(*[f"fcr,bob,2026-10-{day:02d},800,," for day in range(1, 11)])
    with pytest.raises(CommandError):
        call_command("import_readings", path, "--as", "alice", "--show", "3")
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 4 and err[-1] == "  … and 7 more."


def test_it_refuses_a_file_error_with_its_message(org, fcr, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match=r"Nothing imported from .*: The file is empty"):
        call_command("import_readings", str(path), "--as", "alice")


def test_it_refuses_an_unknown_or_inactive_person(org, fcr, write_csv):
    path = write_csv("fcr,bob,2026-10-05,80,,")
    with pytest.raises(CommandError, match="Nobody active has the username “zoe”"):
        call_command("import_readings", path, "--as", "zoe")
    org.alice.is_active = False
    org.alice.save()
    with pytest.raises(CommandError, match="Nobody active"):
        call_command("import_readings", path, "--as", "alice")


def test_it_refuses_a_missing_file(org, tmp_path):
    with pytest.raises(CommandError, match=r"Cannot read .*nothing\.csv: No such file or directory"):
        call_command("import_readings", str(tmp_path / "nothing.csv"), "--as", "alice")


def test_it_reads_decimal_commas_when_told_so(org, fcr, write_csv, capsys):
    path = write_csv('fcr,bob,2026-10-05,"87,5",,', 'fcr,bob,2026-10-06,"0,500",,')
    call_command("import_readings", path, "--as", "alice", "--decimal", "comma", "--verbosity", "2")
    assert sorted(Reading.objects.values_list("value", flat=True)) == [0.5, 87.5]
    assert "Decimal separator: comma (as given;" in capsys.readouterr().out


def test_it_refuses_a_decimal_comma_in_a_file_with_decimal_points(org, fcr, write_csv, capsys):
    # Before issue 12 "0,500" was imported as 500.
    path = write_csv('fcr,bob,2026-10-05,"0,500",,')
    with pytest.raises(CommandError, match=r"Nothing imported.* Decimal separator: point \(detected;"):
        call_command("import_readings", path, "--as", "alice")
    assert "“0,500” is written with a decimal comma (0.5)" in capsys.readouterr().err
    assert not Reading.objects.exists()
