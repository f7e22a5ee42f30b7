"""A large customers file is checked and imported by a worker while the page polls, on the readings' job machinery."""

import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core import uploads
from customers.models import Customer
from metrics.models import ReadingImport
from metrics.services import import_jobs
from metrics.tasks import recover_reading_imports

UPLOAD = reverse("customers:import")
POLL = {"HX-Request": "true"}


@pytest.fixture
def large(monkeypatch):
    """Every file counts as large: it goes to a worker."""
    monkeypatch.setattr(import_jobs, "INLINE_BYTES", 0)


def upload(client, org, *lines: str) -> str:
    body = "\n".join(["name,email,segment", *lines]).encode()
    response = client.post(UPLOAD, {"department": org.support.pk, "file": SimpleUploadedFile("c.csv", body)})
    assert response.status_code == 302
    return response.url


def job_of(preview: str) -> ReadingImport:
    return ReadingImport.objects.filter(token=preview.rstrip("/").rsplit("/", 1)[1]).latest("pk")


def test_it_checks_a_large_file_in_a_worker_while_the_page_polls(
    client, org, large, django_capture_on_commit_callbacks
):
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks() as callbacks:
        preview = upload(client, org, "A,a@example.com,retail", "B,bad,retail")
    job = job_of(preview)
    assert len(callbacks) == 1 and (job.kind, job.action, job.status) == ("customers", "check", "queued")
    page = client.get(preview).content.decode()
    assert 'data-import-running="queued"' in page and "Waiting for a free worker" in page
    poll = client.get(preview, headers=POLL)
    assert poll.status_code == 200 and "HX-Redirect" not in poll

    callbacks[0]()  # the worker (eager in tests) runs the check
    job.refresh_from_db()
    assert (job.status, job.report["rows"], job.report["rejected_rows"]) == ("done", 2, 1)
    poll = client.get(preview, headers=POLL)
    assert poll["HX-Redirect"] == preview and "HX-Request" in poll["Vary"]
    page = client.get(preview).content.decode()
    assert "is not an e-mail address" in page and "Import the 1 valid row only" in page
    assert not Customer.objects.exists()


def test_it_imports_a_large_file_once_however_often_it_is_confirmed(
    client, org, large, django_capture_on_commit_callbacks
):
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks(execute=True):
        preview = upload(client, org, "A,a@example.com,retail", "B,b@example.com,retail")
    with django_capture_on_commit_callbacks() as callbacks:
        assert client.post(preview).url == preview
        assert client.post(preview).status_code == 302  # a double click while it is queued starts nothing
    assert ReadingImport.objects.filter(action="import").count() == 1 and len(callbacks) == 1
    page = client.get(preview).content.decode()
    assert 'data-import-running="queued"' in page and "Importing" in page

    callbacks[0]()
    callbacks[0]()  # the message delivered twice: the job is claimed once
    assert Customer.objects.count() == 2 and not uploads.PendingUpload.objects.exists()
    poll = client.get(preview, headers=POLL)
    assert poll["HX-Redirect"] == reverse("customers:index")
    assert "Imported 2 customers from c.csv" in client.get(reverse("customers:index")).content.decode()
    again = client.get(preview, follow=True)  # said once; a later visit is told it is done
    assert "c.csv was already imported." in again.content.decode()
    assert client.post(preview).status_code == 404  # gone: imported
    assert Customer.objects.count() == 2


def test_a_large_file_with_problems_is_refused_whole_then_imports_the_valid_rows(
    client, org, large, django_capture_on_commit_callbacks
):
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks(execute=True):
        preview = upload(client, org, "A,a@example.com,retail", "B,bad,retail")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(preview)
    page = client.get(preview).content.decode()
    assert "Nothing imported from c.csv: 1 of 2 rows have problems" in page and not Customer.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(preview, {"valid_only": "on"})
    assert list(Customer.objects.values_list("name", flat=True)) == ["A"]


def test_beat_runs_a_customers_job_whose_message_was_lost(client, org, large, django_capture_on_commit_callbacks):
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks():  # the message never reaches a worker
        preview = upload(client, org, "A,a@example.com,retail")
    ReadingImport.objects.update(created_at=timezone.now() - import_jobs.LOST_AFTER - timedelta(seconds=1))
    assert recover_reading_imports.delay().get() == 1  # eager in tests: it runs now
    assert job_of(preview).status == "done" and job_of(preview).report["rows"] == 1


def test_a_large_file_is_not_discarded_while_it_is_checked(client, org, large, django_capture_on_commit_callbacks):
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks():
        preview = upload(client, org, "A,a@example.com,retail")
    response = client.post(preview + "discard/", follow=True)
    assert "This file is being checked; it cannot be discarded until that is done." in response.content.decode()
    assert uploads.PendingUpload.objects.exists()


def test_a_job_for_a_department_no_longer_managed_imports_nothing(
    client, org, large, django_capture_on_commit_callbacks
):
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks() as callbacks:
        preview = upload(client, org, "A,a@example.com,retail")
    uploads.PendingUpload.objects.update(data={"department": org.sales.pk})  # not Alice's to manage
    callbacks[0]()
    job = job_of(preview)
    assert job.status == "failed" and "no longer manage" in job.error and not Customer.objects.exists()


def test_someone_elses_large_file_is_not_found(client, org, large, django_capture_on_commit_callbacks):
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks():
        preview = upload(client, org, "A,a@example.com,retail")
    client.force_login(org.charlie)
    assert client.get(preview).status_code == 404
    assert client.get(preview, headers=POLL).status_code == 404
    assert client.post(preview).status_code == 404


def test_a_small_file_is_still_checked_in_the_request(client, org, django_capture_on_commit_callbacks):
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks() as callbacks:
        preview = upload(client, org, "A,a@example.com,retail")
    assert not callbacks and not ReadingImport.objects.exists()
    assert "Every row can be imported." in client.get(preview).content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite serializes writers; the race needs PostgreSQL")
def test_parallel_confirmations_of_a_large_file_import_it_once(org, large):
    setup = Client()
    setup.force_login(org.alice)
    preview = upload(setup, org, *(f"Customer {n},c{n}@example.com,retail" for n in range(200)))  # checked (eager)
    statuses = []

    def confirm():
        client = Client()
        client.cookies = setup.cookies
        try:
            statuses.append(client.post(preview).status_code)
        except Exception as error:  # a 500 in the test client raises
            statuses.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(statuses) == 20 and set(map(str, statuses)) <= {"302", "404"}, statuses
    assert ReadingImport.objects.filter(action="import").count() == 1
    assert Customer.objects.count() == 200
