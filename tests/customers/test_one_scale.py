"""Each criterion is asked once, on one 1-7 scale that holds the comparison with the promise (1 far worse than
promised, 4 as promised, 7 far better): an answer cannot contradict itself, and missing answers are listed at the
top of the page, linked to their questions."""

import re

import pytest
from django.urls import reverse

from customers.models import Answer, FollowUp
from customers.selectors import results
from tests.customers.factories import make_campaign, make_recipient, respond


@pytest.fixture
def link(org):
    campaign = make_campaign(org.support, questions=2)
    _recipient, token = make_recipient(campaign)
    return campaign, token


def test_each_criterion_is_asked_once_on_one_scale(client, link):
    campaign, token = link
    html = client.get(reverse("respond:answer", args=[token])).content.decode()
    for question in campaign.questions.all():
        names = set(re.findall(rf'name="(q{question.pk}_\w+)"', html))
        assert names == {f"q{question.pk}_rating"}
        for value, label in Answer.Rating.choices:
            assert f'value="{value}"' in html and label in html
    assert "comparison" not in html


def test_a_far_better_answer_opens_no_follow_up(org):
    campaign = make_campaign(org.support, questions=1)
    respond(campaign, [], ratings=[7])
    assert not FollowUp.objects.exists()


def test_a_worse_answer_opens_a_follow_up_that_says_so_without_contradiction(org):
    campaign = make_campaign(org.support, questions=1)
    respond(campaign, [], ratings=[2])
    [follow_up] = FollowUp.objects.all()
    assert follow_up.reason == f"Worse than promised: “{campaign.questions.get().promise}” (2 of 7)"


@pytest.mark.parametrize(("rating", "opens"), [(1, True), (3, True), (4, False), (5, False)])
def test_follow_ups_open_below_as_promised(org, rating, opens):
    campaign = make_campaign(org.support, questions=1)
    respond(campaign, [], ratings=[rating])
    assert FollowUp.objects.exists() is opens


def test_results_read_the_side_of_the_promise_from_the_one_rating(org):
    campaign = make_campaign(org.support, questions=1)
    for rating in (1, 3, 4, 5, 7):
        respond(campaign, [], ratings=[rating])
    [question] = results.campaign_results(campaign).questions
    assert (question.worse, question.as_promised, question.better) == (2, 1, 2)
    assert question.gap == 0.0 and question.mean_rating == 4.0


def test_missing_answers_are_listed_at_the_top_linked_to_their_questions(client, link):
    campaign, token = link
    first, second = campaign.questions.all()
    response = client.post(reverse("respond:answer", args=[token]), {"send": "1", f"q{first.pk}_rating": "4"})
    html = response.content.decode()
    assert response.status_code == 200
    top = html.index('id="missing-answers"')
    assert top < html.index(f'id="question-{first.pk}"')
    assert f'<a href="#question-{second.pk}">Question 2: “{second.promise}”</a>' in html
    assert f'href="#question-{first.pk}"' not in html


def test_a_rating_outside_the_scale_is_refused_with_a_message(client, link):
    campaign, token = link
    data = {"send": "1", **{f"q{q.pk}_rating": "9" for q in campaign.questions.all()}}
    response = client.post(reverse("respond:answer", args=[token]), data)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Answer.objects.exists()
