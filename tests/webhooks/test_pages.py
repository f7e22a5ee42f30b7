"""The webhook pages: admins and managers subscribe the departments they manage; nobody else sees a thing."""

import pytest
from django.urls import reverse

from tests.helpers import signed_in
from tests.webhooks.factories import SubscriptionFactory
from webhooks import services
from webhooks.events import Event
from webhooks.models import Delivery, Subscription

EVENTS = [Event.FOLLOW_UP_OPENED, Event.CAMPAIGN_CLOSED]


def form(department, **changes):
    return {
        "name": "Help desk",
        "url": "https://hooks.example.com/keel",
        "department": department.pk,
        "events": EVENTS,
        "format": Subscription.Format.STANDARD,
        "is_active": "on",
        **changes,
    }


def test_an_admin_subscribes_a_url_and_sees_its_secret_once(client, org):
    signed_in(client, org.admin)
    response = client.post(reverse("webhooks:create"), form(org.acme))
    subscription = Subscription.objects.get()
    assert response.status_code == 302 and response.url == subscription.get_absolute_url()
    assert (subscription.department, subscription.events, subscription.created_by) == (org.acme, EVENTS, org.admin)
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret in client.get(response.url).content.decode()
    page = client.get(response.url).content.decode()
    assert subscription.secret not in page and "Reveal secret" in page
    revealed = client.post(reverse("webhooks:secret", args=[subscription.pk]), {"action": "reveal"}, follow=True)
    assert subscription.secret in revealed.content.decode()


def test_replacing_the_secret_shows_the_new_one(client, org):
    subscription = SubscriptionFactory(department=org.support)
    old = subscription.secret
    signed_in(client, org.alice)
    page = client.post(reverse("webhooks:secret", args=[subscription.pk]), {"action": "rotate"}, follow=True)
    subscription.refresh_from_db()
    assert subscription.secret != old and subscription.secret in page.content.decode()


def test_a_manager_subscribes_a_department_they_manage(client, org):
    signed_in(client, org.alice)
    response = client.post(reverse("webhooks:create"), form(org.front_line))
    assert response.status_code == 302
    assert Subscription.objects.get().department == org.front_line


def test_a_manager_cannot_subscribe_another_department(client, org):
    signed_in(client, org.alice)
    response = client.post(reverse("webhooks:create"), form(org.sales))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Subscription.objects.exists()
    assert "Sales" not in str(response.context["form"]["department"])


def test_a_manager_cannot_allow_private_targets(client, org):
    signed_in(client, org.alice)
    response = client.post(
        reverse("webhooks:create"), form(org.support, url="http://10.0.0.1/hook", allow_private_targets="on")
    )
    assert "allow_private_targets" not in response.context["form"].fields
    assert "10.0.0.1, a private address" in response.content.decode()
    assert not Subscription.objects.exists()


def test_an_admin_may_allow_a_private_target(client, org):
    signed_in(client, org.admin)
    response = client.post(
        reverse("webhooks:create"), form(org.support, url="http://10.0.0.1/hook", allow_private_targets="on")
    )
    assert response.status_code == 302
    assert Subscription.objects.get().allow_private_targets is True


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8000/", "127.0.0.1, this machine (loopback)"),
        ("http://[::1]/", "::1, this machine (loopback)"),
        ("https://sneaky.example.com/", "sneaky.example.com points to 127.0.0.1"),
        ("ftp://hooks.example.com/", "starts with https://"),
        ("https://nowhere.invalid/", "could not find the host"),
    ],
)
def test_a_refused_url_is_explained_on_the_form(client, org, url, message):
    signed_in(client, org.admin)
    response = client.post(reverse("webhooks:create"), form(org.support, url=url))
    assert response.status_code == 200
    assert message in response.content.decode()


def test_hostile_input_gets_messages_not_errors(client, org):
    signed_in(client, org.admin)
    response = client.post(
        reverse("webhooks:create"),
        form(org.support, name="x" * 5000, url="https://hooks.example.com/" + "a" * 3000, events=["nope"]),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"name", "url", "events"}
    assert client.post(reverse("webhooks:create"), {**form(org.support), "department": "9" * 30}).status_code == 200


def test_a_manager_edits_a_subscription_and_keeps_the_admins_allowance(client, org):
    subscription = SubscriptionFactory(
        department=org.support, url="http://10.0.0.1/hook", allow_private_targets=True, events=EVENTS
    )
    signed_in(client, org.alice)
    response = client.post(
        reverse("webhooks:edit", args=[subscription.pk]), form(org.support, name="Renamed", url=subscription.url)
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.name, subscription.allow_private_targets) == ("Renamed", True)
    # A new address was not what the admin allowed: the allowance goes, and the private address is refused.
    response = client.post(
        reverse("webhooks:edit", args=[subscription.pk]), form(org.support, url="http://10.0.0.2/hook")
    )
    assert "10.0.0.2, a private address" in response.content.decode()


def test_a_manager_deletes_a_subscription(client, org):
    subscription = SubscriptionFactory(department=org.support)
    signed_in(client, org.alice)
    assert client.get(reverse("webhooks:delete", args=[subscription.pk])).status_code == 200
    response = client.post(reverse("webhooks:delete", args=[subscription.pk]))
    assert response.status_code == 302 and not Subscription.objects.exists()


def test_a_manager_cannot_see_or_change_another_departments_subscription(client, org):
    theirs = SubscriptionFactory(department=org.sales, name="Sales hook")
    signed_in(client, org.alice)
    assert "Sales hook" not in client.get(reverse("webhooks:list")).content.decode()
    for name in ("detail", "edit", "delete"):
        assert client.get(reverse(f"webhooks:{name}", args=[theirs.pk])).status_code == 404
    for name in ("edit", "delete", "test", "secret"):
        assert client.post(reverse(f"webhooks:{name}", args=[theirs.pk]), form(org.support)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Sales hook" and not Delivery.objects.exists()


def test_a_manager_cannot_see_the_subscription_of_a_department_above(client, org):
    above = SubscriptionFactory(department=org.acme)
    signed_in(client, org.alice)
    assert client.get(reverse("webhooks:detail", args=[above.pk])).status_code == 404


@pytest.mark.parametrize("name", ["list", "create"])
def test_an_employee_cannot_reach_the_pages(client, org, name):
    signed_in(client, org.bob)
    assert client.get(reverse(f"webhooks:{name}")).status_code == 404


def test_an_employee_cannot_reach_a_subscription_of_their_department(client, org):
    subscription = SubscriptionFactory(department=org.front_line)
    signed_in(client, org.bob)
    assert client.get(reverse("webhooks:detail", args=[subscription.pk])).status_code == 404
    assert client.post(reverse("webhooks:test", args=[subscription.pk])).status_code == 404


def test_the_nav_links_webhooks_for_admins_and_managers_only(client, org):
    link = f'href="{reverse("webhooks:list")}"'
    assert link in signed_in(client, org.alice).get(reverse("today")).content.decode()
    assert link in signed_in(client, org.admin).get(reverse("today")).content.decode()
    assert link not in signed_in(client, org.bob).get(reverse("today")).content.decode()


def test_send_test_event_queues_a_delivery_shown_with_its_answer(
    client, org, outside, django_capture_on_commit_callbacks
):
    subscription = SubscriptionFactory(department=org.support, name="Help desk")
    signed_in(client, org.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webhooks:test", args=[subscription.pk]))
    assert response.status_code == 302
    [body] = outside.bodies()
    assert body["type"] == "webhook.test"
    assert body["data"]["subscription"] == {"id": subscription.pk, "name": "Help desk"}
    page = client.get(subscription.get_absolute_url()).content.decode()
    assert "webhook.test" in page and "Delivered" in page and "data-status-code>200<" in page


def test_the_pages_run_a_bounded_number_of_queries(client, org, django_assert_max_num_queries):
    subscriptions = [SubscriptionFactory(department=org.support) for _ in range(5)]
    subscription = subscriptions[-1]
    signed_in(client, org.alice)
    client.get(reverse("webhooks:list"))  # warm the session
    # session, user, managed paths, subscriptions with their counts
    with django_assert_max_num_queries(6):
        assert client.get(reverse("webhooks:list")).status_code == 200
    for _ in range(30):
        services.send_test_event(subscription=subscription, by=org.alice)
    # session, user, managed paths, the subscription, deliveries count and page (with their events), session save
    with django_assert_max_num_queries(9):
        assert client.get(subscription.get_absolute_url()).status_code == 200


def test_a_test_event_to_a_failing_receiver_shows_the_failure(
    client, org, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [500]
    receiver.body = b"<h1>Internal Server Error</h1>"
    subscription = SubscriptionFactory(department=org.support, url=receiver.url, allow_private_targets=True)
    signed_in(client, org.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webhooks:test", args=[subscription.pk]))
    assert response.status_code == 302
    page = client.get(subscription.get_absolute_url()).content.decode()
    assert "Retrying" in page and "data-status-code>500<" in page
    assert "&lt;h1&gt;Internal Server Error&lt;/h1&gt;" in page  # the receiver's answer, escaped
