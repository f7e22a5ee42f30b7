"""Celery tasks live in each app's tasks.py, and every beat entry names a task that exists."""

from django.conf import settings

from config.celery import app

APPS = ("core", "outbox", "org", "webhooks", "metrics", "goals", "reviews", "customers")


def _ours() -> dict:
    app.loader.import_default_modules()  # what a worker imports: autodiscovered <app>.tasks modules
    return {name: task for name, task in app.tasks.items() if name.split(".")[0] in APPS}


def test_it_defines_tasks_only_in_tasks_modules():
    assert _ours()
    misplaced = sorted(
        name
        for name, task in _ours().items()
        if task.__module__ != f"{name.split('.')[0]}.tasks" or not name.startswith(task.__module__)
    )
    assert misplaced == []


def test_it_schedules_only_tasks_that_a_worker_knows():
    unknown = sorted(entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] not in _ours())
    assert unknown == []
