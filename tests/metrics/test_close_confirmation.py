"""Closing a period and confirming awards ask once, saying what will happen; winners are e-mailed once."""

import pytest
from django.urls import reverse

from core.exceptions import RuleViolation
from metrics.models import Award, ClosedPeriod
from metrics.services import awards
from metrics.tasks import tell_award_winners
from outbox.models import OutgoingEmail
from tests.helpers import emails_to
from tests.metrics.test_awards import close
from tests.metrics.test_scorecard import make_scene

TOP = ClosedPeriod.Rule.TOP_WEIGHTED


@pytest.fixture
def scene(org):
    return make_scene(org)


def close_data(scene, **extra):
    return {"period": "week", "start": scene.week.isoformat(), "rule": TOP, "top_n": 2, **extra}


def test_closing_first_shows_what_will_be_frozen_and_closes_nothing(client, scene):
    client.force_login(scene.org.alice)
    response = client.post(reverse("metrics:scorecard_close", args=[scene.org.support.pk]), close_data(scene))
    html = response.content.decode()
    assert response.status_code == 200 and "data-confirmation" in html
    assert "is frozen for 2 departments" in html  # Support and Front Line below it
    assert "2 departments frozen" in html and "<li>Support</li>" in html and "<li>Front Line</li>" in html
    assert "The figures of 2 people are frozen" in html
    assert "Keel suggests 2 awards (“Top 2 by weighted score”)" in html
    assert 'name="confirmed" value="yes"' in html and 'name="top_n" value="2"' in html
    assert not ClosedPeriod.objects.exists()


def test_the_confirmed_post_closes_and_the_message_counts_what_committed(client, scene):
    client.force_login(scene.org.alice)
    response = client.post(
        reverse("metrics:scorecard_close", args=[scene.org.support.pk]), close_data(scene, confirmed="yes"), follow=True
    )
    closed = ClosedPeriod.objects.get()
    assert closed.awards.count() == 2
    assert "is closed and its scorecard frozen. Keel suggests 2 awards" in response.content.decode()


def test_a_period_that_cannot_be_closed_is_refused_before_anyone_is_asked(client, scene):
    close(scene)
    client.force_login(scene.org.alice)
    response = client.post(reverse("metrics:scorecard_close", args=[scene.org.support.pk]), close_data(scene))
    assert response.status_code == 400 and "already closed" in response.content.decode()
    assert "data-confirmation" not in response.content.decode()


# Confirm all


def test_confirm_all_asks_once_listing_the_awards_then_confirms_them(client, scene):
    closed = close(scene, rule=TOP, top_n=2)
    client.force_login(scene.org.alice)
    url = reverse("metrics:award_confirm_all", args=[closed.pk])
    html = client.post(url).content.decode()
    assert "Confirm all 2 awards?" in html and "Alice Archer · Top 2 by weighted score" in html
    assert "told by e-mail" in html and not Award.objects.filter(confirmed=True).exists()
    response = client.post(url, {"confirmed": "yes", "expected": "2"}, follow=True)
    assert "2 awards confirmed; each person is told by e-mail." in response.content.decode()
    assert set(Award.objects.values_list("confirmed", "confirmed_by")) == {(True, scene.org.alice.pk)}


def test_confirm_all_refuses_when_the_awards_changed_since_they_were_shown(client, scene):
    closed = close(scene, rule=TOP, top_n=2)
    client.force_login(scene.org.alice)
    response = client.post(
        reverse("metrics:award_confirm_all", args=[closed.pk]), {"confirmed": "yes", "expected": "3"}, follow=True
    )
    assert "The awards changed since you looked: 2 suggestions now wait" in response.content.decode()
    assert not Award.objects.filter(confirmed=True).exists()


def test_confirm_all_with_nothing_waiting_says_so(client, scene):
    closed = close(scene, rule=TOP, top_n=2)
    awards.confirm_all(closed_period=closed, confirmed_by=scene.org.alice)
    client.force_login(scene.org.alice)
    response = client.post(reverse("metrics:award_confirm_all", args=[closed.pk]), follow=True)
    assert "No suggestion waits for confirmation." in response.content.decode()


def test_confirm_all_counts_only_what_it_confirmed(scene):
    closed = close(scene, rule=TOP, top_n=2)
    awards.confirm_award(award=closed.awards.first(), confirmed_by=scene.org.alice)
    assert awards.confirm_all(closed_period=closed, confirmed_by=scene.org.alice) == 1


def test_another_manager_cannot_confirm_all(scene):
    closed = close(scene, rule=TOP, top_n=2)
    with pytest.raises(RuleViolation, match="Only a manager of Support"):
        awards.confirm_all(closed_period=closed, confirmed_by=scene.org.charlie)


# Telling winners


def test_winners_are_emailed_once_even_when_the_task_runs_twice(scene):
    closed = close(scene, rule=TOP, top_n=2)
    awards.confirm_all(closed_period=closed, confirmed_by=scene.org.alice)
    assert tell_award_winners() == 2
    assert tell_award_winners() == 0
    assert tell_award_winners(award_ids=list(closed.awards.values_list("pk", flat=True))) == 0
    (mail,) = emails_to(scene.org.bob)
    assert mail.subject == "You received an award: Top 2 by weighted score"
    assert "You received an award for Support · W" in mail.body and "/metrics/" in mail.body
    assert "<strong>Top 2 by weighted score</strong>" in mail.html_body
    assert len(emails_to(scene.org.alice)) == 1


def test_confirming_sends_the_email_after_commit(scene, django_capture_on_commit_callbacks, mailoutbox):
    closed = close(scene)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        awards.confirm_award(award=closed.awards.get(), confirmed_by=scene.org.alice, note="Well done & more")
        assert not OutgoingEmail.objects.exists()  # nothing before the commit
    assert callbacks
    (mail,) = mailoutbox  # queued, then sent by the outbox (eager in tests)
    assert mail.to == [scene.org.alice.email]
    assert "Well done & more" in mail.body and "Well done &amp; more" in mail.alternatives[0][0]


def test_suggestions_and_withdrawn_awards_are_not_emailed(scene):
    closed = close(scene, rule=TOP, top_n=2)
    assert awards.tell_winners() == 0  # only suggestions so far
    awards.confirm_all(closed_period=closed, confirmed_by=scene.org.alice)
    awards.reopen_period(closed_period=closed, reason="Late figures", reopened_by=scene.org.admin)
    assert awards.tell_winners() == 0
    assert not OutgoingEmail.objects.exists()


@pytest.mark.parametrize("odd", ["²", "9" * 5000])
def test_confirm_all_with_an_odd_expected_count_refuses_without_a_500(client, scene, odd):
    closed = close(scene, rule=TOP, top_n=2)
    client.force_login(scene.org.alice)
    response = client.post(
        reverse("metrics:award_confirm_all", args=[closed.pk]), {"confirmed": "yes", "expected": odd}, follow=True
    )
    assert response.status_code == 200 and "The awards changed since you looked" in response.content.decode()
    assert not Award.objects.filter(confirmed=True).exists()


def test_confirm_all_posted_twice_confirms_once_and_tells_each_person_once(client, scene):
    closed = close(scene, rule=TOP, top_n=2)
    client.force_login(scene.org.alice)
    url = reverse("metrics:award_confirm_all", args=[closed.pk])
    client.post(url, {"confirmed": "yes", "expected": "2"})
    response = client.post(url, {"confirmed": "yes", "expected": "2"}, follow=True)
    assert response.status_code == 200
    assert Award.objects.filter(confirmed=True).count() == 2
    tell_award_winners()
    tell_award_winners()
    assert OutgoingEmail.objects.count() == 2
