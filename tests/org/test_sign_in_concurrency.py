"""Parallel wrong passwords for one account are each counted: the count is one atomic database update."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite serializes writers; the race needs PostgreSQL")
def test_parallel_wrong_passwords_are_all_counted_and_lock_the_account(org, settings):
    from axes.models import AccessAttempt

    settings.AXES_FAILURE_LIMIT = 5
    barrier = threading.Barrier(20)
    statuses, errors = [], []

    def attempt():
        try:
            barrier.wait(timeout=30)
            response = Client().post(
                reverse("login"), {"username": "bob", "password": "wrong"}, REMOTE_ADDR="198.51.100.20"
            )
            statuses.append(response.status_code)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(statuses) == 20 and 500 not in statuses
    attempts = AccessAttempt.objects.get(username="bob", ip_address="198.51.100.20")
    assert attempts.failures_since_start == 20
    locked = Client().post(reverse("login"), {"username": "bob", "password": PASSWORD}, REMOTE_ADDR="198.51.100.20")
    assert locked.status_code == 429
