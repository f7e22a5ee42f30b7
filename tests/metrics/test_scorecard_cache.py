"""The matrix page keeps what it rendered in the cache, and never shows what changed since, nor fails without one."""

from datetime import timedelta
from unittest import mock

from metrics.models import ClosedPeriod
from metrics.selectors import scorecards
from metrics.services import awards, rollups
from tests.metrics.test_scorecard import make_scene, record, url


def matrix(client, scene, **params):
    return client.get(url(scene.org.support, period="week", start=scene.week.isoformat(), **params))


def test_it_shows_a_new_figure_once_rollups_have_run(client, org):
    scene = make_scene(org)
    client.force_login(org.alice)
    assert "96.0%" in matrix(client, scene).content.decode()
    record(scene.metrics.attendance, (org.bob, scene.week + timedelta(days=1), 50), by=org.admin)
    rollups.run()
    page = matrix(client, scene).content.decode()
    assert "73.0%" in page and "96.0%" not in page  # (96 + 50) / 2


def test_it_shows_a_new_target_at_once(client, org):
    scene = make_scene(org)
    client.force_login(org.alice)
    assert "Target ≥ 95.0%" in matrix(client, scene).content.decode()
    scene.metrics.attendance.targets.update(target=97)
    assert "Target ≥ 97.0%" in matrix(client, scene).content.decode()


def test_it_shows_a_person_who_joins_at_once(client, org):
    from tests.org.factories import UserFactory

    scene = make_scene(org)
    client.force_login(org.alice)
    assert "Dora Newman" not in matrix(client, scene).content.decode()
    UserFactory(first_name="Dora", last_name="Newman", department=org.support)
    assert "Dora Newman" in matrix(client, scene).content.decode()


def test_a_person_or_team_renamed_shows_at_once(client, org):
    scene = make_scene(org)
    client.force_login(org.alice)
    page = matrix(client, scene, rows="departments").content.decode()
    assert "Front Line" in page
    type(org.front_line).objects.filter(pk=org.front_line.pk).update(name="Front Desk")  # no signal, no save()
    assert "Front Desk" in matrix(client, scene, rows="departments").content.decode()
    assert "Bob" in matrix(client, scene).content.decode()
    type(org.bob).objects.filter(pk=org.bob.pk).update(first_name="Robert")
    assert "Robert" in matrix(client, scene).content.decode()


def test_it_renders_a_closed_period_once_until_it_is_forgotten(client, org, django_assert_max_num_queries):
    scene = make_scene(org)
    client.force_login(org.alice)
    closed = awards.close_period(
        department=org.support,
        period="week",
        start=scene.week,
        rule=ClosedPeriod.Rule.ALL_ON_TARGET,
        top_n=3,
        closed_by=org.admin,
    )
    assert "96.0%" in matrix(client, scene).content.decode()
    frozen = dict(closed.scorecard)
    frozen["rows"] = [{**row, "name": "Renamed In The Frozen Copy"} for row in frozen["rows"]]
    ClosedPeriod.objects.filter(pk=closed.pk).update(scorecard=frozen)
    assert "Renamed In The Frozen Copy" not in matrix(client, scene).content.decode()  # rendered once, kept
    scorecards.forget_closed_scorecard(closed)
    assert "Renamed In The Frozen Copy" in matrix(client, scene).content.decode()


def test_a_cache_that_cannot_be_reached_does_not_fail_the_page(client, org):
    scene = make_scene(org)
    client.force_login(org.alice)
    broken = mock.patch.object(scorecards.cache, "get", side_effect=ConnectionError("no redis"))
    with broken, mock.patch.object(scorecards.cache, "set", side_effect=ConnectionError("no redis")):
        response = matrix(client, scene)
    assert response.status_code == 200 and "96.0%" in response.content.decode()
