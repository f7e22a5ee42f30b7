"""Quality definition pages: who may open which, writing and publishing through forms, acknowledging with and
without JavaScript, coverage, and bounded queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from goals import today as goals_today
from goals.models import Acknowledgement, DefinitionVersion, QualityDefinition
from goals.services import definitions
from goals.services.definitions import CriterionRow
from tests.metrics.factories import MetricFactory
from tests.org.factories import DepartmentFactory, UserFactory

PROMISE = "Every customer who writes to us gets a helpful first reply quickly."


def published(org, title="Support tickets", *, by=None, department=None, **details):
    definition = definitions.create_definition(
        by=by or org.alice,
        department=department or org.support,
        title=title,
        promise=PROMISE,
        criteria=[CriterionRow(text="First reply within 4 business hours")],
        **details,
    )
    definitions.publish(definition=definition, major=True, change_summary="", by=by or org.alice)
    return definition


def second_version(org, definition, *, major=True, promise="Every customer gets a reply within 4 hours."):
    definitions.save_draft(
        definition=definition,
        by=org.alice,
        promise=promise,
        criteria=[CriterionRow(text="First reply within 4 business hours"), CriterionRow(text="Friendly tone")],
    )
    definitions.publish(definition=definition, major=major, change_summary="Faster", by=org.alice)


@pytest.fixture
def tickets(org):
    return published(org)


def url(name, definition=None):
    return reverse(f"goals:{name}", args=[definition.pk] if definition else [])


def form_data(**overrides):
    data = {
        "department": "",
        "title": "Support tickets",
        "external_customers": "People who e-mail us",
        "promise": PROMISE,
        "criteria-TOTAL_FORMS": "2",
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "30",
        "criteria-0-text": "First reply within 4 business hours",
        "criteria-0-metric": "",
        "criteria-0-threshold": "",
        "criteria-1-text": "",
        "criteria-1-metric": "",
        "criteria-1-threshold": "",
    }
    return data | {k: str(v) for k, v in overrides.items()}


# --- access ------------------------------------------------------------------------------------------------------

DEFINITION_PAGES = [
    "definition",
    "definition_edit",
    "definition_publish",
    "definition_retire",
    "definition_acknowledge",
    "definition_coverage",
]


@pytest.mark.parametrize("name", ["definitions", "definition_create", *DEFINITION_PAGES])
def test_anonymous_people_are_sent_to_sign_in(client, tickets, name):
    response = client.get(url(name, tickets if name in DEFINITION_PAGES else None))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", DEFINITION_PAGES)
def test_another_departments_definition_is_not_found(client, org, tickets, name):
    client.force_login(org.charlie)
    method = client.post if name == "definition_acknowledge" else client.get
    assert method(url(name, tickets)).status_code == 404


@pytest.mark.parametrize("name", ["definition_edit", "definition_publish", "definition_retire", "definition_coverage"])
def test_an_employee_cannot_change_a_definition(client, org, tickets, name):
    client.force_login(org.bob)
    assert client.get(url(name, tickets)).status_code == 404
    assert client.post(url(name, tickets), {"change_summary": "x", "kind": "major"}).status_code == 404
    tickets.refresh_from_db()
    assert not tickets.is_retired and definitions.current_version(tickets).label == "v1.0"


def test_an_employee_cannot_create_a_definition(client, org):
    client.force_login(org.bob)
    assert client.get(url("definition_create")).status_code == 404
    assert client.post(url("definition_create"), form_data(department=org.front_line.pk)).status_code == 404
    assert not QualityDefinition.objects.exists()


def test_acknowledging_needs_a_post(client, org, tickets):
    client.force_login(org.bob)
    assert client.get(url("definition_acknowledge", tickets)).status_code == 405


def test_employees_see_their_departments_and_the_organizations_definitions(client, org, tickets):
    organization_wide = published(org, "Answering the phone", by=org.admin, department=org.acme)
    sales = published(org, "Quotes", by=org.charlie, department=org.sales)
    client.force_login(org.bob)
    listed = {d.title for d in client.get(url("definitions")).context["page"]}
    assert listed == {"Support tickets", "Answering the phone"}
    assert client.get(url("definition", organization_wide)).status_code == 200
    assert client.get(url("definition", sales)).status_code == 404


def test_a_served_department_sees_the_definition_that_serves_it(client, org):
    served = published(org, "Lead handover", served_departments=[org.sales])
    client.force_login(org.charlie)
    assert client.get(url("definition", served)).status_code == 200
    assert client.get(url("definition_edit", served)).status_code == 404


def test_a_draft_never_published_is_only_for_its_managers(client, org):
    draft = definitions.create_definition(by=org.alice, department=org.support, title="Callbacks", promise="")
    client.force_login(org.bob)
    assert client.get(url("definition", draft)).status_code == 404
    assert "Callbacks" not in client.get(url("definitions")).content.decode()
    client.force_login(org.alice)
    assert client.get(url("definition", draft)).status_code == 200
    assert "Callbacks" in client.get(url("definitions")).content.decode()


# --- the list ----------------------------------------------------------------------------------------------------


def test_the_list_shows_status_version_and_my_acknowledgement(client, org, tickets):
    client.force_login(org.bob)
    html = client.get(url("definitions")).content.decode()
    assert "v1.0" in html and "To acknowledge" in html
    definitions.acknowledge(definition=tickets, person=org.bob)
    assert "Acknowledged" in client.get(url("definitions")).content.decode()


def test_the_list_filters_mine_my_department_and_retired(client, org, tickets):
    published(org, "Answering the phone", by=org.admin, department=org.acme)
    front_line = published(org, "Callbacks", department=org.front_line)
    old = published(org, "Fax requests")
    definitions.retire(definition=old, by=org.alice)
    client.force_login(org.bob)

    def titles(query):
        return {d.title for d in client.get(url("definitions") + query).context["page"]}

    assert titles("") == {"Support tickets", "Answering the phone", "Callbacks"}
    assert titles("?scope=department") == {"Callbacks"}
    assert titles("?scope=mine") == {"Support tickets", "Answering the phone", "Callbacks"}
    assert titles("?retired=on") == {"Support tickets", "Answering the phone", "Callbacks", "Fax requests"}
    client.force_login(org.charlie)
    assert titles("?scope=mine") == {"Answering the phone"}  # the organization's: everyone is asked
    assert front_line.pk


# --- writing -----------------------------------------------------------------------------------------------------


def test_a_manager_creates_a_definition_with_a_form(client, org):
    metric = MetricFactory(department=org.support, name="First reply time", unit="h", direction="lower")
    client.force_login(org.alice)
    response = client.post(
        url("definition_create"),
        form_data(department=org.support.pk, **{"criteria-0-metric": metric.pk, "criteria-0-threshold": "4"}),
    )
    definition = QualityDefinition.objects.get()
    assert response.status_code == 302 and response.url == definition.get_absolute_url()
    draft = definitions.draft_of(definition)
    assert draft.promise == PROMISE
    assert [(c.text, c.metric, c.threshold) for c in draft.criteria.all()] == [
        ("First reply within 4 business hours", metric, 4)
    ]


def test_a_threshold_without_a_metric_is_a_field_error_and_keeps_what_was_typed(client, org):
    client.force_login(org.alice)
    response = client.post(
        url("definition_create"),
        form_data(department=org.support.pk, promise="My carefully written promise", **{"criteria-0-threshold": "95"}),
    )
    assert response.status_code == 200
    assert response.context["criteria"].forms[0].errors["threshold"] == [
        "A threshold needs a metric: choose the metric it applies to, or leave the threshold empty."
    ]
    html = response.content.decode()
    assert "My carefully written promise" in html and 'value="95"' in html
    assert not QualityDefinition.objects.exists() and not DefinitionVersion.objects.exists()


def test_a_taken_title_is_a_field_error(client, org, tickets):
    client.force_login(org.alice)
    response = client.post(url("definition_create"), form_data(department=org.support.pk, title="support TICKETS"))
    assert response.status_code == 200
    assert "already has a definition called" in response.context["form"].errors["title"][0]
    assert QualityDefinition.objects.count() == 1


def test_only_metrics_the_manager_may_see_are_offered(client, org):
    mine = MetricFactory(department=org.support, name="First reply time")
    theirs = MetricFactory(department=org.sales, name="Deals closed")
    client.force_login(org.alice)
    response = client.get(url("definition_create"))
    offered = set(response.context["criteria"].forms[0].fields["metric"].queryset)
    assert mine in offered and theirs not in offered
    response = client.post(
        url("definition_create"), form_data(department=org.support.pk, **{"criteria-0-metric": theirs.pk})
    )
    assert "Select a valid choice" in response.context["criteria"].forms[0].errors["metric"][0]
    assert not QualityDefinition.objects.exists()


def test_a_manager_can_only_choose_departments_they_manage(client, org):
    client.force_login(org.alice)
    response = client.post(url("definition_create"), form_data(department=org.sales.pk))
    assert "department" in response.context["form"].errors
    assert not QualityDefinition.objects.exists()


def test_editing_starts_a_draft_from_the_current_version(client, org, tickets):
    client.force_login(org.alice)
    response = client.get(url("definition_edit", tickets))
    assert response.context["form"].initial["promise"] == PROMISE
    assert response.context["criteria"].initial == [
        {"text": "First reply within 4 business hours", "metric": None, "threshold": None}
    ]
    data = form_data(promise="A better promise", **{"criteria-INITIAL_FORMS": "1"})
    del data["department"]
    response = client.post(url("definition_edit", tickets), data)
    assert response.status_code == 302
    assert definitions.draft_of(tickets).promise == "A better promise"
    assert definitions.current_version(tickets).promise == PROMISE


def test_removing_a_criterion_with_its_checkbox(client, org, tickets):
    client.force_login(org.alice)
    data = form_data(**{"criteria-INITIAL_FORMS": "1", "criteria-0-DELETE": "on", "criteria-1-text": "Friendly tone"})
    del data["department"]
    client.post(url("definition_edit", tickets), data)
    assert list(definitions.draft_of(tickets).criteria.values_list("text", flat=True)) == ["Friendly tone"]


# --- publishing and retiring ---------------------------------------------------------------------------------------


def test_publishing_a_major_version_asks_again(client, org, tickets):
    definitions.save_draft(
        definition=tickets,
        by=org.alice,
        promise="Faster replies",
        criteria=[CriterionRow(text="First reply within 2 business hours")],
    )
    client.force_login(org.alice)
    page = client.get(url("definition_publish", tickets))
    assert "<del>" in page.content.decode() and "<ins>" in page.content.decode()
    assert "A major version asks the 2 people it concerns to acknowledge it again" in page.content.decode()
    response = client.post(
        url("definition_publish", tickets), {"kind": "major", "change_summary": "Faster"}, follow=True
    )
    assert definitions.current_version(tickets).label == "v2.0"
    assert "Published v2.0. 2 people are asked to acknowledge it." in response.content.decode()


def test_publishing_without_a_summary_is_a_field_error(client, org, tickets):
    definitions.save_draft(
        definition=tickets,
        by=org.alice,
        promise="Faster replies",
        criteria=[CriterionRow(text="First reply within 2 business hours")],
    )
    client.force_login(org.alice)
    response = client.post(url("definition_publish", tickets), {"kind": "minor", "change_summary": ""})
    assert response.status_code == 200 and "change_summary" in response.context["form"].errors
    assert definitions.current_version(tickets).label == "v1.0"


def test_publishing_a_draft_without_criteria_says_what_is_missing(client, org):
    draft = definitions.create_definition(by=org.alice, department=org.support, title="Callbacks", promise="Yes")
    client.force_login(org.alice)
    response = client.post(url("definition_publish", draft), {"change_summary": ""})
    assert response.status_code == 200
    assert "no acceptance criteria yet" in response.context["form"].non_field_errors()[0]
    assert definitions.current_version(draft) is None


def test_there_is_nothing_to_publish_without_a_draft(client, org, tickets):
    client.force_login(org.alice)
    response = client.get(url("definition_publish", tickets))
    assert response.status_code == 302 and response.url == url("definition_edit", tickets)


def test_retiring_asks_for_confirmation_and_keeps_the_history(client, org, tickets):
    second_version(org, tickets)
    client.force_login(org.alice)
    page = client.get(url("definition_retire", tickets)).content.decode()
    assert "Retire “Support tickets”?" in page and "not acknowledged it yet" in page and "no longer asked" in page
    client.post(url("definition_retire", tickets))
    tickets.refresh_from_db()
    assert tickets.is_retired
    client.force_login(org.bob)
    response = client.get(url("definition", tickets))
    assert response.status_code == 200 and len(response.context["history"]) == 2
    html = response.content.decode()
    assert "Retired on" in html and "Please read and acknowledge" not in html


def test_a_retired_definition_cannot_be_edited(client, org, tickets):
    definitions.retire(definition=tickets, by=org.alice)
    client.force_login(org.alice)
    response = client.get(url("definition_edit", tickets))
    assert response.status_code == 302 and response.url == tickets.get_absolute_url()
    assert client.post(url("definition_publish", tickets), {"change_summary": "x"}).status_code == 302
    assert definitions.draft_of(tickets) is None


# --- the definition page -----------------------------------------------------------------------------------------


def test_the_page_shows_the_current_version_history_and_what_changed(client, org, tickets):
    second_version(org, tickets)
    client.force_login(org.bob)
    response = client.get(url("definition", tickets))
    assert response.context["current"].label == "v2.0"
    assert [v.label for v, _previous in response.context["history"]] == ["v2.0", "v1.0"]
    diff = response.context["diff"]
    assert (diff.old.label, diff.new.label) == ("v1.0", "v2.0")
    assert "<ins>Friendly tone</ins>" in response.content.decode()


def test_any_two_versions_can_be_compared(client, org, tickets):
    second_version(org, tickets)
    second_version(org, tickets, major=False, promise="Every customer gets a reply within 4 working hours.")
    v1, v2, v21 = DefinitionVersion.objects.filter(definition=tickets).order_by("major", "minor")
    client.force_login(org.bob)
    diff = client.get(url("definition", tickets) + f"?from={v1.pk}&to={v21.pk}").context["diff"]
    assert (diff.old, diff.new) == (v1, v21)
    assert v2.label == "v2.0"


def test_the_draft_is_shown_to_managers_only(client, org, tickets):
    definitions.save_draft(
        definition=tickets, by=org.alice, promise="Secret plans", criteria=[CriterionRow(text="Something")]
    )
    client.force_login(org.bob)
    assert "Secret plans" not in client.get(url("definition", tickets) + "?from=1&to=999999").content.decode()
    client.force_login(org.alice)
    draft = definitions.draft_of(tickets)
    current = definitions.current_version(tickets)
    html = client.get(url("definition", tickets) + f"?from={current.pk}&to={draft.pk}").content.decode()
    assert "unpublished changes" in html and "<ins>Secret</ins>" in html


def test_managers_see_how_many_have_acknowledged(client, org, tickets):
    client.force_login(org.alice)
    assert client.get(url("definition", tickets)).context["totals"] == {"asked": 2, "acknowledged": 1}
    client.force_login(org.bob)
    assert client.get(url("definition", tickets)).context["totals"] is None


# --- acknowledging -----------------------------------------------------------------------------------------------


def test_acknowledging_without_javascript_goes_back_where_it_came_from(client, org, tickets):
    client.force_login(org.bob)
    response = client.post(url("definition_acknowledge", tickets), {"next": "/"})
    assert response.status_code == 302 and response.url == "/"
    assert Acknowledgement.objects.get(person=org.bob).acknowledged_at is not None
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Thank you: you acknowledged “Support tickets” version 1."]


def test_acknowledging_with_htmx_answers_with_the_fragment(client, org, tickets):
    client.force_login(org.bob)
    response = client.post(url("definition_acknowledge", tickets), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Acknowledged: Support tickets version 1" in response.content.decode()
    assert "<html" not in response.content.decode()


def test_acknowledging_never_redirects_off_site(client, org, tickets):
    client.force_login(org.bob)
    response = client.post(url("definition_acknowledge", tickets), {"next": "https://evil.example/"})
    assert response.url == tickets.get_absolute_url()


def test_someone_not_asked_is_told_so(client, org):
    sales = published(org, "Answering the phone", by=org.admin, department=org.sales)
    org.charlie.department = org.acme  # moved out of Sales (still its manager, so still sees the definition)
    org.charlie.save()
    client.force_login(org.charlie)
    response = client.post(url("definition_acknowledge", sales), follow=True)
    assert "You are not asked to acknowledge" in response.content.decode()


def test_the_page_offers_the_acknowledge_button_only_while_pending(client, org, tickets):
    client.force_login(org.bob)
    assert "Please read and acknowledge version 1" in client.get(url("definition", tickets)).content.decode()
    definitions.acknowledge(definition=tickets, person=org.bob)
    html = client.get(url("definition", tickets)).content.decode()
    assert "Please read and acknowledge" not in html and "You acknowledged version 1" in html


# --- Today ---------------------------------------------------------------------------------------------------------


def today_section(client):
    return next((s for s in client.get("/").context["sections"] if s["key"] == "definitions"), None)


def test_today_lists_what_to_acknowledge_with_a_button(client, org, tickets):
    client.force_login(org.bob)
    section = today_section(client)
    assert section["title"] == "To acknowledge" and [a.definition for a in section["data"]["rows"]] == [tickets]
    html = client.get("/").content.decode()
    assert f'hx-post="{url("definition_acknowledge", tickets)}"' in html
    definitions.acknowledge(definition=tickets, person=org.bob)
    assert today_section(client) is None


def test_today_shows_the_first_few_and_counts_the_rest(client, org):
    for n in range(10):
        published(org, f"Service {n}")
    client.force_login(org.bob)
    data = today_section(client)["data"]
    assert len(data["rows"]) == 8 and data["more"] and data["count"] == 10


# --- coverage ------------------------------------------------------------------------------------------------------


def test_coverage_shows_each_department_and_who_is_missing(client, org, tickets):
    UserFactory(username="zed", first_name="Zed", last_name="Zulu", department=org.front_line)
    second_version(org, tickets)
    definitions.acknowledge(definition=tickets, person=org.bob)
    client.force_login(org.alice)
    response = client.get(url("definition_coverage", tickets))
    assert response.context["major"] == 2
    assert sorted((r.name, r.acknowledged, r.asked) for r in response.context["rows"]) == [
        ("Front Line", 1, 2),
        ("Support", 1, 1),
    ]
    assert [a.person.username for a in response.context["missing"]] == ["zed"]
    response = client.get(url("definition_coverage", tickets) + f"?department={org.support.pk}")
    assert list(response.context["missing"]) == []


def test_an_admin_sees_any_coverage(client, org, tickets):
    client.force_login(org.admin)
    assert client.get(url("definition_coverage", tickets)).status_code == 200


# --- bounded queries -----------------------------------------------------------------------------------------------


def grow(org, definitions_count: int, people: int):
    team = DepartmentFactory(name="Night shift", parent=org.front_line)
    for n in range(people):
        UserFactory(username=f"agent{n}", department=team if n % 2 else org.front_line)
    metric = MetricFactory(department=org.support, name="First reply time")
    made = []
    for n in range(definitions_count):
        definition = definitions.create_definition(
            by=org.alice,
            department=org.support,
            title=f"Service {n}",
            promise=PROMISE,
            served_departments=[org.sales],
            criteria=[CriterionRow(text=f"C{k}", metric=metric, threshold=k) for k in range(3)],
        )
        definitions.publish(
            definition=definition, major=True, change_summary="", by=org.alice, at=timezone.now() - timedelta(days=2)
        )
        second_version(org, definition)
        made.append(definition)
    return made


SIZES = [(1, 2), (30, 40)]


@pytest.mark.parametrize("size", SIZES)
def test_the_list_runs_a_bounded_number_of_queries(client, org, django_assert_max_num_queries, size):
    grow(org, *size)
    client.force_login(org.bob)
    # session, user, managed paths, the user's department (for the chain; the menu reuses it), definitions that
    # came to concern me since they were published, count, the page of definitions with their versions, my
    # acknowledgements on the page
    with django_assert_max_num_queries(8):
        assert client.get(url("definitions")).status_code == 200


@pytest.mark.parametrize("size", SIZES)
def test_the_definition_page_runs_a_bounded_number_of_queries(client, org, django_assert_max_num_queries, size):
    definition = grow(org, *size)[-1]
    client.force_login(org.alice)
    # session, user, managed paths, the user's department, the definition, versions with publishers, criteria,
    # their metrics, my acknowledgement, newcomers to the audience, the coverage totals, served departments
    with django_assert_max_num_queries(12):
        assert client.get(url("definition", definition)).status_code == 200


@pytest.mark.parametrize("size", SIZES)
def test_the_coverage_page_runs_a_bounded_number_of_queries(client, org, django_assert_max_num_queries, size):
    definition = grow(org, *size)[-1]
    client.force_login(org.alice)
    # session, user, managed paths, the definition, newcomers to the audience, coverage per department, missing
    # count, missing page, the menu's department
    with django_assert_max_num_queries(9):
        assert client.get(url("definition_coverage", definition)).status_code == 200


@pytest.mark.parametrize("size", SIZES)
def test_todays_section_runs_a_bounded_number_of_queries(rf, org, size, django_assert_max_num_queries):
    grow(org, *size)
    request = rf.get("/")
    request.user = org.bob
    # definitions that came to concern the person since they were published (asked now), the pending
    # acknowledgements with their definitions and departments; their count only when more than fit (and newcomers
    # again)
    with django_assert_max_num_queries(4):
        data = goals_today.to_acknowledge(request)
    assert len(data["rows"]) == min(size[0], goals_today.TODAY_LIMIT)
