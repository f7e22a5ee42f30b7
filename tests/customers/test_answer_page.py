"""The customer's answer page: no login, the promise, drafts, one submission, friendly refusals, limits, CSRF."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models import Answer, Campaign, FollowUp, Recipient, Response
from customers.services import answers
from customers.views.public import RATE_LIMIT
from tests.customers.factories import make_campaign, make_recipient


@pytest.fixture
def link(org):
    campaign = make_campaign(org.support, questions=2)
    recipient, token = make_recipient(campaign)
    return campaign, recipient, token


def url(token):
    return reverse("respond:answer", args=[token])


def full_answer(campaign, *, rating="4", action="send", **extra):
    data = {action: "1", "comment": "Fine overall.", **extra}
    for question in campaign.questions.all():
        data[f"q{question.pk}_rating"] = rating
    return data


def test_it_shows_the_promise_without_login(client, link):
    campaign, _recipient, token = link
    response = client.get(url(token))
    assert response.status_code == 200
    assert campaign.version.promise in response.content.decode()
    for question in campaign.questions.all():
        assert question.promise in response.content.decode()
    assert response["X-Robots-Tag"].startswith("noindex")
    assert "no-cache" in response["Cache-Control"]
    assert 'aria-label="Areas"' not in response.content.decode()  # no navigation for a customer


def test_it_saves_partial_answers_and_prefills_them(client, link):
    campaign, recipient, token = link
    first = campaign.questions.first()
    response = client.post(url(token), {"save": "1", f"q{first.pk}_rating": "2", "comment": "Slow."})
    assert response.status_code == 302
    recipient.refresh_from_db()
    assert recipient.draft == {f"q{first.pk}_rating": 2, "comment": "Slow."}
    assert recipient.submitted_at is None
    page = client.get(url(token)).content.decode()
    assert 'value="2" checked' in page
    assert "Slow." in page
    assert not Response.objects.exists()


def test_saving_twice_is_harmless(link):
    _campaign, recipient, _token = link
    answers.save_draft(recipient=recipient, data={"comment": "x"})
    answers.save_draft(recipient=recipient, data={"comment": "x"})
    recipient.refresh_from_db()
    assert recipient.draft == {"comment": "x"}


def test_it_submits_once_and_then_says_already_answered(client, link):
    campaign, recipient, token = link
    response = client.post(url(token), full_answer(campaign, nps="9", csat="5"))
    assert response.status_code == 302 and response["Location"] == reverse("respond:thanks")
    stored = Response.objects.get()
    assert (stored.nps, stored.csat, stored.comment) == (9, 5, "Fine overall.")
    assert stored.answers.count() == 2
    recipient.refresh_from_db()
    assert recipient.submitted_at is not None and recipient.draft == {}

    again = client.post(url(token), full_answer(campaign, rating="2"))
    assert again.status_code == 410
    assert "already been answered" in again.content.decode()
    assert Response.objects.count() == 1
    assert client.get(url(token)).status_code == 410


def test_it_requires_every_question_to_send(client, link):
    campaign, _recipient, token = link
    data = full_answer(campaign)
    data.pop(f"q{campaign.questions.first().pk}_rating")
    response = client.post(url(token), data)
    assert response.status_code == 200
    assert "Choose how your experience compared with this promise" in response.content.decode()
    assert not Response.objects.exists()


def test_a_worse_answer_opens_a_follow_up(client, link):
    campaign, _recipient, token = link
    client.post(url(token), full_answer(campaign, rating="2"))
    follow_up = FollowUp.objects.get(department=campaign.department)  # one for the response, both answers in it
    assert follow_up.reason.startswith("2 answers worse than promised")


@pytest.mark.parametrize("token", ["nope", "x" * 43, "%20"])
def test_an_unknown_link_gets_a_friendly_page(client, org, token):
    response = client.get(url(token) if token != "%20" else "/r/%20/")
    assert response.status_code == 410
    assert "could not find this questionnaire" in response.content.decode()


def test_an_expired_link_gets_a_friendly_page(client, link):
    _campaign, recipient, token = link
    Recipient.objects.filter(pk=recipient.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(url(token))
    assert response.status_code == 410 and "expired" in response.content.decode()


def test_a_closed_campaign_gets_a_friendly_page(client, link):
    campaign, _recipient, token = link
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    response = client.get(url(token))
    assert response.status_code == 410 and "closed" in response.content.decode()


def test_a_draft_campaign_is_unknown(client, link):
    campaign, _recipient, token = link
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    assert client.get(url(token)).status_code == 410


def test_a_link_answers_only_its_own_campaign(client, org, link):
    """Question ids of another campaign sent with this link are ignored: nothing is stored against them."""
    campaign, _recipient, token = link
    other = make_campaign(org.sales, questions=1)
    other_recipient, other_token = make_recipient(other)
    data = full_answer(campaign)
    data.update({f"q{q.pk}_rating": "1" for q in other.questions.all()})
    assert client.post(url(token), data).status_code == 302
    assert not Answer.objects.filter(question__campaign=other).exists()
    assert Response.objects.get().campaign == campaign
    # and the other campaign's page shows only its own promise, never this one's answers
    page = client.get(url(other_token)).content.decode()
    assert other.questions.first().promise in page and campaign.questions.first().promise not in page
    other_recipient.refresh_from_db()
    assert other_recipient.submitted_at is None


def test_it_limits_the_rate_per_link(client, link):
    _campaign, _recipient, token = link
    for _ in range(RATE_LIMIT):
        assert client.get(url(token)).status_code == 200
    response = client.get(url(token))
    assert response.status_code == 429
    assert "too many attempts" in response.content.decode()


def test_it_limits_the_rate_per_address_across_guessed_links(client, org):
    statuses = [client.get(url(f"guess-{n}")).status_code for n in range(RATE_LIMIT + 1)]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {410}


def test_behind_the_proxy_customers_at_other_addresses_are_not_limited_by_one_guesser(client, link, settings):
    settings.KEEL_TRUSTED_PROXY_COUNT = 1
    _campaign, _recipient, token = link
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(RATE_LIMIT + 1):
        client.get(url(f"guess-{n}"), HTTP_X_FORWARDED_FOR="203.0.113.66", **proxy)
    assert client.get(url("guess-x"), HTTP_X_FORWARDED_FOR="203.0.113.66", **proxy).status_code == 429
    assert client.get(url(token), HTTP_X_FORWARDED_FOR="198.51.100.20", **proxy).status_code == 200


def test_it_enforces_csrf(link):
    campaign, _recipient, token = link
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(url(token), full_answer(campaign)).status_code == 403
    assert not Response.objects.exists()
    page = browser.get(url(token))
    csrf = page.cookies["csrftoken"].value
    response = browser.post(url(token), {**full_answer(campaign), "csrfmiddlewaretoken": csrf})
    assert response.status_code == 302
    assert Response.objects.count() == 1


def test_it_refuses_other_methods(client, link):
    _campaign, _recipient, token = link
    assert client.put(url(token)).status_code == 405


def test_the_thanks_page_needs_no_login(client, db):
    assert client.get(reverse("respond:thanks")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submits_store_exactly_one_response(org):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race needs PostgreSQL")
    campaign = make_campaign(org.support, questions=2)
    recipient, token = make_recipient(campaign)
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt():
        try:
            mine = answers.recipient_for_token(token)
            rows = [answers.AnswerRow(question=q, rating=2) for q in campaign.questions.all()]
            barrier.wait()
            answers.submit(recipient=mine, answers=rows)
            outcomes.append("stored")
        except answers.LinkRefused as refused:
            outcomes.append(refused.reason)
        except Exception as error:  # the assertion below then names it
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["stored", "used"]
    assert Response.objects.filter(recipient=recipient).count() == 1
    assert FollowUp.objects.filter(campaign=campaign).count() == 1


def test_an_external_customer_can_opt_out_from_the_page(client, org):
    from customers.models import Customer
    from tests.customers.factories import make_campaign, make_recipient

    campaign = make_campaign(org.support)
    recipient, token = make_recipient(campaign)
    response = client.post(f"/r/{token}/", {"opt_out": "1"})
    assert "You will not be asked again" in response.content.decode()
    assert Customer.objects.get(pk=recipient.customer_id).opted_out_at is not None


def test_a_colleague_answering_for_an_internal_customer_cannot_opt_out_the_whole_department(client, org):
    from customers.models import Customer
    from tests.customers.factories import make_campaign, make_customer, make_recipient

    campaign = make_campaign(org.sales, audience=Customer.Kind.INTERNAL)
    customer = make_customer(org.sales, internal_department=org.support)
    _recipient, token = make_recipient(campaign, customer=customer, person=org.bob)
    page = client.get(f"/r/{token}/").content.decode()
    assert "Don’t ask me again" not in page
    client.post(f"/r/{token}/", {"opt_out": "1"})
    customer.refresh_from_db()
    assert customer.opted_out_at is None
