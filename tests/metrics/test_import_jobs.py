"""Large imports run as jobs: a worker checks and imports, the page polls, a job runs once and is never lost."""

import time
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from core import uploads
from metrics.models import Reading, ReadingImport
from metrics.services import import_jobs, imports
from metrics.tasks import recover_reading_imports, run_reading_import
from tests.metrics.factories import MetricFactory
from tests.metrics.test_import_pages import csv_upload

UPLOAD = reverse("metrics:import")
POLL = {"HX-Request": "true"}


@pytest.fixture
def fcr(org):
    return MetricFactory(
        department=org.support, name="First-contact resolution", code="fcr", min_value=0, max_value=100
    )


@pytest.fixture
def large(monkeypatch):
    """Every file counts as large: it goes to a worker."""
    monkeypatch.setattr(import_jobs, "INLINE_BYTES", 0)


def upload_large(client, *lines):
    response = client.post(UPLOAD, {"file": csv_upload(*lines)})
    assert response.status_code == 302
    return response.url


def job_of(preview: str) -> ReadingImport:
    return ReadingImport.objects.filter(token=preview.rstrip("/").rsplit("/", 1)[1]).latest("pk")


def test_a_large_file_is_checked_by_a_worker_while_the_page_polls(
    client, org, fcr, large, django_capture_on_commit_callbacks
):
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks() as callbacks:
        preview = upload_large(client, "fcr,bob,2026-10-05,80,,", "fcr,bob,2026-10-06,800,,")
    assert len(callbacks) == 1 and job_of(preview).status == "queued"  # handed to Celery after the commit
    page = client.get(preview)
    assert page.status_code == 200 and 'data-import-running="queued"' in page.content.decode()
    assert "Waiting for a free worker" in page.content.decode()
    poll = client.get(preview, headers=POLL)
    assert poll.status_code == 200 and "HX-Redirect" not in poll

    callbacks[0]()  # the worker (eager in tests) runs the check
    job = job_of(preview)
    assert (job.status, job.report["rows"], job.report["rejected_rows"]) == ("done", 2, 1)
    poll = client.get(preview, headers=POLL)
    assert poll.status_code == 200 and poll["HX-Redirect"] == preview
    html = client.get(preview).content.decode()
    assert "above the highest valid value" in html and "Import the 1 valid row only" in html
    assert Reading.objects.count() == 0


def test_a_large_import_runs_once_in_a_worker_and_says_so_once(
    client, org, fcr, large, django_capture_on_commit_callbacks
):
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks(execute=True):
        preview = upload_large(client, "fcr,bob,2026-10-05,80,,", "fcr,alice,2026-10-05,90,,")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(preview)
    assert response.status_code == 302 and response.url == preview
    assert 'data-import-running="queued"' in client.get(preview).content.decode()
    assert client.post(preview).status_code == 302  # a second confirmation while it runs starts nothing
    assert ReadingImport.objects.filter(action="import").count() == 1

    callbacks[0]()
    callbacks[0]()  # the message delivered twice: the job is claimed once
    assert Reading.objects.count() == 2 and not uploads.PendingUpload.objects.exists()
    poll = client.get(preview, headers=POLL)
    assert poll.status_code == 200 and poll["HX-Redirect"] == UPLOAD
    assert "Imported 2 readings from readings.csv" in client.get(UPLOAD).content.decode()
    again = client.get(preview, follow=True)  # said once; a later visit (another tab) is told it is done
    assert again.redirect_chain == [(UPLOAD, 302)] and "readings.csv was imported already." in again.content.decode()
    assert "Imported 2 readings" not in again.content.decode()


def test_a_poll_and_the_page_it_polls_are_never_cached_for_each_other(
    client, org, fcr, large, django_capture_on_commit_callbacks
):
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks() as callbacks:
        preview = upload_large(client, "fcr,bob,2026-10-05,80,,")
    callbacks[0]()
    poll, page = client.get(preview, headers=POLL), client.get(preview)
    assert "HX-Redirect" in poll and "HX-Redirect" not in page
    assert "HX-Request" in poll["Vary"] and "HX-Request" in page["Vary"]


def test_an_import_is_not_discarded_while_it_runs(client, org, fcr, large, django_capture_on_commit_callbacks):
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks(execute=True):
        preview = upload_large(client, "fcr,bob,2026-10-05,80,,")
    with django_capture_on_commit_callbacks():
        client.post(preview)
    response = client.post(preview + "discard/", follow=True)
    assert "This file is being imported; it cannot be discarded until that is done." in response.content.decode()
    assert uploads.PendingUpload.objects.exists()


def test_someone_elses_running_job_is_not_found(client, org, fcr, large, django_capture_on_commit_callbacks):
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks():
        preview = upload_large(client, "fcr,bob,2026-10-05,80,,")
    client.force_login(org.charlie)
    assert client.get(preview).status_code == 404
    assert client.get(preview, headers=POLL).status_code == 404
    assert client.post(preview).status_code == 404


def start(org, action="import", body=b"metric,person,measured_at,value\nfcr,bob,2026-10-05,80\n"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    pending = uploads.keep(user=org.alice, upload=SimpleUploadedFile("r.csv", body), kind="readings")
    return ReadingImport.objects.create(
        user=org.alice, upload=pending, token=pending.token, name="r.csv", action=action
    )


def test_a_job_killed_midway_is_claimed_again_once_it_is_stale(org, fcr):
    job = start(org)
    ReadingImport.objects.filter(pk=job.pk).update(status="running", attempts=1, started_at=timezone.now())
    assert import_jobs.run(job_id=job.pk) is False  # still held by the (killed) worker
    ReadingImport.objects.filter(pk=job.pk).update(
        started_at=timezone.now() - import_jobs.STALE_AFTER - timedelta(seconds=1)
    )
    assert import_jobs.run(job_id=job.pk) is True
    job.refresh_from_db()
    assert (job.status, job.attempts, Reading.objects.count()) == ("done", 2, 1)


def test_beat_sends_lost_and_stalled_jobs_again_and_clears_old_ones(org, fcr):
    lost, stalled, fresh, old = start(org), start(org), start(org), start(org)
    ReadingImport.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    ReadingImport.objects.filter(pk=stalled.pk).update(
        status="running", started_at=timezone.now() - import_jobs.STALE_AFTER - timedelta(minutes=1)
    )
    ReadingImport.objects.filter(pk=old.pk).update(status="done", created_at=timezone.now() - timedelta(days=8))
    assert recover_reading_imports.delay().get() == 2  # eager in tests: both run now
    statuses = dict(ReadingImport.objects.values_list("pk", "status"))
    assert statuses == {lost.pk: "done", stalled.pk: "done", fresh.pk: "queued"}


def test_a_job_that_keeps_stopping_fails_with_a_message(org, fcr):
    job = start(org)
    ReadingImport.objects.filter(pk=job.pk).update(attempts=import_jobs.MAX_ATTEMPTS)
    import_jobs.run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "stopped 3 times" in job.error and Reading.objects.count() == 0


def test_a_crash_fails_the_job_visibly_and_imports_nothing(client, org, fcr, monkeypatch):
    job = start(org)

    def crash(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(imports, "import_readings", crash)
    assert run_reading_import.delay(job.pk).get() is True
    job.refresh_from_db()
    assert job.status == "failed" and "Something went wrong on our side" in job.error
    client.force_login(org.alice)
    html = client.get(reverse("metrics:import_preview", args=[job.token])).content.decode()
    assert "The import of r.csv stopped." in html and "Upload the file again" in html
    assert Reading.objects.count() == 0


def test_a_database_failure_queues_the_job_again(org, fcr, monkeypatch):
    job = start(org)

    def unavailable(**kwargs):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(imports, "import_readings", unavailable)
    with pytest.raises(import_jobs.Retry):
        import_jobs.run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("queued", 1)
    monkeypatch.undo()
    assert import_jobs.run(job_id=job.pk) and Reading.objects.count() == 1


def test_the_running_page_runs_a_bounded_number_of_queries(
    client, org, fcr, large, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks():
        preview = upload_large(
            client, *[f"fcr,bob,2026-10-{day % 28 + 1:02d}T{day % 24:02d}:00Z,80,," for day in range(500)]
        )
    # session, user, the job, alice's managed paths, her department (menu)
    with django_assert_max_num_queries(5):
        assert client.get(preview, headers=POLL).status_code == 200


def test_a_nul_in_the_file_is_reported_not_retried(client, org, fcr):
    client.force_login(org.alice)
    response = client.post(UPLOAD, {"file": csv_upload("fcr,bob,2026-10-05,80,,bad\x00note")}, follow=True)
    job = ReadingImport.objects.get()
    assert (job.status, job.attempts) == ("done", 1)  # PostgreSQL's JSON takes no NUL: it is replaced
    assert "The note contains a NUL character" in response.content.decode()


def test_a_check_whose_file_was_replaced_says_so_and_stops_polling(
    client, org, fcr, large, django_capture_on_commit_callbacks
):
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks() as callbacks:
        first = upload_large(client, "fcr,bob,2026-10-05,80,,")
        for day in range(1, uploads.KEPT_PER_PERSON + 1):  # newer uploads push the first one out
            upload_large(client, f"fcr,bob,2026-10-{day:02d},80,,")
    callbacks[0]()  # the worker finally gets to the first file, which is gone
    poll = client.get(first, headers=POLL)
    assert poll.status_code == 200 and poll["HX-Redirect"] == first  # not a 404 htmx would poll forever
    page = client.get(first)
    assert (
        page.status_code == 200
        and "The check of readings.csv stopped. The file is no longer waiting" in page.content.decode()
    )


def test_a_file_is_not_discarded_while_it_is_checked(client, org, fcr, large, django_capture_on_commit_callbacks):
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks():
        preview = upload_large(client, "fcr,bob,2026-10-05,80,,")
    response = client.post(preview + "discard/", follow=True)
    assert "being checked; it cannot be discarded until that is done" in response.content.decode()
    assert uploads.PendingUpload.objects.count() == 1


def test_a_file_removed_while_it_is_read_fails_the_job_with_a_message(org, fcr, monkeypatch):
    job = start(org)
    real = uploads.open_upload

    def removed_meanwhile(pending):
        stream = real(pending)
        uploads.PendingUploadChunk.objects.all().delete()
        return stream

    monkeypatch.setattr(uploads, "open_upload", removed_meanwhile)
    import_jobs.run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.error == import_jobs.GONE and Reading.objects.count() == 0


def test_a_job_whose_worker_died_is_claimed_again_within_two_minutes(org, fcr, _controlled_clock):
    job = start(org)
    now = timezone.now()
    ReadingImport.objects.filter(pk=job.pk).update(status="running", attempts=1, started_at=now, heartbeat_at=now)
    _controlled_clock.shift(60)
    assert import_jobs.recover_stalled() == 0  # a minute of silence: the worker may be busy
    assert import_jobs.run(job_id=job.pk) is False
    _controlled_clock.shift(60)
    assert import_jobs.run(job_id=job.pk) is True  # two minutes: its worker is gone
    job.refresh_from_db()
    assert (job.status, job.attempts, Reading.objects.count()) == ("done", 2, 1)


def test_a_long_job_whose_worker_still_beats_is_left_alone(org, fcr):
    job = start(org)
    ReadingImport.objects.filter(pk=job.pk).update(
        status="running",
        attempts=1,
        started_at=timezone.now() - timedelta(minutes=30),
        heartbeat_at=timezone.now() - timedelta(seconds=20),
    )
    assert import_jobs.recover_stalled() == 0
    assert import_jobs.run(job_id=job.pk) is False


def test_beat_looks_for_dead_workers_every_minute(settings):
    assert settings.CELERY_BEAT_SCHEDULE["metrics-recover-imports"]["schedule"] <= 60


@pytest.mark.django_db(transaction=True)
def test_a_running_job_beats_from_its_own_connection(org, fcr, _controlled_clock):
    job = start(org)
    ReadingImport.objects.filter(pk=job.pk).update(
        status="running", started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    with import_jobs.heartbeat(job.pk, every=0.05):
        _controlled_clock.shift(10 * 60)  # ten minutes of work
        later = timezone.now()
        for _ in range(100):
            job.refresh_from_db()
            if job.heartbeat_at >= later:
                break
            time.sleep(0.05)
    assert job.heartbeat_at >= later
    assert import_jobs.recover_stalled() == 0
