"""The 'Top N' rule never suggests more than N: a tie at the last place is shown and left to the manager."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.exceptions import RuleViolation
from metrics.models import Award, ClosedPeriod
from metrics.services import awards
from tests.metrics.test_awards import close
from tests.metrics.test_scorecard import make_scene

TOP = ClosedPeriod.Rule.TOP_WEIGHTED


def frozen(*scores):
    """A frozen scorecard of people p1, p2, ... with these scores (None: no score)."""
    return {
        "rows": [
            {"kind": "person", "id": i, "name": f"p{i}", "score": score, "on_target": False}
            for i, score in enumerate(scores, start=1)
        ]
    }


@pytest.mark.parametrize(
    ("scores", "top_n", "winners", "tied", "place", "left"),
    [
        # No tie: the best N.
        ((0.9, 0.7, 0.5), 2, [1, 2], [], 0, 0),
        # Fewer ranked people than N: all of them; no score or no points is never ranked.
        ((0.9, None, 0.0), 3, [1], [], 0, 0),
        # A tie that fits exactly in N is no problem.
        ((0.9, 0.7, 0.7, 0.5), 3, [1, 2, 3], [], 0, 0),
        # Two tie for 2nd place with one place left: Keel suggests the first and shows the tie.
        ((0.9, 0.7, 0.7, 0.5), 2, [1], [2, 3], 2, 1),
        # The case: 7 people tie for 3rd place under "Top 3".
        ((0.9, 0.8, *([0.6] * 7), 0.1), 3, [1, 2], [3, 4, 5, 6, 7, 8, 9], 3, 1),
        # Everybody ties for 1st place.
        ((0.5,) * 7, 3, [], [1, 2, 3, 4, 5, 6, 7], 1, 3),
        # Float noise does not break a tie.
        ((0.1 + 0.2, 0.3, 0.1), 1, [], [1, 2], 1, 1),
    ],
)
def test_the_tie_rule(scores, top_n, winners, tied, place, left):
    ranking = awards.rank(scorecard=frozen(*scores), rule=TOP, top_n=top_n)
    assert [r["id"] for r in ranking.winners] == winners
    assert sorted(r["id"] for r in ranking.tied) == tied
    assert (ranking.place, ranking.places_left) == (place, left)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # the first draw warms up Hypothesis
@given(
    scores=st.lists(st.one_of(st.none(), st.sampled_from([0.0, 0.2, 0.5, 0.5, 0.8, 1.0])), max_size=30),
    top_n=st.integers(min_value=1, max_value=10),
)
def test_top_n_never_suggests_more_than_n_and_never_skips_a_better_score(scores, top_n):
    ranking = awards.rank(scorecard=frozen(*scores), rule=TOP, top_n=top_n)
    winners, tied = ranking.winners, ranking.tied
    assert len(winners) <= top_n
    ranked = [s for s in scores if s]
    chosen = {r["id"] for r in winners}
    # Every winner scores above everyone not chosen; the tie shares one score, just below the winners.
    for row in frozen(*scores)["rows"]:
        if row["score"] and row["id"] not in chosen:
            assert all(w["score"] >= row["score"] for w in winners)
            assert all(w["score"] > row["score"] for w in winners) or row["id"] in {r["id"] for r in tied}
    if tied:
        assert len({r["score"] for r in tied}) == 1 and len(winners) + len(tied) > top_n
        assert ranking.places_left == top_n - len(winners) >= 1 and ranking.place == len(winners) + 1
    else:  # no tie left open: everyone ranked gets an award, or exactly N do
        assert len(winners) == min(top_n, len(ranked))


# Settling a tie on a real closed period


@pytest.fixture
def tie(org):
    """Support's week closed under "Top 1" where Alice and Bob tie for 1st place (their frozen scores made equal)."""
    scene = make_scene(org)
    closed = close(scene, rule=TOP, top_n=1)
    for row in closed.scorecard["rows"]:
        if row["kind"] == "person":
            row["score"] = 0.5
    closed.save()
    closed.awards.all().delete()
    return scene, closed


def test_a_tie_is_named_on_the_closed_period_page_with_the_places_left(client, tie):
    scene, closed = tie
    client.force_login(scene.org.alice)
    html = client.get(reverse("metrics:closed_period", args=[closed.pk])).content.decode()
    assert "2 people tie for 1st place (score 50%): 1 place is left" in html
    assert "Alice Archer" in html and 'name="people"' in html


def test_the_manager_chooses_from_the_tie_and_the_tie_is_settled(client, tie):
    scene, closed = tie
    client.force_login(scene.org.alice)
    response = client.post(reverse("metrics:award_tie", args=[closed.pk]), {"people": [scene.org.bob.pk]})
    assert response.status_code == 302
    assert [(a.person, a.suggested, a.confirmed) for a in closed.awards.all()] == [(scene.org.bob, True, False)]
    html = client.get(reverse("metrics:closed_period", args=[closed.pk])).content.decode()
    assert "place is left" not in html and 'name="people"' not in html


def test_choosing_more_than_the_places_left_is_refused_and_says_so(client, tie):
    scene, closed = tie
    client.force_login(scene.org.alice)
    response = client.post(
        reverse("metrics:award_tie", args=[closed.pk]), {"people": [scene.org.bob.pk, scene.org.alice.pk]}
    )
    assert response.status_code == 400
    assert "Only 1 place left under “Top 1 by weighted score”: you chose 2" in response.content.decode()
    assert not Award.objects.exists()


def test_only_people_in_the_tie_can_be_chosen(tie):
    scene, closed = tie
    with pytest.raises(RuleViolation, match="only among the people who tie"):
        awards.choose_from_tie(closed_period=closed, people=[scene.org.charlie.pk], chosen_by=scene.org.alice)


def test_another_manager_cannot_settle_the_tie(client, tie):
    scene, closed = tie
    client.force_login(scene.org.charlie)
    assert (
        client.post(reverse("metrics:award_tie", args=[closed.pk]), {"people": [scene.org.bob.pk]}).status_code == 404
    )
    assert not Award.objects.exists()


def test_the_close_confirmation_warns_of_the_tie_before_closing(client, org):
    scene = make_scene(org)
    client.force_login(scene.org.alice)
    # Alice and Bob do not tie in the scene; a Top 1 rule over equal people is covered above. Here: no tie shown.
    response = client.post(
        reverse("metrics:scorecard_close", args=[scene.org.support.pk]),
        {"period": "week", "start": scene.week.isoformat(), "rule": TOP, "top_n": 1},
    )
    assert response.status_code == 200 and "tie for" not in response.content.decode()
    assert "Keel suggests 1 award (“Top 1 by weighted score”)" in response.content.decode()
