"""Follow-ups: opened by worse or low answers, edited by the owner or a manager, timed, and denied to others."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import FollowUp
from customers.selectors import results
from tests.customers.factories import make_campaign, respond


@pytest.fixture
def campaign(org):
    return make_campaign(org.support, questions=2)


def test_worse_answers_and_low_scores_open_one_follow_up_listing_them(org, campaign):
    respond(campaign, ["worse", "as_promised"], ratings=[3, 1], nps=4, csat=2)
    follow_up = FollowUp.objects.get()  # one per response, however many answers were low
    promises = [q.promise for q in campaign.questions.order_by("position")]
    assert follow_up.reason == (
        f"2 answers worse than promised: “{promises[0]}” (3 of 7), “{promises[1]}” (1 of 7); "
        "Low overall score: would recommend us 4 of 10, satisfaction 2 of 5"
    )
    assert follow_up.department == org.support and follow_up.owner == org.alice
    assert follow_up.due_date == timezone.localdate() + timedelta(days=14)
    assert follow_up.status == FollowUp.Status.OPEN


def test_good_answers_open_none(campaign):
    respond(campaign, ["as_promised", "better"], nps=9, csat=4)
    assert not FollowUp.objects.exists()


@pytest.fixture
def follow_up(campaign):
    respond(campaign, ["worse", "as_promised"])
    return FollowUp.objects.get()


def edit(client, follow_up, **data):
    data = {"owner": "", "due_date": "", "status": "open", "resolution": "", **data}
    return client.post(reverse("customers:follow_up", args=[follow_up.pk]), data)


def test_a_manager_closes_one_with_a_resolution(client, org, follow_up):
    client.force_login(org.alice)
    response = edit(client, follow_up, owner=org.bob.pk, status="closed", resolution="Called back, fixed.")
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.owner, follow_up.resolution) == ("closed", org.bob, "Called back, fixed.")
    assert follow_up.closed_at is not None


def test_closing_needs_a_resolution(client, org, follow_up):
    client.force_login(org.alice)
    response = edit(client, follow_up, status="closed")
    assert response.status_code == 200
    assert "before closing it" in response.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.status == "open"


def test_the_owner_may_edit_it(client, org, follow_up):
    FollowUp.objects.filter(pk=follow_up.pk).update(owner=org.bob)
    client.force_login(org.bob)
    assert edit(client, follow_up, owner=org.bob.pk, status="in_progress").status_code == 302


def test_the_owner_must_belong_to_the_department(client, org, follow_up):
    client.force_login(org.alice)
    response = edit(client, follow_up, owner=org.charlie.pk)
    assert response.status_code == 200  # not a choice: the form says so


@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_others_cannot_see_or_edit_it(client, org, follow_up, who):
    client.force_login(getattr(org, who))
    assert client.get(reverse("customers:follow_up", args=[follow_up.pk])).status_code == 404
    assert edit(client, follow_up, status="closed", resolution="x").status_code == 404


def test_an_employee_without_follow_ups_gets_no_list(client, org, follow_up):
    client.force_login(org.bob)
    assert client.get(reverse("customers:follow_ups")).status_code == 404


def test_the_list_shows_open_ones_and_time_to_close(client, org, campaign):
    respond(campaign, ["worse", "worse"])
    respond(campaign, ["worse", "worse"])
    first, second = FollowUp.objects.order_by("pk")
    created = timezone.now() - timedelta(days=4)
    FollowUp.objects.filter(pk=first.pk).update(
        created_at=created, status="closed", closed_at=created + timedelta(days=2), resolution="Done"
    )
    stats = results.follow_up_stats(FollowUp.objects.all())
    assert (stats["open"], stats["closed"], stats["days_to_close"]) == (1, 1, 2.0)
    client.force_login(org.alice)
    page = client.get(reverse("customers:follow_ups")).content.decode()
    assert f'data-follow-up="{second.pk}"' in page and f'data-follow-up="{first.pk}"' not in page
    closed = client.get(reverse("customers:follow_ups") + "?status=closed").content.decode()
    assert f'data-follow-up="{first.pk}"' in closed
    client.force_login(org.charlie)
    assert f'data-follow-up="{second.pk}"' not in client.get(reverse("customers:follow_ups")).content.decode()


def test_the_list_uses_a_bounded_number_of_queries(client, org, campaign, django_assert_max_num_queries):
    for _ in range(20):
        respond(campaign, ["worse", "worse"])
    client.force_login(org.alice)
    # session, user, managed paths, stats, count and page of follow-ups (with campaign, owner, customer)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("customers:follow_ups")).status_code == 200


def test_today_lists_open_follow_ups_for_managers(client, org, follow_up):
    client.force_login(org.alice)
    page = client.get(reverse("today")).content.decode()
    assert "Follow-ups" in page and follow_up.reason in page
    client.force_login(org.charlie)
    assert follow_up.reason not in client.get(reverse("today")).content.decode()


def test_it_knows_which_follow_ups_are_open_and_overdue(campaign):
    respond(campaign, ["worse", "worse"])
    respond(campaign, ["worse", "worse"])
    late, due_today = FollowUp.objects.order_by("pk")
    today = timezone.localdate()
    FollowUp.objects.filter(pk=late.pk).update(due_date=today - timedelta(days=1))
    FollowUp.objects.filter(pk=due_today.pk).update(due_date=today)
    assert list(FollowUp.objects.open().overdue(today)) == [late]
    assert [f.is_overdue for f in FollowUp.objects.order_by("pk")] == [True, False]
    FollowUp.objects.filter(pk=late.pk).update(status=FollowUp.Status.CLOSED)
    assert not FollowUp.objects.overdue(today).exists() and not FollowUp.objects.get(pk=late.pk).is_overdue
    assert list(FollowUp.objects.closed()) == [FollowUp.objects.get(pk=late.pk)]


def test_the_list_marks_an_overdue_follow_up(client, org, follow_up):
    FollowUp.objects.filter(pk=follow_up.pk).update(due_date=timezone.localdate() - timedelta(days=2))
    client.force_login(org.alice)
    response = client.get(reverse("customers:follow_ups"))
    assert "· overdue" in response.content.decode()
    assert response.context["stats"]["overdue"] == 1
