"""Each event is emitted by the action it reports, through its real service, and carries nothing the anonymity
rules keep from the pages."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from core import periods
from customers import tasks as customer_tasks
from customers.models import INTERNAL_MINIMUM, Customer, FollowUp
from customers.services import campaigns
from goals.services import definitions
from metrics.models import Award, ClosedPeriod, Metric, Reading
from metrics.services import awards
from metrics.services.readings import ReadingRow, record_readings
from tests.customers.factories import make_campaign, make_customer, respond
from tests.goals.factories import AcceptanceCriterionFactory, DefinitionVersionFactory, QualityDefinitionFactory
from tests.metrics.factories import MetricFactory, TargetFactory
from tests.org.factories import UserFactory
from tests.webhooks.factories import SubscriptionFactory
from webhooks import payloads
from webhooks.events import Event
from webhooks.models import Subscription, WebhookEvent


@pytest.fixture
def hook(org):
    """An admin's subscription to everything in the organization."""
    return SubscriptionFactory(department=org.acme)


def sent(outside, event_type):
    return [body["data"] for body in outside.bodies() if body["type"] == event_type]


# --- reading.below_target -----------------------------------------------------------------------------------------


def readings(metric, *values, person=None, by):
    moment = timezone.now() - timedelta(hours=1)
    rows = [
        ReadingRow(metric=metric, person=person, measured_at=moment - timedelta(minutes=n), value=value)
        for n, value in enumerate(values)
    ]
    return record_readings(rows=rows, recorded_by=by, source=Reading.Source.FORM)


def test_readings_below_target_emit_one_event_per_batch_and_metric(
    org, hook, outside, django_capture_on_commit_callbacks
):
    metric = MetricFactory(department=org.support, name="First-contact resolution", owner_kind=Metric.Owner.DEPARTMENT)
    TargetFactory(metric=metric, target=90, warning=80)
    with django_capture_on_commit_callbacks(execute=True):
        readings(metric, 95, 71, 85, 89.96, by=org.alice)  # 89.96 is 90.0 as shown: on target
    [data] = sent(outside, Event.READING_BELOW_TARGET)
    assert data["metric"]["code"] == metric.code
    assert data["department"]["name"] == "Support"
    assert (data["readings_recorded"], data["readings_below_target"]) == (4, 2)
    assert (data["worst"]["figure"], data["worst"]["target"]) == (71.0, 90.0)
    assert data["summary"].startswith("First-contact resolution in Support: 2 of 4 reading(s) below target")


def test_readings_on_target_emit_nothing(org, hook, outside, django_capture_on_commit_callbacks):
    metric = MetricFactory(department=org.support, owner_kind=Metric.Owner.DEPARTMENT, direction="lower")
    TargetFactory(metric=metric, target=8, warning=None)
    with django_capture_on_commit_callbacks(execute=True):
        readings(metric, 3, 8, by=org.alice)
    assert outside.posts == [] and not WebhookEvent.objects.exists()


def test_a_per_person_reading_below_target_names_no_person(org, hook, outside, django_capture_on_commit_callbacks):
    metric = MetricFactory(department=org.support, name="Replies", owner_kind=Metric.Owner.PERSON)
    TargetFactory(metric=metric, target=90)
    with django_capture_on_commit_callbacks(execute=True):
        readings(metric, 50, person=org.bob, by=org.alice)
    [data] = sent(outside, Event.READING_BELOW_TARGET)
    assert data["department"]["name"] == "Front Line"
    assert "Bob" not in str(data) and "bob" not in str(data)


def test_recording_readings_with_no_subscription_costs_one_query(org, django_assert_max_num_queries):
    metric = MetricFactory(department=org.support, owner_kind=Metric.Owner.DEPARTMENT)
    TargetFactory(metric=metric, target=90)
    readings(metric, 10, by=org.admin)  # warm up
    with django_assert_max_num_queries(100) as captured:
        readings(metric, 11, by=org.admin)
    webhook_queries = [q for q in captured.captured_queries if "webhooks_" in q["sql"]]
    assert len(webhook_queries) == 1  # is anyone subscribed? no: nothing more


# --- award.confirmed ----------------------------------------------------------------------------------------------


def test_confirming_an_award_emits_it_once(org, hook, outside, django_capture_on_commit_callbacks):
    start = periods.bucket_start(periods.today(), periods.WEEK) - timedelta(days=7)
    closed = ClosedPeriod.objects.create(
        department=org.support,
        period=periods.WEEK,
        start=start,
        end=start + timedelta(days=6),
        scorecard={"metrics": [], "rows": []},
        closed_by=org.alice,
    )
    award = Award.objects.create(
        closed_period=closed, person=org.bob, title="Star of the week", suggested=True, created_by=org.alice
    )
    with django_capture_on_commit_callbacks(execute=True):
        awards.confirm_award(award=award, confirmed_by=org.alice)
        awards.confirm_award(award=award, confirmed_by=org.alice, note="Well done")  # an edit: not again
    [data] = sent(outside, Event.AWARD_CONFIRMED)
    assert data["award"]["title"] == "Star of the week"
    assert data["person"]["name"] == org.bob.display_name
    assert data["confirmed_by"] == org.alice.display_name
    assert data["url"].endswith(f"/metrics/scorecards/closed/{closed.pk}/")


# --- definition.version_published ---------------------------------------------------------------------------------


def test_publishing_a_definition_version_emits_it(org, outside, django_capture_on_commit_callbacks):
    SubscriptionFactory(department=org.front_line, events=[Event.DEFINITION_VERSION_PUBLISHED])  # a served one
    definition = QualityDefinitionFactory(department=org.sales, title="Quotes")
    definition.served_departments.add(org.front_line)
    draft = DefinitionVersionFactory(definition=definition, promise="A quote within two days.")
    AcceptanceCriterionFactory(version=draft, text="Quote sent within 2 working days")
    with django_capture_on_commit_callbacks(execute=True):
        definitions.publish(definition=definition, major=True, change_summary="", by=org.charlie)
    [data] = sent(outside, Event.DEFINITION_VERSION_PUBLISHED)
    assert data["definition"] == {"id": definition.pk, "title": "Quotes"}
    assert (data["version"]["label"], data["version"]["promise"]) == ("v1.0", "A quote within two days.")
    assert data["version"]["published_by"] == org.charlie.display_name


# --- campaign.closed ----------------------------------------------------------------------------------------------


def test_closing_a_campaign_emits_it_once(org, hook, outside, django_capture_on_commit_callbacks):
    campaign = make_campaign(org.support, questions=1, ends_on=timezone.localdate() - timedelta(days=1))
    respond(campaign, ["as_promised"], nps=9)
    with django_capture_on_commit_callbacks(execute=True):
        assert customer_tasks.close_ended_campaigns() == 1
        assert customer_tasks.close_ended_campaigns() == 0
    [data] = sent(outside, Event.CAMPAIGN_CLOSED)
    assert data["campaign"]["title"] == campaign.title
    assert (data["responses"], data["results_shown"]) == (1, True)


def test_an_internal_campaign_below_the_minimum_closes_without_its_count(
    org, hook, outside, django_capture_on_commit_callbacks
):
    campaign = make_campaign(org.sales, questions=1, audience=Customer.Kind.INTERNAL)
    customer = make_customer(org.sales, internal_department=org.support)
    respond(campaign, ["as_promised"], customer=customer, person=org.bob)
    with django_capture_on_commit_callbacks(execute=True):
        campaigns.close_campaign(campaign=campaign)
    [data] = sent(outside, Event.CAMPAIGN_CLOSED)
    assert (data["responses"], data["results_shown"]) == (None, False)


# --- follow_up.opened and follow_up.overdue -----------------------------------------------------------------------


def test_a_worse_answer_emits_follow_up_opened(org, hook, outside, django_capture_on_commit_callbacks):
    campaign = make_campaign(org.support, questions=1)
    with django_capture_on_commit_callbacks(execute=True):
        respond(campaign, ["worse"], nps=9)
    [data] = sent(outside, Event.FOLLOW_UP_OPENED)
    follow_up = FollowUp.objects.get()
    assert data["follow_up"]["id"] == follow_up.pk
    assert data["follow_up"]["reason"] == follow_up.reason
    assert data["campaign"]["title"] == campaign.title
    assert data["url"].endswith(f"/customers/results/follow-ups/{follow_up.pk}/")


def test_internal_follow_ups_wait_for_the_anonymity_minimum(org, hook, outside, django_capture_on_commit_callbacks):
    campaign = make_campaign(org.sales, questions=1, audience=Customer.Kind.INTERNAL)
    customer = make_customer(org.sales, internal_department=org.support)
    colleagues = [UserFactory(department=org.support) for _ in range(INTERNAL_MINIMUM)]
    with django_capture_on_commit_callbacks(execute=True):
        respond(campaign, ["worse"], nps=3, customer=customer, person=colleagues[0])
        for person in colleagues[1:-1]:
            respond(campaign, ["as_promised"], nps=9, customer=customer, person=person)
    assert outside.posts == [] and not WebhookEvent.objects.exists()  # not even that a follow-up was opened
    with django_capture_on_commit_callbacks(execute=True):
        respond(campaign, ["as_promised"], nps=9, customer=customer, person=colleagues[-1])  # the minimum
    opened = sent(outside, Event.FOLLOW_UP_OPENED)
    assert sorted(d["follow_up"]["id"] for d in opened) == sorted(FollowUp.objects.values_list("pk", flat=True))
    assert len(opened) == 1  # the first answer opened one follow-up (its low criterion and NPS together), once


def test_overdue_follow_ups_are_announced_once_by_the_hourly_task(
    org, hook, outside, django_capture_on_commit_callbacks
):
    campaign = make_campaign(org.support, questions=1)
    respond(campaign, ["worse"], nps=9)
    outside.posts.clear()
    follow_up = FollowUp.objects.get()
    FollowUp.objects.filter(pk=follow_up.pk).update(due_date=periods.today() - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert customer_tasks.announce_overdue_follow_ups() == 1
        assert customer_tasks.announce_overdue_follow_ups() == 0
    [data] = sent(outside, Event.FOLLOW_UP_OVERDUE)
    assert data["follow_up"]["id"] == follow_up.pk
    # Given a new due date and missed again: announced again.
    FollowUp.objects.filter(pk=follow_up.pk).update(due_date=periods.today() - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert customer_tasks.announce_overdue_follow_ups() == 1


def test_overdue_follow_ups_of_an_internal_campaign_below_the_minimum_stay_quiet(org, hook, outside):
    campaign = make_campaign(org.sales, questions=1, audience=Customer.Kind.INTERNAL)
    customer = make_customer(org.sales, internal_department=org.support)
    respond(campaign, ["worse"], nps=3, customer=customer, person=org.bob)
    FollowUp.objects.update(due_date=periods.today() - timedelta(days=1))
    assert customer_tasks.announce_overdue_follow_ups() == 0
    assert not WebhookEvent.objects.exists()


# --- chat formats -------------------------------------------------------------------------------------------------


def test_slack_and_teams_get_a_text_message_with_a_link(org, outside, django_capture_on_commit_callbacks):
    SubscriptionFactory(department=org.acme, format=Subscription.Format.SLACK, url="https://hooks.example.com/slack")
    SubscriptionFactory(department=org.acme, format=Subscription.Format.TEAMS, url="https://chat.example.com/teams")
    campaign = make_campaign(org.support, questions=1, title="Q4 <check> & more")
    with django_capture_on_commit_callbacks(execute=True):
        campaigns.close_campaign(campaign=campaign)
    by_host = {target.host: body for target, body, _headers in outside.posts}
    url = campaign.get_absolute_url()
    slack, teams = json.loads(by_host["hooks.example.com"]), json.loads(by_host["chat.example.com"])
    assert list(slack) == ["text"] and list(teams) == ["text"]
    assert slack["text"].startswith("Reality-check campaign “Q4 &lt;check&gt; &amp; more” of Support closed.")
    assert slack["text"].endswith(f"/{url.lstrip('/')}|Open in Keel>")
    assert teams["text"].startswith(r"Reality-check campaign “Q4 \<check\> & more” of Support closed.")
    assert teams["text"].endswith(f"{url})") and "[Open in Keel](" in teams["text"]


def test_the_standard_body_has_type_timestamp_and_data(org, hook):
    event = WebhookEvent.objects.create(type=Event.CAMPAIGN_CLOSED, payload={"n": 1}, summary="Closed.", url="")
    body = payloads.standard(event)
    assert body["type"] == "campaign.closed"
    assert body["timestamp"].endswith("Z")
    assert body["data"] == {"n": 1, "summary": "Closed.", "url": ""}
