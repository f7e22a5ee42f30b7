"""Every main page, as the role that uses it, has no critical or serious axe-core violation at desktop and phone
width (journeys check the pages they pass through the same way, in tests.helpers.look_at)."""

import pytest

from tests.customers.factories import make_campaign, make_customer, respond
from tests.goals.factories import GoalFactory, QualityDefinitionFactory
from tests.helpers import assert_accessible, sign_in
from tests.metrics.factories import MetricFactory, TargetFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def things(org):
    metric = MetricFactory(department=org.support, name="First reply time", code="frt")
    TargetFactory(metric=metric, target=80, warning=70)
    goal = GoalFactory(department=None, title="Delight every customer")
    definition = QualityDefinitionFactory(department=org.support, title="Support tickets")
    campaign = make_campaign(org.support, title="Autumn check")
    respond(campaign, ["worse", "better"], comment="Slow at first, then fine.", customer=make_customer(org.support))
    return {"metric": metric, "goal": goal, "definition": definition, "campaign": campaign}


PAGES = {
    "alice": [
        "/",
        "/metrics/",
        "/metrics/manage/",
        "/metrics/new/",
        "/metrics/{metric}/",
        "/metrics/readings/new/",
        "/metrics/import/",
        "/metrics/scorecards/",
        "/metrics/scorecards/{support}/",
        "/definitions/",
        "/definitions/new/",
        "/definitions/{definition}/",
        "/goals/",
        "/goals/new/",
        "/goals/{goal}/",
        "/goals/register/",
        "/reviews/",
        "/reviews/training/",
        "/reviews/training/compliance/",
        "/customers/",
        "/customers/add/",
        "/customers/import/",
        "/customers/campaigns/",
        "/customers/campaigns/new/",
        "/customers/campaigns/{campaign}/",
        "/customers/results/",
        "/customers/results/{campaign}/",
        "/customers/results/follow-ups/",
        "/org/",
        "/org/departments/{support}/",
        "/search/?q=a",
        "/accounts/password/change/",
        "/webhooks/",
    ],
    "bob": ["/", "/metrics/", "/definitions/", "/goals/", "/reviews/", "/reviews/training/", "/org/"],
    "root": [
        "/",
        "/goals/cycles/",
        "/reviews/series/new/",
        "/reviews/training/programmes/",
        "/reviews/training/programmes/new/",
    ],
}


@pytest.mark.parametrize("who", list(PAGES))
def test_every_main_page_passes_axe(page, org, things, who):
    ids = {"support": org.support.pk, **{name: thing.pk for name, thing in things.items()}}
    sign_in(page, who)
    problems = []
    for path in PAGES[who]:
        url = path.format(**ids)
        response = page.goto(url)
        assert response.status == 200, url
        try:
            assert_accessible(page, url)
        except AssertionError as error:
            problems.append(str(error))
    assert not problems, "\n".join(problems)
