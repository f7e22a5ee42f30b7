"""Creating a campaign from a quality definition, editing its questions, sending it."""

from datetime import timedelta

import pytest

from core import periods
from core.exceptions import RuleViolation
from customers.models import Campaign
from customers.services import campaigns as services
from customers.services.sampling import draw_sample
from tests.customers.factories import CustomerFactory, published_definition
from tests.goals.factories import QualityDefinitionFactory


def _create(org, definition, **kwargs):
    return services.create_campaign(
        by=org.alice,
        definition=definition,
        department=org.support,
        ends_on=kwargs.pop("ends_on", periods.today() + timedelta(days=14)),
        sample_size=kwargs.pop("sample_size", 2),
        **kwargs,
    )


def test_it_turns_each_criterion_into_a_question(org):
    definition = published_definition(department=org.support, criteria=("Reply within a day", "Be kind"))
    campaign = _create(org, definition, include_nps=True)
    assert [q.promise for q in campaign.questions.all()] == ["Reply within a day", "Be kind"]
    assert campaign.version.major == 1 and campaign.status == Campaign.Status.DRAFT and campaign.include_nps


def test_it_refuses_a_definition_without_a_published_version(org):
    definition = QualityDefinitionFactory(department=org.support)
    with pytest.raises(RuleViolation, match="no published version"):
        _create(org, definition)


def test_it_refuses_a_version_without_criteria(org):
    with pytest.raises(RuleViolation, match="no acceptance criteria"):
        _create(org, published_definition(department=org.support, criteria=()))


def test_it_refuses_an_end_date_in_the_past(org):
    with pytest.raises(RuleViolation, match="in the past") as error:
        _create(org, published_definition(department=org.support), ends_on=periods.today() - timedelta(days=1))
    assert error.value.field == "ends_on"


def test_it_refuses_both_size_and_percent(org):
    with pytest.raises(RuleViolation, match="either a sample size"):
        _create(org, published_definition(department=org.support), sample_percent=10)


def test_charlie_cannot_create_one_for_support(org):
    with pytest.raises(RuleViolation, match="do not manage"):
        services.create_campaign(
            by=org.charlie,
            definition=published_definition(department=org.support),
            department=org.support,
            ends_on=periods.today(),
            sample_size=1,
        )


def test_questions_can_be_edited_while_draft(org):
    campaign = _create(org, published_definition(department=org.support))
    services.save_questions(
        by=org.alice,
        campaign=campaign,
        include_nps=False,
        include_csat=True,
        rows=[services.QuestionRow(promise="Answer within 4 hours", prompt="How fast was it?")],
    )
    assert [(q.promise, q.prompt) for q in campaign.questions.all()] == [("Answer within 4 hours", "How fast was it?")]


def test_a_campaign_without_questions_is_refused(org):
    campaign = _create(org, published_definition(department=org.support))
    with pytest.raises(RuleViolation, match="at least one question"):
        services.save_questions(
            by=org.alice,
            campaign=campaign,
            rows=[services.QuestionRow(promise=" ")],
            include_nps=False,
            include_csat=False,
        )


def test_it_cannot_be_sent_before_the_draw(org):
    campaign = _create(org, published_definition(department=org.support))
    with pytest.raises(RuleViolation, match="Draw the sample"):
        services.send_campaign(by=org.alice, campaign=campaign)


def test_questions_cannot_change_once_sent(org):
    CustomerFactory.create_batch(3, department=org.support)
    campaign = _create(org, published_definition(department=org.support))
    draw_sample(campaign=campaign, seed=1)
    services.send_campaign(by=org.alice, campaign=campaign)
    with pytest.raises(RuleViolation, match="already sent"):
        services.save_questions(
            by=org.alice,
            campaign=campaign,
            rows=[services.QuestionRow(promise="x")],
            include_nps=False,
            include_csat=False,
        )
