"""Admins reopen a closed period with a recorded reason; its awards are withdrawn with a note, never deleted."""

from datetime import timedelta

import pytest
from django.urls import reverse

from core.exceptions import RuleViolation
from metrics import signals
from metrics.models import Award, ClosedPeriod
from metrics.services import awards
from tests.metrics.test_awards import close
from tests.metrics.test_scorecard import make_scene, record


@pytest.fixture
def scene(org):
    return make_scene(org)


@pytest.fixture
def closed(scene):
    """Support's week closed by Alice, with Alice's award confirmed."""
    period = close(scene)
    awards.confirm_award(award=period.awards.get(), confirmed_by=scene.org.alice, note="Well done.")
    return period


def reopen_url(closed):
    return reverse("metrics:closed_period_reopen", args=[closed.pk])


def test_reopening_records_who_when_and_why_and_withdraws_the_awards(scene, closed):
    result = awards.reopen_period(
        closed_period=closed, reason="  Phone system lost a day  ", reopened_by=scene.org.admin
    )
    closed.refresh_from_db()
    assert (closed.reopened_by, closed.reopen_reason) == (scene.org.admin, "Phone system lost a day")
    assert closed.reopened_at is not None
    assert (result.withdrawn, result.withdrawn_confirmed) == (1, 1)
    award = Award.objects.get()  # kept, not deleted
    assert award.is_withdrawn and award.withdrawn_by == scene.org.admin
    assert "was reopened on" in award.withdrawal_note and "Phone system lost a day" in award.withdrawal_note


def test_a_reopened_period_takes_readings_again_and_can_be_closed_again(scene, closed):
    awards.reopen_period(closed_period=closed, reason="Late figures", reopened_by=scene.org.admin)
    record(scene.metrics.fcr, (scene.org.bob, scene.week + timedelta(days=3), 100), by=scene.org.alice)
    again = close(scene)
    assert again.pk != closed.pk and ClosedPeriod.objects.in_force().get() == again
    assert list(awards.history_of(again)) == [closed, again]


def test_only_admins_reopen(scene, closed):
    with pytest.raises(RuleViolation, match="Only an admin"):
        awards.reopen_period(closed_period=closed, reason="Mine", reopened_by=scene.org.alice)
    assert not ClosedPeriod.objects.get().is_reopened


def test_a_reason_is_required(scene, closed):
    with pytest.raises(RuleViolation, match="Say why"):
        awards.reopen_period(closed_period=closed, reason="   ", reopened_by=scene.org.admin)


def test_reopening_twice_is_refused_and_changes_nothing(scene, closed):
    awards.reopen_period(closed_period=closed, reason="First", reopened_by=scene.org.admin)
    with pytest.raises(RuleViolation, match="reopened already by Ada Admin"):
        awards.reopen_period(closed_period=closed, reason="Second", reopened_by=scene.org.admin)
    assert ClosedPeriod.objects.get().reopen_reason == "First"


def test_awards_of_a_reopened_period_can_no_longer_change(scene, closed):
    awards.reopen_period(closed_period=closed, reason="Late figures", reopened_by=scene.org.admin)
    closed.refresh_from_db()
    award = Award.objects.get()
    with pytest.raises(RuleViolation, match="was reopened on"):
        awards.confirm_award(award=award, confirmed_by=scene.org.alice, title="New")
    with pytest.raises(RuleViolation, match="was withdrawn"):
        awards.remove_award(award=award, removed_by=scene.org.alice)
    with pytest.raises(RuleViolation, match="was reopened on"):
        awards.add_award(closed_period=closed, person=scene.org.bob, title="Late", added_by=scene.org.alice)


def test_the_signal_for_caches_is_sent_after_commit(scene, closed, django_capture_on_commit_callbacks):
    heard = []

    def listener(sender, closed_period, **kwargs):
        heard.append(closed_period.pk)

    signals.period_reopened.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            awards.reopen_period(closed_period=closed, reason="Late figures", reopened_by=scene.org.admin)
            assert heard == []  # not before the commit
    finally:
        signals.period_reopened.disconnect(listener)
    assert heard == [closed.pk]


# Pages


def test_the_admin_is_asked_once_with_the_counts_then_reopens_with_a_reason(client, scene, closed):
    client.force_login(scene.org.admin)
    page = client.get(reopen_url(closed)).content.decode()
    assert "Reopen Support · W" in page
    assert "accepted again in 2 departments" in page  # Support and Front Line below it
    assert "1 award is withdrawn (1 confirmed, seen by its person)" in page
    assert "Alice Archer · On target on every metric" in page
    response = client.post(reopen_url(closed), {"reason": "Phone system lost a day", "confirmed": "yes"})
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "is reopened: readings are accepted again. 1 award was withdrawn with your reason." in page
    assert "Reopened" in page and "Phone system lost a day" in page and "Withdrawn" in page


def test_a_blank_reason_keeps_the_page_with_the_message(client, scene, closed):
    client.force_login(scene.org.admin)
    response = client.post(reopen_url(closed), {"reason": "", "confirmed": "yes"})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert not ClosedPeriod.objects.get().is_reopened


def test_hostile_reasons_never_crash(client, scene, closed):
    client.force_login(scene.org.admin)
    response = client.post(reopen_url(closed), {"reason": "x" * 2001, "confirmed": "yes"})
    assert response.status_code == 400 and "at most 2000 characters" in response.content.decode()
    response = client.post(reopen_url(closed), {"reason": "Late\x00 figures", "confirmed": "yes"})
    assert response.status_code == 302  # the NUL is removed before any view sees it
    assert ClosedPeriod.objects.get().reopen_reason == "Late figures"


def test_the_person_sees_the_award_withdrawn_with_the_note(client, scene, closed):
    awards.reopen_period(closed_period=closed, reason="Late figures", reopened_by=scene.org.admin)
    client.force_login(scene.org.alice)
    page = client.get(reverse("metrics:scorecards")).content.decode()
    assert "Withdrawn" in page and "Late figures" in page


@pytest.mark.parametrize("who", ["alice", "charlie", "bob"])
def test_managers_and_employees_cannot_reopen(client, scene, closed, who):
    """Alice manages Support (the department closed) but is no admin; Charlie manages another department."""
    client.force_login(getattr(scene.org, who))
    assert client.get(reopen_url(closed)).status_code == 404
    assert client.post(reopen_url(closed), {"reason": "x", "confirmed": "yes"}).status_code == 404
    assert not ClosedPeriod.objects.get().is_reopened


def test_the_reopen_link_shows_to_admins_only(client, scene, closed):
    client.force_login(scene.org.alice)
    assert reopen_url(closed) not in client.get(reverse("metrics:closed_period", args=[closed.pk])).content.decode()
    client.force_login(scene.org.admin)
    assert reopen_url(closed) in client.get(reverse("metrics:closed_period", args=[closed.pk])).content.decode()


def test_reopening_drops_the_cached_frozen_scorecard(monkeypatch, django_capture_on_commit_callbacks, scene, closed):
    """The scorecard cache (metrics.selectors.scorecards) forgets a closing once its period is reopened."""
    from metrics.selectors import scorecards

    forgotten = []
    monkeypatch.setattr(scorecards, "forget_closed_scorecard", forgotten.append)
    with django_capture_on_commit_callbacks(execute=True):
        awards.reopen_period(closed_period=closed, reopened_by=scene.org.admin, reason="Readings were missing.")
    assert forgotten == [closed]
