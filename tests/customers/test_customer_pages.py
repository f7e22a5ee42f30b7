"""Every customer and campaign page: alice (manages Support) can, charlie (Sales) and bob (employee) cannot."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import Campaign, Customer
from customers.services.sampling import draw_sample
from outbox.models import OutgoingEmail
from tests.customers.factories import CampaignFactory, CustomerFactory, published_definition


@pytest.fixture
def data(org):
    customer = CustomerFactory(department=org.support, name="Harbour Books")
    CustomerFactory.create_batch(5, department=org.support)
    campaign = CampaignFactory(department=org.support, sample_size=2)
    return customer, campaign


def _urls(customer, campaign, org):
    return [
        ("get", reverse("customers:customer_edit", args=[customer.pk])),
        ("post", reverse("customers:customer_opt_out", args=[customer.pk])),
        ("get", reverse("customers:internal", args=[org.support.pk])),
        ("get", reverse("customers:campaign", args=[campaign.pk])),
        ("get", reverse("customers:campaign_questions", args=[campaign.pk])),
        ("post", reverse("customers:campaign_draw", args=[campaign.pk])),
        ("post", reverse("customers:campaign_send", args=[campaign.pk])),
    ]


@pytest.mark.parametrize("who", ["charlie", "bob"])
def test_outsiders_cannot_reach_supports_pages(client, org, data, who):
    client.force_login(getattr(org, who))
    for method, url in _urls(*data, org):
        assert getattr(client, method)(url).status_code == 404, url
    assert Customer.objects.filter(opted_out_at__isnull=False).count() == 0
    assert Campaign.objects.get().drawn_at is None


def test_outsiders_do_not_see_supports_customers_or_campaigns(client, org, data):
    client.force_login(org.charlie)
    assert "Harbour Books" not in client.get(reverse("customers:index")).content.decode()
    assert data[1].title not in client.get(reverse("customers:campaigns")).content.decode()


@pytest.mark.parametrize("name", ["customers:customer_add", "customers:import", "customers:campaign_create"])
def test_employees_cannot_create(client, org, name):
    client.force_login(org.bob)
    assert client.get(reverse(name)).status_code == 404


def test_anonymous_people_are_sent_to_sign_in(client, org, data):
    for _method, url in _urls(*data, org):
        assert client.get(url).status_code == 302


def test_the_import_preview_is_only_the_uploaders(client, org):
    client.force_login(org.alice)
    upload = SimpleUploadedFile("c.csv", b"name,email\nA,a@example.com\n", content_type="text/csv")
    response = client.post(reverse("customers:import"), {"department": org.support.pk, "file": upload})
    preview = response.url
    client.force_login(org.charlie)
    assert client.get(preview).status_code == 404


def test_the_list_has_bounded_queries(client, org, django_assert_max_num_queries):
    CustomerFactory.create_batch(60, department=org.support)
    client.force_login(org.alice)
    # session, user, managed paths, count, page of customers with departments, segments, is_manager
    with django_assert_max_num_queries(9):
        response = client.get(reverse("customers:index"))
    assert response.status_code == 200 and "Page 1 of 2" in response.content.decode()


def test_the_campaign_page_has_bounded_queries(client, org, data, django_assert_max_num_queries):
    draw_sample(campaign=data[1], seed=1)
    client.force_login(org.alice)
    # session, user, managed paths, campaign with department/definition/version, questions, delivery figures,
    # segment rates, the sample's count and page (with customers and people); whatever the sample's size
    with django_assert_max_num_queries(10):
        response = client.get(reverse("customers:campaign", args=[data[1].pk]))
    assert b"data-seed" in response.content


def test_alice_adds_edits_and_opts_out_a_customer(client, org):
    client.force_login(org.alice)
    response = client.post(
        reverse("customers:customer_add"),
        {"department": org.support.pk, "name": "Lakeside", "email": "lk@example.com", "segment": "Public Sector"},
    )
    assert response.status_code == 302
    customer = Customer.objects.get(name="Lakeside")
    assert customer.segment == "public sector"
    response = client.post(
        reverse("customers:customer_add"), {"department": org.support.pk, "name": "Again", "email": "LK@example.com"}
    )
    assert "already in Support" in response.content.decode()
    client.post(
        reverse("customers:customer_edit", args=[customer.pk]), {"name": "Lakeside Council", "email": "lk@example.com"}
    )
    client.post(reverse("customers:customer_opt_out", args=[customer.pk]))
    customer.refresh_from_db()
    assert customer.name == "Lakeside Council" and customer.opted_out_at


def test_alice_imports_a_file_after_the_preview(client, org):
    client.force_login(org.alice)
    upload = SimpleUploadedFile("c.csv", b"name,email,segment\nA,a@example.com,retail\nB,bad,retail\n")
    preview = client.post(reverse("customers:import"), {"department": org.support.pk, "file": upload}).url
    page = client.get(preview).content.decode()
    assert "is not an e-mail address" in page and "valid row only" in page
    assert not Customer.objects.exists()
    client.post(preview)  # all or nothing: refused
    assert not Customer.objects.exists()
    client.post(preview, {"valid_only": "on"})
    assert list(Customer.objects.values_list("name", flat=True)) == ["A"]


def test_alice_sets_internal_customers(client, org):
    client.force_login(org.alice)
    client.post(reverse("customers:internal", args=[org.support.pk]), {"departments": [org.sales.pk]})
    assert Customer.objects.get(kind="internal").internal_department == org.sales


def test_alice_creates_draws_and_sends_a_campaign(client, org, django_capture_on_commit_callbacks):
    CustomerFactory.create_batch(10, department=org.support)
    definition = published_definition(department=org.support)
    client.force_login(org.alice)
    response = client.post(
        reverse("customers:campaign_create"),
        {
            "definition": definition.pk,
            "department": org.support.pk,
            "audience": "external",
            "sample_size": 4,
            "exclude_days": 90,
            "ends_on": "2999-01-01",
        },
    )
    campaign = Campaign.objects.get()
    assert response.url == campaign.get_absolute_url()
    client.post(reverse("customers:campaign_draw", args=[campaign.pk]), {"seed": "42"})
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "42" in page and "Send…" in page
    assert "Send to 4 customers" in client.get(reverse("customers:campaign_send", args=[campaign.pk])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("customers:campaign_send", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == "sent" and OutgoingEmail.objects.count() == 4


def test_the_create_form_explains_a_past_end_date(client, org):
    definition = published_definition(department=org.support)
    client.force_login(org.alice)
    response = client.post(
        reverse("customers:campaign_create"),
        {
            "definition": definition.pk,
            "department": org.support.pk,
            "audience": "external",
            "sample_size": 4,
            "exclude_days": 90,
            "ends_on": "2001-01-01",
        },
    )
    assert "The end date is in the past" in response.content.decode()


def test_a_too_large_sample_is_explained(client, org, data):
    Campaign.objects.filter(pk=data[1].pk).update(sample_size=50)
    client.force_login(org.alice)
    response = client.post(reverse("customers:campaign_draw", args=[data[1].pk]), follow=True)
    assert "larger than the 6 eligible customers" in response.content.decode()


def test_questions_can_be_edited(client, org, data):
    client.force_login(org.alice)
    campaign = data[1]
    response = client.post(
        reverse("customers:campaign_questions", args=[campaign.pk]),
        {
            "q-TOTAL_FORMS": "1",
            "q-INITIAL_FORMS": "0",
            "q-0-promise": "Reply in 4 hours",
            "q-0-prompt": "And?",
            "include_nps": "on",
        },
    )
    assert response.status_code == 302
    assert list(campaign.questions.values_list("promise", flat=True)) == ["Reply in 4 hours"]
