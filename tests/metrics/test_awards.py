"""Closing a period freezes its scorecard; awards are suggested from the frozen figures, then confirmed or edited."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from core import periods
from core.exceptions import RuleViolation
from metrics.models import Award, ClosedPeriod, Reading
from metrics.selectors.scorecards import Scorecard
from metrics.services import awards, rollups
from metrics.services.readings import ReadingsRejected
from tests.metrics.test_scorecard import at, make_scene, record
from tests.org.factories import UserFactory

ALL_ON_TARGET, TOP_WEIGHTED = ClosedPeriod.Rule.ALL_ON_TARGET, ClosedPeriod.Rule.TOP_WEIGHTED


@pytest.fixture
def scene(org):
    return make_scene(org)


def close(scene, *, by=None, rule=ALL_ON_TARGET, top_n=3, department=None, period="week", start=None):
    return awards.close_period(
        department=department or scene.org.support,
        period=period,
        start=start or scene.week,
        rule=rule,
        top_n=top_n,
        closed_by=by or scene.org.alice,
    )


def suggested(closed):
    return sorted((a.person.username, a.title) for a in closed.awards.filter(suggested=True))


# Closing


def test_closing_freezes_the_scorecard_as_shown(scene):
    closed = close(scene)
    assert (closed.period, closed.start, closed.end) == ("week", scene.week, scene.week + timedelta(days=6))
    frozen = Scorecard.from_json(closed.scorecard)
    assert [r.name for r in frozen.people] == ["Alice Archer", "Bob Baker"]
    assert frozen.total.figures[3].display == "90.0%"
    assert closed.closed_by == scene.org.alice


def test_closing_brings_rollups_up_to_date_first(scene):
    record(scene.metrics.fcr, (scene.org.bob, scene.week + timedelta(days=2), 95), by=scene.org.admin)  # not rolled up
    frozen = Scorecard.from_json(close(scene).scorecard)
    bob = next(r for r in frozen.people if r.name == "Bob Baker")
    assert bob.figures[3].display == "90.0%"  # (85 + 95) / 2


def test_closing_twice_is_refused(scene):
    close(scene)
    with pytest.raises(RuleViolation, match="already closed for Support by Alice Archer"):
        close(scene, by=scene.org.admin)
    assert ClosedPeriod.objects.count() == 1


def test_a_close_racing_another_is_refused_like_a_second_one(scene, monkeypatch):
    close(scene)
    real, checks = awards._refuse_if_closed, []

    def miss_the_first_check(*args):  # as if the other close committed just after this one looked
        checks.append(args)
        if len(checks) > 1:
            real(*args)

    monkeypatch.setattr(awards, "_refuse_if_closed", miss_the_first_check)
    with pytest.raises(RuleViolation, match="already closed"):
        close(scene, by=scene.org.admin)
    assert ClosedPeriod.objects.count() == 1


def test_a_period_that_has_not_ended_cannot_be_closed(scene):
    this_week = periods.bucket_start(periods.today(), "week")
    with pytest.raises(RuleViolation, match="has not ended yet: it can be closed from"):
        close(scene, start=this_week)
    assert not ClosedPeriod.objects.exists()


def test_only_a_manager_of_the_department_can_close_it(scene):
    with pytest.raises(RuleViolation, match="Only a manager of Support"):
        close(scene, by=scene.org.charlie)
    with pytest.raises(RuleViolation):
        close(scene, by=scene.org.bob)


def test_top_n_must_be_sensible(scene):
    with pytest.raises(RuleViolation, match="between 1 and 50"):
        close(scene, rule=TOP_WEIGHTED, top_n=0)


def test_a_reading_after_closing_is_refused_with_a_clear_message(scene):
    close(scene)
    with pytest.raises(ReadingsRejected, match=r"is closed, so its scorecard is frozen\. Ask an admin"):
        record(scene.metrics.fcr, (scene.org.bob, scene.week + timedelta(days=3), 100), by=scene.org.alice)
    # Departments below the closed one are frozen too; the week after is open (seen once its Monday noon has
    # passed, whatever moment the suite runs at).
    with time_machine.travel(at(scene.week + timedelta(days=9)), tick=False):
        record(scene.metrics.fcr, (scene.org.bob, scene.week + timedelta(days=7), 100), by=scene.org.alice)


def test_an_admin_with_a_reason_gets_through_and_the_frozen_scorecard_does_not_change(client, scene):
    closed = close(scene)
    frozen = closed.scorecard
    with pytest.raises(ReadingsRejected, match="give a reason"):
        record(scene.metrics.fcr, (scene.org.bob, scene.week + timedelta(days=3), 5), by=scene.org.admin)
    record(
        scene.metrics.fcr,
        (scene.org.bob, scene.week + timedelta(days=3), 5),
        by=scene.org.admin,
        override_reason="Late import from the phone system",
    )
    rollups.run()
    assert Reading.objects.filter(override_reason="Late import from the phone system").count() == 1
    closed.refresh_from_db()
    assert closed.scorecard == frozen
    client.force_login(scene.org.alice)
    response = client.get(reverse("metrics:scorecard", args=[scene.org.support.pk]))
    assert response.context["loaded"].closed == closed
    bob = next(r for r in response.context["scorecard"].people if r.name == "Bob Baker")
    assert bob.figures[3].display == "85.0%"  # frozen, not the live (85 + 5) / 2
    assert "Closed and frozen." in response.content.decode()
    assert "Alice Archer closed W" in response.content.decode()


def test_a_department_below_a_closed_one_shows_why_its_figures_no_longer_change(client, scene):
    close(scene)
    client.force_login(scene.org.alice)
    response = client.get(reverse("metrics:scorecard", args=[scene.org.front_line.pk]))
    assert response.context["loaded"].closed is None
    assert [c.department for c in response.context["loaded"].covering] == [scene.org.support]
    assert "readings on those days are refused" in response.content.decode()


# Suggestions, by each rule, from the frozen figures


def test_everyone_on_target_on_every_metric_is_suggested(scene):
    closed = close(scene, rule=ALL_ON_TARGET)
    assert suggested(closed) == [("alice", "On target on every metric")]
    assert closed.awards.get().score == 1.0 and not closed.awards.get().confirmed


def test_the_top_n_by_weighted_score_are_suggested(scene):
    carol = UserFactory(username="carol", first_name="Carol", last_name="Cruz", department=scene.org.front_line)
    record(scene.metrics.fcr, (carol, scene.week, 99), by=scene.org.admin)  # 2 of 4 points: attendance missing
    closed = close(scene, rule=TOP_WEIGHTED, top_n=1)
    assert suggested(closed) == [("alice", "Top 1 by weighted score")]
    assert [a.score for a in closed.awards.all()] == [1.0]


def test_suggestions_come_from_the_frozen_json_not_live_data(scene, monkeypatch):
    from metrics.selectors import scorecards

    real = scorecards.build_scorecard

    def frozen_then_changed(**kwargs):
        card = real(**kwargs)
        bob = next(r for r in card.people if r.name == "Bob Baker")
        bob.on_target, bob.score = True, 1.0  # what is frozen is what the rule reads
        return card

    monkeypatch.setattr(awards, "build_scorecard", frozen_then_changed)
    closed = close(scene)
    assert suggested(closed) == [("alice", "On target on every metric"), ("bob", "On target on every metric")]


@pytest.mark.parametrize("rule", [ALL_ON_TARGET, TOP_WEIGHTED])
def test_nobody_is_suggested_for_a_period_without_readings(scene, rule):
    closed = close(scene, start=scene.week - timedelta(weeks=4), rule=rule)  # everyone scores 0: no winners
    assert not closed.awards.exists()


# Confirming, editing, adding and removing


def test_confirming_a_suggestion_shows_it_to_the_person(scene):
    closed = close(scene)
    award = closed.awards.get()
    assert list(awards.awards_for(scene.org.alice)) == []  # a suggestion is private
    awards.confirm_award(award=award, confirmed_by=scene.org.alice)
    assert list(awards.awards_for(scene.org.alice)) == [award]


def test_confirming_can_change_the_title_and_note(scene):
    award = close(scene).awards.get()
    awards.confirm_award(award=award, confirmed_by=scene.org.alice, title=" Star of the week ", note="Every call.")
    award.refresh_from_db()
    assert (award.title, award.note, award.confirmed) == ("Star of the week", "Every call.", True)


def test_the_confirmation_is_on_record_and_a_later_edit_keeps_it(scene, client):
    award = close(scene).awards.get()
    assert (award.confirmed_by, award.confirmed_at) == (None, None)
    awards.confirm_award(award=award, confirmed_by=scene.org.alice)
    award.refresh_from_db()
    confirmed_at = award.confirmed_at
    assert award.confirmed_by == scene.org.alice and confirmed_at is not None
    awards.confirm_award(award=award, confirmed_by=scene.org.admin, note="Every call answered.")
    award.refresh_from_db()
    assert (award.confirmed_by, award.confirmed_at, award.note) == (
        scene.org.alice,
        confirmed_at,
        "Every call answered.",
    )
    client.force_login(scene.org.alice)
    page = client.get(reverse("metrics:closed_period", args=[award.closed_period_id])).content.decode()
    assert f"Confirmed by {scene.org.alice.display_name} on" in page


def test_an_award_needs_a_title(scene):
    award = close(scene).awards.get()
    with pytest.raises(RuleViolation, match="Title: This field cannot be blank"):
        awards.confirm_award(award=award, confirmed_by=scene.org.alice, title="  ")


def test_adding_an_award_by_hand_confirms_it_with_the_frozen_score(scene):
    closed = close(scene)
    award = awards.add_award(
        closed_period=closed,
        person=scene.org.bob,
        title="Most improved",
        note="Handle time down all week.",
        added_by=scene.org.alice,
    )
    assert (award.confirmed, award.suggested, award.score) == (True, False, 0.5)
    assert award.confirmed_by == scene.org.alice and award.confirmed_at is not None
    assert list(awards.awards_for(scene.org.bob)) == [award]


def test_the_same_award_twice_is_refused(scene):
    closed = close(scene)
    with pytest.raises(RuleViolation, match="already has the award “On target on every metric”"):
        awards.add_award(
            closed_period=closed, person=scene.org.alice, title="On target on every metric", added_by=scene.org.alice
        )


def test_an_award_goes_only_to_someone_on_the_frozen_scorecard(scene):
    closed = close(scene)
    with pytest.raises(RuleViolation, match="not on the frozen scorecard"):
        awards.add_award(closed_period=closed, person=scene.org.charlie, title="Visitor", added_by=scene.org.alice)


def test_removing_an_award(scene):
    closed = close(scene)
    awards.remove_award(award=closed.awards.get(), removed_by=scene.org.alice)
    assert not closed.awards.exists()


def test_another_manager_cannot_change_awards(scene):
    closed = close(scene)
    award = closed.awards.get()
    with pytest.raises(RuleViolation):
        awards.confirm_award(award=award, confirmed_by=scene.org.charlie)
    with pytest.raises(RuleViolation):
        awards.remove_award(award=award, removed_by=scene.org.charlie)
    with pytest.raises(RuleViolation):
        awards.add_award(closed_period=closed, person=scene.org.bob, title="X", added_by=scene.org.charlie)


# Pages


def close_url(scene):
    return reverse("metrics:scorecard_close", args=[scene.org.support.pk])


def test_a_manager_closes_a_period_from_the_scorecard_page(client, scene):
    client.force_login(scene.org.alice)
    response = client.post(
        close_url(scene),
        {"period": "week", "start": scene.week.isoformat(), "rule": TOP_WEIGHTED, "top_n": 2, "confirmed": "yes"},
    )
    closed = ClosedPeriod.objects.get()
    assert response.status_code == 302 and response.url == reverse("metrics:closed_period", args=[closed.pk])
    assert (closed.rule, closed.top_n) == (TOP_WEIGHTED, 2)
    assert suggested(closed) == [("alice", "Top 2 by weighted score"), ("bob", "Top 2 by weighted score")]
    page = client.get(response.url).content.decode()
    assert "suggests 2 awards" in page and "Frozen scorecard." in page


def test_closing_again_from_the_page_shows_the_reason_on_the_form(client, scene):
    close(scene)
    client.force_login(scene.org.alice)
    response = client.post(
        close_url(scene), {"period": "week", "start": scene.week.isoformat(), "rule": ALL_ON_TARGET, "top_n": 3}
    )
    assert response.status_code == 400
    assert "already closed for Support" in response.content.decode()


def test_closing_a_period_that_has_not_ended_from_the_page_keeps_the_form(client, scene):
    this_week = periods.bucket_start(periods.today(), "week")
    client.force_login(scene.org.alice)
    response = client.post(
        close_url(scene), {"period": "week", "start": this_week.isoformat(), "rule": TOP_WEIGHTED, "top_n": 7}
    )
    assert response.status_code == 400
    assert "has not ended yet: it can be closed from" in response.content.decode()
    assert response.context["close_form"]["top_n"].value() == "7"
    assert not ClosedPeriod.objects.exists()


def test_an_invalid_close_form_says_what_to_fix(client, scene):
    client.force_login(scene.org.alice)
    response = client.post(
        close_url(scene), {"period": "week", "start": scene.week.isoformat(), "rule": TOP_WEIGHTED, "top_n": 0}
    )
    assert response.status_code == 400
    assert response.context["close_form"].errors["top_n"]
    assert 'value="0"' in response.content.decode()


def test_the_closed_period_page_lists_suggestions_and_the_frozen_matrix(client, scene):
    closed = close(scene)
    client.force_login(scene.org.alice)
    response = client.get(reverse("metrics:closed_period", args=[closed.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Suggested" in html and "On target on every metric" in html and "Bob Baker" in html
    assert [r["award"].person for r in response.context["award_rows"]] == [scene.org.alice]


def test_a_manager_confirms_and_edits_from_the_page(client, scene):
    closed = close(scene)
    award = closed.awards.get()
    client.force_login(scene.org.alice)
    response = client.post(
        reverse("metrics:award_confirm", args=[closed.pk, award.pk]),
        {f"award-{award.pk}-title": "Star of the week", f"award-{award.pk}-note": "Thank you!"},
    )
    assert response.status_code == 302
    award.refresh_from_db()
    assert (award.title, award.note, award.confirmed) == ("Star of the week", "Thank you!", True)


def test_a_blank_title_re_renders_the_award_form_open(client, scene):
    closed = close(scene)
    award = closed.awards.get()
    client.force_login(scene.org.alice)
    response = client.post(
        reverse("metrics:award_confirm", args=[closed.pk, award.pk]),
        {f"award-{award.pk}-title": "", f"award-{award.pk}-note": "Kept"},
    )
    assert response.status_code == 400
    row = response.context["award_rows"][0]
    assert row["open"] and row["form"].errors["title"] and row["form"]["note"].value() == "Kept"


def test_a_manager_adds_an_award_with_a_note_from_the_page(client, scene):
    closed = close(scene)
    client.force_login(scene.org.alice)
    response = client.post(
        reverse("metrics:award_add", args=[closed.pk]),
        {"person": scene.org.bob.pk, "title": "Most improved", "note": "Great week."},
    )
    assert response.status_code == 302
    award = Award.objects.get(person=scene.org.bob)
    assert (award.title, award.note, award.confirmed, award.created_by) == (
        "Most improved",
        "Great week.",
        True,
        scene.org.alice,
    )


def test_adding_the_same_award_twice_from_the_page_keeps_what_was_typed(client, scene):
    closed = close(scene)
    client.force_login(scene.org.alice)
    response = client.post(
        reverse("metrics:award_add", args=[closed.pk]),
        {"person": scene.org.alice.pk, "title": "On target on every metric", "note": "Typed"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "already has the award" in html and "Typed" in html


def test_only_people_on_the_frozen_scorecard_can_be_chosen(client, scene):
    closed = close(scene)
    client.force_login(scene.org.alice)
    response = client.post(
        reverse("metrics:award_add", args=[closed.pk]), {"person": scene.org.charlie.pk, "title": "Visitor"}
    )
    assert response.status_code == 400
    assert response.context["add_form"].errors["person"]


def test_a_manager_removes_an_award_from_the_page(client, scene):
    closed = close(scene)
    award = closed.awards.get()
    client.force_login(scene.org.alice)
    response = client.post(reverse("metrics:award_remove", args=[closed.pk, award.pk]))
    assert response.status_code == 200 and "never saw it" in response.content.decode()
    assert Award.objects.exists()  # the first POST only asks
    response = client.post(reverse("metrics:award_remove", args=[closed.pk, award.pk]), {"confirmed": "yes"})
    assert response.status_code == 302
    assert not Award.objects.exists()


def test_each_person_sees_their_confirmed_awards(client, scene):
    closed = close(scene)
    awards.confirm_award(award=closed.awards.get(), confirmed_by=scene.org.alice, note="Well done.")
    client.force_login(scene.org.alice)
    html = client.get(reverse("metrics:scorecards")).content.decode()
    assert "Your awards" in html and "On target on every metric" in html and "Well done." in html
    client.force_login(scene.org.bob)
    assert "No awards yet" in client.get(reverse("metrics:scorecards")).content.decode()


def test_my_metrics_shows_awards_without_reading_their_frozen_scorecards(client, scene, django_assert_num_queries):
    closed = close(scene)
    awards.confirm_award(award=closed.awards.get(), confirmed_by=scene.org.alice, note="Well done.")
    [award] = awards.awards_for(scene.org.alice)
    with django_assert_num_queries(0):  # period and department came with the award, the scorecard stays behind
        assert (str(award.closed_period), award.closed_period.department) == (str(closed), closed.department)
    assert "scorecard" in award.closed_period.get_deferred_fields()
    client.force_login(scene.org.alice)
    html = client.get(reverse("metrics:index")).content.decode()
    assert "Your awards" in html and "On target on every metric" in html and str(closed) in html


def test_the_closed_period_page_runs_a_fixed_number_of_queries(client, scene, django_assert_max_num_queries):
    closed = close(scene, rule=TOP_WEIGHTED, top_n=5)
    client.force_login(scene.org.alice)
    # 1 session, 2 user, 3 managed paths, 4 the closed period with department and closer, 5 awards with people,
    # 6 the user's own department (navigation), 7 the period's history (closings and reopenings).
    with django_assert_max_num_queries(7):
        assert client.get(reverse("metrics:closed_period", args=[closed.pk])).status_code == 200


def test_a_frozen_scorecard_page_runs_fewer_queries_than_a_live_one(client, scene, django_assert_max_num_queries):
    close(scene)
    client.force_login(scene.org.alice)
    # 1 session, 2 user, 3 managed paths, 4 department, 5 closed periods, 6 navigation: no metrics, no rollups.
    with django_assert_max_num_queries(6):
        assert client.get(reverse("metrics:scorecard", args=[scene.org.support.pk])).status_code == 200


# Access to every closing and award URL


def award_urls(closed):
    award = closed.awards.get()
    return [
        ("get", reverse("metrics:closed_period", args=[closed.pk])),
        ("post", reverse("metrics:award_add", args=[closed.pk])),
        ("post", reverse("metrics:award_confirm", args=[closed.pk, award.pk])),
        ("post", reverse("metrics:award_remove", args=[closed.pk, award.pk])),
        ("post", reverse("metrics:award_confirm_all", args=[closed.pk])),
        ("post", reverse("metrics:award_tie", args=[closed.pk])),
    ]


@pytest.mark.parametrize("who", ["charlie", "bob"])
def test_other_managers_and_employees_get_404_on_every_award_url(client, scene, who):
    closed = close(scene)
    client.force_login(getattr(scene.org, who))
    for method, address in award_urls(closed):
        data = {"person": scene.org.bob.pk, "title": "X", "confirmed": "yes", "expected": "1"}
        assert getattr(client, method)(address, data).status_code == 404, address
    assert Award.objects.count() == 1 and not Award.objects.get().confirmed


@pytest.mark.parametrize("who", ["charlie", "bob"])
def test_other_managers_and_employees_get_404_when_closing(client, scene, who):
    client.force_login(getattr(scene.org, who))
    for step in ({}, {"confirmed": "yes"}):
        response = client.post(
            close_url(scene),
            {"period": "week", "start": scene.week.isoformat(), "rule": ALL_ON_TARGET, "top_n": 3, **step},
        )
        assert response.status_code == 404
    assert not ClosedPeriod.objects.exists()


def test_an_award_of_another_closed_period_is_404(client, scene):
    mine = close(scene)
    theirs = close(scene, department=scene.org.sales, by=scene.org.charlie)
    Award.objects.create(closed_period=theirs, person=scene.org.charlie, title="Sales star")
    client.force_login(scene.org.alice)
    other = theirs.awards.get()
    assert (
        client.post(reverse("metrics:award_remove", args=[mine.pk, other.pk]), {"confirmed": "yes"}).status_code == 404
    )
    assert client.post(reverse("metrics:award_confirm", args=[mine.pk, other.pk])).status_code == 404


def test_a_manager_of_the_department_above_can_handle_its_awards(client, scene):
    closed = close(scene, department=scene.org.front_line)
    client.force_login(scene.org.alice)
    assert client.get(reverse("metrics:closed_period", args=[closed.pk])).status_code == 200
    client.force_login(scene.org.admin)
    assert client.get(reverse("metrics:closed_period", args=[closed.pk])).status_code == 200


def test_anonymous_people_are_sent_to_sign_in_from_every_closing_and_award_url(client, scene):
    closed = close(scene)
    for method, address in [*award_urls(closed), ("post", close_url(scene))]:
        response = getattr(client, method)(address)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), address


def test_closing_and_award_actions_accept_only_post(client, scene):
    closed = close(scene)
    client.force_login(scene.org.alice)
    for _method, address in [*award_urls(closed)[1:], ("post", close_url(scene))]:
        assert client.get(address).status_code == 405
