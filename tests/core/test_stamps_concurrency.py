"""PostgreSQL: two transactions that write watched tables of different topics, in opposite orders, both commit.

Each topic's version row stays locked by its writer until commit; were the rows locked one topic at a time, a
transaction writing a goal then a completion and another writing a completion then a goal would each wait for the
other: a deadlock, and one of them refused."""

import threading

import pytest
from django.db import connection, transaction

from core import stamps

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'"),
]

GOALS = "UPDATE goals_goal SET title = title WHERE false"  # a statement trigger fires even when no row changes
COMPLIANCE = "UPDATE reviews_completion SET score = score WHERE false"


def test_writers_of_two_topics_in_opposite_orders_do_not_deadlock():
    stamps.install()
    errors = []
    began = threading.Event()

    def other():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '10s'")
                began.set()
                cursor.execute(COMPLIANCE)
                cursor.execute(GOALS)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            began.set()
            connection.close()

    thread = threading.Thread(target=other)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '10s'")
            cursor.execute(GOALS)
            thread.start()
            began.wait(10)
            threading.Event().wait(0.5)  # the other transaction has written its completion, or waits to
            cursor.execute(COMPLIANCE)
    except Exception as error:  # reported below
        errors.append(error)
    thread.join(30)
    assert not thread.is_alive()
    assert errors == []
