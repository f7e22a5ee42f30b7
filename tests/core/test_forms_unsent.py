"""No form shows errors before it is sent: a create or edit page opened by a link (with the choices the link
carries in its query string: ?cycle=3, ?metric=7, ?definition=2) renders its form unbound, without error marks.

The every-link crawl (tests/org/test_every_link.py) checks the same on every page of the demo, as every role."""

import pytest
from django.urls import reverse

from tests.goals.factories import GoalCycleFactory
from tests.metrics.factories import MetricFactory
from tests.org.test_pages import PAGES

ERROR_MARKS = ("is-invalid", "invalid-feedback", "This field is required.", "Select a valid choice")
FORM_PAGES = [url for url in PAGES if url.endswith(("/new/", "/add/", "/import/"))]


def assert_no_form_errors(response):
    assert response.status_code == 200
    html = response.content.decode()
    shown = [mark for mark in ERROR_MARKS if mark in html]
    assert not shown, f"{response.request['PATH_INFO']} shows {shown} before anything was sent"


@pytest.mark.parametrize("who", ["admin", "alice"])
@pytest.mark.parametrize("url", FORM_PAGES)
def test_a_form_page_opened_by_a_link_shows_no_errors(client, org, who, url):
    cycle = GoalCycleFactory()
    metric = MetricFactory(department=org.support)
    client.force_login(getattr(org, who))
    if who == "alice" and client.get(url).status_code == 404:
        pytest.skip("an admin's page (scheduling, cycles): not a manager's")
    assert_no_form_errors(client.get(url))
    # with whatever a link may carry (each view reads the ones it knows, and ignores the rest)
    assert_no_form_errors(client.get(url, {"cycle": cycle.pk, "metric": metric.pk, "page": 2}))


def test_the_new_goal_form_opened_from_a_cycle_keeps_the_cycle_and_shows_no_error(client, org):
    cycle = GoalCycleFactory()
    client.force_login(org.alice)
    response = client.get(reverse("goals:goal_create"), {"cycle": cycle.pk})
    assert_no_form_errors(response)
    form = response.context["form"]
    assert not form.is_bound and form.initial == {"cycle": str(cycle.pk)}


def test_a_sent_start_form_still_goes_on_to_the_goal_form(client, org):
    cycle = GoalCycleFactory()
    client.force_login(org.alice)
    response = client.get(reverse("goals:goal_create"), {"cycle": cycle.pk, "department": org.support.pk})
    assert response.status_code == 200 and response.context["department"] == org.support
