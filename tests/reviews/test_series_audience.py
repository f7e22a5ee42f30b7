"""A series' future sessions invite its departments' current members: people who join or move in are invited to
the occurrences already made, people who leave or move out lose those invitations; past sessions keep theirs."""

from datetime import UTC, date, datetime, timedelta

import pytest

from reviews.models import Invitation
from reviews.services import sessions as scheduling
from tests.org.factories import UserFactory
from tests.reviews.factories import details, quarterly

pytestmark = pytest.mark.django_db
NEW_YEAR = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LATER = NEW_YEAR + timedelta(days=10)  # after the first occurrence (6 January), before the second (7 April)


@pytest.fixture
def series(org):
    return scheduling.create_series(
        by=org.admin, details=details(org), pattern=quarterly(date(2026, 1, 1)), now=NEW_YEAR
    )


def invited(series):
    """{occurrence: usernames invited}"""
    rows = Invitation.objects.filter(session__series=series).values_list("session__occurrence", "person__username")
    found: dict[date, set[str]] = {}
    for day, username in rows:
        found.setdefault(day, set()).add(username)
    return found


def test_a_person_who_joins_is_invited_to_the_future_occurrences(org, series):
    UserFactory(username="nina", department=org.front_line)
    scheduling.extend_all_series(now=LATER)
    found = invited(series)
    assert "nina" in found[date(2026, 4, 7)]
    assert "nina" not in found[date(2026, 1, 6)]  # already held


def test_a_person_who_moves_in_is_invited(org, series):
    org.charlie.department = org.support
    org.charlie.save()
    scheduling.extend_all_series(now=LATER)
    assert invited(series)[date(2026, 4, 7)] == {"alice", "bob", "charlie"}


def test_a_person_who_moves_out_is_no_longer_invited_to_future_occurrences(org, series):
    org.bob.department = org.sales
    org.bob.save()
    scheduling.extend_all_series(now=LATER)
    found = invited(series)
    assert found[date(2026, 4, 7)] == {"alice"}
    assert "bob" in found[date(2026, 1, 6)]  # history stays


def test_a_person_who_leaves_is_no_longer_invited(org, series):
    org.bob.is_active = False
    org.bob.save()
    scheduling.extend_all_series(now=LATER)
    assert invited(series)[date(2026, 4, 7)] == {"alice"}
