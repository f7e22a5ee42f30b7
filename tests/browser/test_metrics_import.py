"""Journey: a manager imports readings from a CSV file, fixes the rows the preview flags, and sees the figures."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core import periods
from tests.helpers import look_at, sign_in
from tests.metrics.factories import MetricFactory, TargetFactory

pytestmark = pytest.mark.browser

HEADER = "metric,person,measured_at,value,denominator,note"


@pytest.fixture
def fcr(org):
    metric = MetricFactory(
        department=org.support, name="First-contact resolution", code="fcr", min_value=0, max_value=100
    )
    TargetFactory(metric=metric, target=80, warning=70)
    return metric


def earlier_today() -> str:
    """A moment of today that has passed, in the organization's zone, as the file writes it (never yesterday)."""
    now = timezone.localtime(timezone.now(), periods.organization_zone())
    midnight = datetime.combine(now.date(), datetime.min.time(), tzinfo=now.tzinfo)
    return max(midnight, now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")


def days_ago(days: int) -> str:
    return (periods.today() - timedelta(days=days)).isoformat()


def csv_file(name: str, *rows: str) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": "\r\n".join([HEADER, *rows, ""]).encode()}


def test_a_manager_fixes_the_rows_the_preview_flags_and_imports_the_file(page, org, fcr):
    today = earlier_today()
    sign_in(page, "alice")
    page.goto("/metrics/")
    page.get_by_role("link", name="Import readings").click()
    expect(page).to_have_title("Import readings · Keel")
    expect(page.get_by_role("cell", name="fcr", exact=True)).to_be_visible()  # the codes to write in the file
    look_at(page, "import-upload")

    page.get_by_label("CSV file").set_input_files(
        csv_file(
            "support-week.csv",
            f"fcr,bob,{today},92,,after the new greeting",
            f"fcr,alice,{today},85,,",
            f"fcr,bob,{days_ago(2)},180,,typed one digit too many",
            f"fcr,bobb,{days_ago(3)},74,,",
        )
    )
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_role("heading", name="Check before importing")).to_contain_text("support-week.csv")
    expect(page.locator("[data-rows]")).to_have_text("4")
    expect(page.locator("[data-rejected]")).to_have_text("2")
    expect(page.locator('[data-problems-of="4"]')).to_contain_text("above the highest valid value")
    expect(page.locator('[data-problems-of="5"]')).to_contain_text("Nobody has the username or e-mail address “bobb”")
    expect(page.locator('[data-problems-of="2"]')).to_have_count(0)
    expect(page.get_by_role("button", name="Import the 2 valid rows only")).to_be_visible()
    look_at(page, "import-preview-with-problems")

    page.get_by_role("link", name="Upload a corrected file").click()
    page.get_by_label("CSV file").set_input_files(
        csv_file(
            "support-week-fixed.csv",
            f"fcr,bob,{today},92,,after the new greeting",
            f"fcr,alice,{today},85,,",
            f"fcr,bob,{days_ago(2)},78,,typed one digit too many",
            f"fcr,bob,{days_ago(3)},74,,",
        )
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_text("Every row can be imported.")).to_be_visible()
    expect(page.locator("[data-rejected]")).to_have_text("0")
    page.get_by_role("button", name="Import 4 readings").click()

    expect(page.locator(".alert-success")).to_contain_text(
        "Imported 4 readings from support-week-fixed.csv: 4 new, 0 updated, 0 rows rejected."
    )

    page.goto(f"/metrics/{fcr.pk}/")
    readings = page.locator("main table tbody tr")
    expect(readings).to_have_count(4)
    expect(readings.filter(has_text="after the new greeting")).to_contain_text("Bob Baker")
    expect(readings.filter(has_text="typed one digit too many")).to_contain_text("78.0")
    look_at(page, "metric-detail")
    page.get_by_role("link", name="Record a reading").click()
    expect(page.get_by_label("Metric")).to_have_value(str(fcr.pk))
    look_at(page, "reading-form")

    page.goto(f"/metrics/departments/{org.support.pk}/?period=day")
    card = page.locator('[data-metric="fcr"]')
    expect(card.locator('[data-role="figure"]')).to_have_text("88.5%")  # bob's 92 and alice's 85 today
    expect(card.locator('[data-role="so-far"]')).to_contain_text("Today so far")  # judged once the day is over
    look_at(page, "department-dashboard")
    page.get_by_role("link", name="New metric").click()
    expect(page.get_by_role("heading", name="New metric")).to_be_visible()
    look_at(page, "metric-form")
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Metrics you define")).to_be_visible()
    expect(page.get_by_role("row", name="First-contact resolution")).to_contain_text("80.0%")
    look_at(page, "metric-list")


def test_a_large_file_shows_its_progress_and_the_page_moves_on_when_a_worker_is_done(page, org, fcr, monkeypatch):
    from metrics import tasks
    from metrics.models import ReadingImport
    from metrics.services import import_jobs

    sent = []
    monkeypatch.setattr(import_jobs, "INLINE_BYTES", 0)  # every file is large: it goes to a worker
    # the worker is this test, below: the task's messages (core.best_effort sends them with apply_async) are kept
    monkeypatch.setattr(tasks.run_reading_import, "apply_async", lambda args=(), **options: sent.append(args[0]))
    sign_in(page, "alice")
    page.goto("/metrics/import/")
    page.get_by_label("CSV file").set_input_files(
        csv_file("year.csv", f"fcr,bob,{days_ago(2)},92,,", f"fcr,alice,{days_ago(2)},85,,")
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Checking")).to_contain_text("year.csv")
    expect(page.get_by_role("status")).to_contain_text("Waiting for a free worker")
    look_at(page, "import-running")

    assert len(sent) == 1
    import_jobs.run(job_id=sent[0])  # the worker checks the file; the page's next poll moves on
    expect(page.get_by_text("Every row can be imported.")).to_be_visible(timeout=10_000)
    page.get_by_role("button", name="Import 2 readings").click()
    expect(page.get_by_role("heading", name="Importing")).to_be_visible()

    import_jobs.run(job_id=sent[1])
    expect(page.locator(".alert-success")).to_contain_text("Imported 2 readings from year.csv", timeout=10_000)
    assert ReadingImport.objects.filter(status="done").count() == 2


def test_a_semicolon_separated_file_preselects_the_decimal_comma_and_imports_it(page, org, fcr):
    sign_in(page, "alice")
    page.goto("/metrics/import/")
    expect(page.get_by_label("Detect it", exact=False)).to_be_checked()
    page.get_by_label("CSV file").set_input_files(
        {
            "name": "europe.csv",
            "mimeType": "text/csv",
            "buffer": "\r\n".join([HEADER.replace(",", ";"), f"fcr;bob;{days_ago(2)};87,5;;", ""]).encode(),
        }
    )
    expect(page.get_by_label("A comma: 87,5 and 1.234,5")).to_be_checked()
    expect(page.locator("[data-decimal-hint]")).to_contain_text("separated by semicolons")
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator("[data-decimal]")).to_contain_text("Decimal separator: a comma")
    expect(page.get_by_text("Every row can be imported.")).to_be_visible()
    page.get_by_role("button", name="Import 1 reading").click()
    expect(page.locator(".alert-success")).to_contain_text("Imported 1 reading from europe.csv")
    from metrics.models import Reading

    assert Reading.objects.get().value == 87.5
