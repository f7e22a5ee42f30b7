"""A task enqueued through the real broker (filesystem, or Redis when REDIS_URL is set) runs in a real worker."""

import os
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection, transaction

from config.celery import app as celery_app
from outbox.models import OutgoingEmail
from outbox.services import queue_email
from tests.processes import Watched, eventually

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    """The URL of the test database this test writes to, for the worker process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_queue():
    """A worker on a queue of its own, so no other worker on the same broker can take the test's task."""
    queue = f"keel-test-{uuid.uuid4().hex[:8]}"
    env = os.environ | {"DATABASE_URL": database_url(), "KEEL_DATA_DIR": str(settings.DATA_DIR)}
    worker = Watched(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            f"--hostname={queue}@%h",
        ],
        env=env,
        cwd=settings.BASE_DIR,
    )
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        worker.wait_for("ready.", timeout=60)
        yield worker
    finally:
        celery_app.conf.task_default_queue = previous
        worker.stop()


def test_a_queued_email_is_sent_by_a_real_worker_after_commit(worker_queue):
    with transaction.atomic():
        email = queue_email(to="bob@example.com", subject="Sent by a real worker", body="Hello from Celery")
    sent = eventually(lambda: OutgoingEmail.objects.filter(pk=email.pk, sent_at__isnull=False).exists(), timeout=60)
    assert sent, worker_queue.output[-3000:]
    assert "Task outbox.tasks.send_email[" in worker_queue.output
    assert "succeeded" in worker_queue.output


def test_nothing_is_enqueued_when_the_transaction_rolls_back(worker_queue):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_email(to="bob@example.com", subject="Never", body="x")
        raise RuntimeError("the caller failed")
    assert OutgoingEmail.objects.count() == 0
    time.sleep(2)  # room for a wrongly sent message to arrive
    assert "Task outbox.tasks.send_email[" not in worker_queue.output


def test_a_large_csv_import_is_done_by_a_real_worker(worker_queue, org, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core import uploads
    from metrics.models import Reading, ReadingImport
    from metrics.services import import_jobs
    from tests.metrics.factories import MetricFactory

    MetricFactory(department=org.support, code="fcr")
    monkeypatch.setattr(import_jobs, "INLINE_BYTES", 0)
    body = b"metric,person,measured_at,value\n" + b"".join(
        f"fcr,bob,2026-10-{day:02d}T09:00Z,{day}\n".encode() for day in range(1, 29)
    )
    with transaction.atomic():
        pending = uploads.keep(user=org.alice, upload=SimpleUploadedFile("october.csv", body), kind="readings")
        job = import_jobs.start(user=org.alice, upload=pending, action=ReadingImport.Action.IMPORT)
    done = eventually(lambda: ReadingImport.objects.filter(pk=job.pk, status="done").exists(), timeout=60)
    assert done, worker_queue.output[-3000:]
    assert "Task metrics.tasks.run_reading_import[" in worker_queue.output
    assert Reading.objects.filter(person=org.bob).count() == 28
