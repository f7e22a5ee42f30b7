"""A reading is visible at once: rolled up in the request when the rollup lock is free, otherwise the page the
person lands on updates its card (htmx polling) once the worker has rolled it up."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import psycopg2
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from metrics.models import Reading, RollupQueue
from metrics.selectors import rollup_progress
from metrics.services import rollups
from tests.metrics.factories import MetricFactory
from tests.metrics.test_pages import reading_form

HX = {"HTTP_HX_REQUEST": "true"}
postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'")


@pytest.fixture
def fcr(org):
    return MetricFactory(
        department=org.support, name="First-contact resolution", code="fcr", min_value=0, max_value=100
    )


@pytest.fixture
def nudges(monkeypatch):
    """The worker's nudges, recorded instead of sent (with eager tasks a nudge would run the rollup inline)."""
    sent = []
    monkeypatch.setattr(rollups, "_nudge_worker", lambda: sent.append(1))
    return sent


@pytest.fixture
def rollup_lock_held_elsewhere(settings):
    """Another connection (a full rebuild, say) holds the rollup lock until the test releases it."""
    database = settings.DATABASES["default"]
    other = psycopg2.connect(
        dbname=connection.settings_dict["NAME"],
        user=database["USER"],
        host=database["HOST"],
        port=database["PORT"],
        password=database.get("PASSWORD") or None,
    )
    other.autocommit = True
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [rollups.LOCK_KEY])
    with connection.cursor() as cursor:  # a test that waits for the lock after all fails instead of hanging
        cursor.execute("SET lock_timeout = '20s'")

    def release():
        if not other.closed:
            other.close()  # ends the session, and with it the lock

    yield release
    release()


def _landing(response) -> str:
    assert response.status_code == 302
    return response["Location"]


@pytest.mark.django_db(transaction=True)
def test_a_reading_recorded_while_the_lock_is_free_is_on_the_page_at_once(client, org, fcr, nudges):
    client.force_login(org.bob)
    landing = _landing(client.post(reverse("metrics:reading_create"), reading_form(fcr, org.bob)))
    assert landing == reverse("metrics:index")  # nothing to wait for
    assert not RollupQueue.objects.exists() and nudges == []
    page = client.get(landing + "?period=day")
    [card] = page.context["cards"]
    assert card.current.value == 77
    assert page.context["waiting"] is None and b"data-live-card" not in page.content


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_reading_recorded_during_another_run_waits_for_the_worker_then_shows(
    client, org, fcr, nudges, rollup_lock_held_elsewhere
):
    client.force_login(org.bob)
    # Returns although the lock is held: the request tried it and did not wait (else it would fail on the timeout).
    landing = _landing(client.post(reverse("metrics:reading_create"), reading_form(fcr, org.bob)))
    assert Reading.objects.count() == 1 and RollupQueue.objects.exists()
    assert nudges == [1]  # the worker will roll it up once the other run is done

    page = client.get(landing)
    html = page.content.decode()
    assert "data-live-card" in html and 'hx-trigger="every 1s"' in html
    assert "Adding your reading to the figures" in html
    poll = reverse("metrics:card", args=[fcr.pk]) + "?" + page.context["waiting"]["query"]
    assert client.get(poll, **HX).status_code == 204  # not yet: htmx keeps polling, nothing swapped

    rollup_lock_held_elsewhere()
    rollups.run()  # the worker's run
    answer = client.get(poll, **HX)
    assert answer.status_code == 286  # htmx swaps the card in and stops polling
    assert answer.context["card"].current.value == 77
    assert b"Adding your reading" not in answer.content and b"hx-trigger" not in answer.content


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_roll_up_now_if_free_does_not_wait_for_a_held_lock(org, fcr, nudges, rollup_lock_held_elsewhere):
    from metrics.services.readings import ReadingRow, record_readings

    record_readings(
        rows=[ReadingRow(metric=fcr, person=org.bob, measured_at=timezone.now() - timedelta(hours=1), value=80)],
        recorded_by=org.bob,
        source=Reading.Source.API,
        nudge_rollup=False,
    )
    assert rollups.roll_up_now_if_free() is False and nudges == [1]
    assert RollupQueue.objects.exists()
    rollup_lock_held_elsewhere()
    assert rollups.roll_up_now_if_free() is True and not RollupQueue.objects.exists()


def test_inside_a_transaction_it_rolls_up_once_the_readings_commit(
    client, org, fcr, nudges, django_capture_on_commit_callbacks
):
    client.force_login(org.bob)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        landing = _landing(client.post(reverse("metrics:reading_create"), reading_form(fcr, org.bob)))
    assert len(callbacks) == 1 and not RollupQueue.objects.exists() and nudges == []
    # Here the page had been sent on before the commit, so it waits, and finds the rollup already done.
    query = parse_qs(urlsplit(landing).query)
    assert query["metric"] == [str(fcr.pk)]
    page = client.get(landing)
    assert page.context["waiting"] is None and b"data-live-card" not in page.content


def test_the_card_poll_answers_204_until_the_rollup_has_caught_up(client, org, fcr, nudges):
    client.force_login(org.bob)
    landing = _landing(client.post(reverse("metrics:reading_create"), reading_form(fcr, org.bob)))
    page = client.get(landing)
    poll = reverse("metrics:card", args=[fcr.pk]) + "?" + page.context["waiting"]["query"]
    assert client.get(poll, **HX).status_code == 204
    rollups.run()
    answer = client.get(poll, **HX)
    assert answer.status_code == 286 and answer.context["card"].current.value == 77


def test_a_card_that_is_not_on_the_persons_dashboard_is_not_found(client, org, fcr):
    sales_metric = MetricFactory(department=org.sales, name="Deals", code="deals")
    client.force_login(org.bob)
    through = rollup_progress.mark().isoformat()
    url = reverse("metrics:card", args=[sales_metric.pk])
    assert client.get(url, {"through": through}, **HX).status_code == 404


def test_a_page_waiting_too_long_stops_polling_with_the_card_as_it_is(client, org, fcr):
    RollupQueue.objects.create(metric=fcr, day=timezone.now().date(), owner_type="p", owner_id=org.bob.pk)
    client.force_login(org.bob)
    stale = (timezone.now() - timedelta(hours=1)).isoformat()
    answer = client.get(reverse("metrics:card", args=[fcr.pk]), {"through": stale}, **HX)
    assert answer.status_code == 286


@pytest.mark.parametrize("through", ["", "yesterday", "2026-11-02T10:00", "x" * 100])
def test_a_missing_or_malformed_mark_waits_for_nothing(client, org, fcr, through):
    client.force_login(org.bob)
    page = client.get(reverse("metrics:index"), {"metric": fcr.pk, "through": through})
    assert page.status_code == 200 and page.context["waiting"] is None


def test_after_an_import_the_page_says_when_the_dashboards_have_the_readings(client, org, fcr, nudges):
    when = timezone.localtime(timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    client.force_login(org.alice)
    token = _landing(client.post(reverse("metrics:import"), {"file": _csv(f"fcr,bob,{when},90,,")})).split("/")[-2]
    landing = _landing(client.post(reverse("metrics:import_preview", args=[token]), {}))
    assert landing == reverse("metrics:import") and RollupQueue.objects.exists()  # the rollup waits for the commit
    page = client.get(landing)
    html = page.content.decode()
    assert "Adding the imported readings to the dashboards" in html and 'hx-trigger="every 1s"' in html
    poll = reverse("metrics:rollup_status") + "?" + page.context["rollup_poll"]
    assert client.get(poll, **HX).status_code == 204
    rollups.run()
    answer = client.get(poll, **HX)
    assert answer.status_code == 286 and b"up to date with the imported readings" in answer.content
    assert client.get(landing).context["rollup_poll"] is None  # a later visit waits for nothing


@pytest.mark.django_db(transaction=True)
def test_a_small_import_is_rolled_up_before_its_result_page(client, org, fcr, nudges):
    from metrics.models import ReadingImport

    when = timezone.localtime(timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    client.force_login(org.alice)
    token = _landing(client.post(reverse("metrics:import"), {"file": _csv(f"fcr,bob,{when},90,,")})).split("/")[-2]
    landing = _landing(client.post(reverse("metrics:import_preview", args=[token]), {}))
    job = ReadingImport.objects.filter(action=ReadingImport.Action.IMPORT).get()
    assert job.report["saved"] and job.report["queued_through"]
    assert landing == reverse("metrics:import")
    assert not RollupQueue.objects.exists() and nudges == []  # rolled up in the request
    assert client.get(landing).context["rollup_poll"] is None


def _csv(*lines: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = "\r\n".join(["metric,person,measured_at,value,denominator,note", *lines]) + "\r\n"
    return SimpleUploadedFile("readings.csv", body.encode(), content_type="text/csv")
