"""CSV and XLSX exports of the scorecard: the page's rows and statuses, frozen when the period is closed."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from metrics.models import ClosedPeriod, ScorecardExport
from metrics.services import awards, rollups, scorecard_exports
from tests.metrics.test_scorecard import make_scene, record
from tests.org.factories import UserFactory

HEADER = [
    "Name",
    "Department",
    "Attendance (%)",
    "Attendance: status",
    "Average handle time (min)",
    "Average handle time: status",
    "Customer satisfaction",
    "Customer satisfaction: status",
    "First-contact resolution (%)",
    "First-contact resolution: status",
    "Calls",
    "Calls: status",
    "Weighted score (%)",
]


@pytest.fixture
def scene(org):
    return make_scene(org)


def export(client, scene, kind, **params):
    client.force_login(scene.org.alice)
    query = {"period": "week", "start": scene.week.isoformat()} | params
    return client.get(reverse(f"metrics:scorecard_{kind}", args=[scene.org.support.pk]), query)


def read_csv(response):
    assert response.streaming, "the CSV is streamed"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def read_xlsx(response):
    sheet = load_workbook(io.BytesIO(response.content)).active
    return sheet, [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_csv_has_the_rows_statuses_and_total(client, scene):
    response = export(client, scene, "csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="scorecard-support-week-{scene.week.isoformat()}-people.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == HEADER
    assert rows[1] == [
        "Alice Archer",
        "Support",
        "100.0",
        "On track",
        "4.0",
        "On track",
        "",
        "Does not apply",
        "95.0",
        "On track",
        "",
        "Does not apply",
        "100.0",
    ]
    assert rows[2] == [
        "Bob Baker",
        "Front Line",
        "96.0",
        "On track",
        "8.0",
        "Off track",
        "",
        "Does not apply",
        "85.0",
        "At risk",
        "42.0",
        "No target",
        "50.0",
    ]
    assert rows[3][:10] == [
        "All of Support",
        "Support",
        "98.0",
        "On track",
        "6.0",
        "At risk",
        "4.6",
        "On track",
        "90.0",
        "On track",
    ]
    assert len(rows) == 4


def test_the_csv_follows_the_pages_order_and_rows(client, scene):
    assert [r[0] for r in read_csv(export(client, scene, "csv", sort="-score"))[1:]] == [
        "Alice Archer",
        "Bob Baker",
        "All of Support",
    ]
    assert [r[0] for r in read_csv(export(client, scene, "csv", sort="score"))[1:]] == [
        "Bob Baker",
        "Alice Archer",
        "All of Support",
    ]
    assert [r[0] for r in read_csv(export(client, scene, "csv", rows="departments"))[1:]] == [
        "Front Line",
        "All of Support",
    ]


def test_the_xlsx_has_the_same_table_with_numbers_and_coloured_statuses(client, scene):
    response = export(client, scene, "xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet, rows = read_xlsx(response)
    assert rows[0] == HEADER
    assert rows[2] == [
        "Bob Baker",
        "Front Line",
        96,
        "On track",
        8,
        "Off track",
        None,
        "Does not apply",
        85,
        "At risk",
        42,
        "No target",
        50,
    ]
    assert rows[3][0] == "All of Support" and rows[3][8] == 90
    assert sheet.title.startswith("W")
    assert sheet["G3"].value is None and sheet["E3"].fill.fgColor.rgb.endswith("F8D7DA")  # bob's off-track time
    assert sheet["I3"].fill.fgColor.rgb.endswith("FFF3CD") and sheet["A4"].font.bold


def test_names_that_look_like_formulas_stay_text(client, scene):
    mallory = UserFactory(
        username="mallory", first_name='=HYPERLINK("http://x")', last_name="", department=scene.org.support
    )
    record(scene.metrics.fcr, (mallory, scene.week, 90), by=scene.org.admin)
    rollups.run()
    names = [r[0] for r in read_csv(export(client, scene, "csv"))]
    assert '\'=HYPERLINK("http://x")' in names
    sheet, _ = read_xlsx(export(client, scene, "xlsx"))
    cell = next(c for c in sheet["A"] if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"


def test_a_closed_period_exports_the_frozen_figures(client, scene):
    awards.close_period(
        department=scene.org.support,
        period="week",
        start=scene.week,
        rule=ClosedPeriod.Rule.ALL_ON_TARGET,
        top_n=3,
        closed_by=scene.org.alice,
    )
    record(
        scene.metrics.fcr,
        (scene.org.bob, scene.week + timedelta(days=3), 5),
        by=scene.org.admin,
        override_reason="Late import",
    )
    rollups.run()
    bob = next(r for r in read_csv(export(client, scene, "csv")) if r[0] == "Bob Baker")
    assert bob[8] == "85.0"  # frozen, not the live 45.0
    _, rows = read_xlsx(export(client, scene, "xlsx"))
    assert next(r for r in rows if r[0] == "Bob Baker")[8] == 85


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_exports_run_a_fixed_number_of_queries(client, scene, django_assert_max_num_queries, kind):
    client.force_login(scene.org.alice)
    address = reverse(f"metrics:scorecard_{kind}", args=[scene.org.support.pk])
    # 1 session, 2 user, 3 managed paths, 4 department, 5 closed periods, 6-10 build_scorecard's five; and for the
    # xlsx, 11 the count of people that says whether a worker writes it.
    with django_assert_max_num_queries(10 if kind == "csv" else 11):
        assert client.get(address).status_code == 200


# A large matrix's workbook is written by a worker while its page waits

POLL = {"HX-Request": "true"}


def test_a_large_xlsx_is_written_by_a_worker_while_its_page_polls(
    client, scene, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(scorecard_exports, "IN_REQUEST_ROWS", 1)
    with django_capture_on_commit_callbacks() as callbacks:
        response = export(client, scene, "xlsx", sort="-score")
    job = ScorecardExport.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "metrics:scorecard_export", args=[scene.org.support.pk, job.pk]
    )
    assert len(callbacks) == 1 and job.status == "queued"  # handed to Celery after the commit
    page = client.get(response.url)
    assert 'data-export-running="queued"' in page.content.decode()
    assert client.get(response.url, headers=POLL).status_code == 204

    callbacks[0]()  # the worker (eager in tests) writes the workbook
    callbacks[0]()  # a second message finds the job claimed: nothing twice
    assert client.get(response.url, headers=POLL)["HX-Redirect"] == response.url
    html = client.get(response.url).content.decode()
    download = reverse("metrics:scorecard_download", args=[scene.org.support.pk, job.pk])
    assert download in html
    sheet, rows = read_xlsx(client.get(download))
    assert rows[0] == HEADER and [r[0] for r in rows[1:3]] == ["Alice Archer", "Bob Baker"]  # by score, best first
    assert sheet["A4"].font.bold and rows[3][0] == "All of Support"


def test_a_small_xlsx_is_written_at_once(client, scene):
    response = export(client, scene, "xlsx")
    assert response.status_code == 200 and not ScorecardExport.objects.exists()


def test_an_export_job_is_only_its_owners(client, scene, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(scorecard_exports, "IN_REQUEST_ROWS", 1)
    with django_capture_on_commit_callbacks(execute=True):
        export(client, scene, "xlsx")
    job = ScorecardExport.objects.get()
    assert job.status == "done"
    other = UserFactory(department=scene.org.support)
    scene.org.support.managers.add(other)
    client.force_login(other)
    assert client.get(reverse("metrics:scorecard_export", args=[scene.org.support.pk, job.pk])).status_code == 404
    assert client.get(reverse("metrics:scorecard_download", args=[scene.org.support.pk, job.pk])).status_code == 404
    client.force_login(scene.org.bob)  # not a manager: no scorecard at all
    assert client.get(reverse("metrics:scorecard_export", args=[scene.org.support.pk, job.pk])).status_code == 404


def test_a_failed_export_says_so(client, scene, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(scorecard_exports, "IN_REQUEST_ROWS", 1)

    def broken(*args, **kwargs):
        raise ValueError("disk full")

    monkeypatch.setattr(scorecard_exports.scorecards, "xlsx_bytes", broken)
    with django_capture_on_commit_callbacks(execute=True):
        response = export(client, scene, "xlsx")
    assert ScorecardExport.objects.get().status == "failed"
    assert "could not be written" in client.get(response.url).content.decode()


def test_a_job_whose_worker_died_is_built_again_when_its_page_polls(
    client, scene, monkeypatch, django_capture_on_commit_callbacks
):
    """A claimed job stayed "running" for ever when its worker was killed mid-build: the page polled for ever."""
    monkeypatch.setattr(scorecard_exports, "IN_REQUEST_ROWS", 1)
    with django_capture_on_commit_callbacks() as callbacks:
        response = export(client, scene, "xlsx")
    job = ScorecardExport.objects.get()
    ScorecardExport.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())  # worker dies
    assert scorecard_exports.build(job_id=job.pk) is False  # a live claim is left alone
    assert client.get(response.url, headers=POLL).status_code == 204
    long_ago = timezone.now() - scorecard_exports.stale_after() - timedelta(seconds=1)
    ScorecardExport.objects.filter(pk=job.pk).update(started_at=long_ago)
    sent = []
    monkeypatch.setattr(scorecard_exports.best_effort, "enqueue", lambda task, *args: sent.append(args) or True)
    assert client.get(response.url, headers=POLL).status_code == 204 and sent == [(job.pk,)]
    assert scorecard_exports.build(job_id=job.pk) is True
    assert scorecard_exports.build(job_id=job.pk) is False  # done: never built twice
    assert client.get(response.url, headers=POLL)["HX-Redirect"] == response.url
    assert callbacks  # the first nudge, never run: the worker "died"
