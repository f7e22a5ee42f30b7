"""The header's search: it finds what the person may open, ranked, in a bounded number of queries, and every hit
links to a page that opens for them."""

import pytest
from django.urls import reverse

from search.selectors import MAX_WORDS, search, words_of
from tests.customers.factories import CampaignFactory, CustomerFactory, published_definition
from tests.goals.factories import GoalFactory
from tests.helpers import grow_teams, signed_in
from tests.metrics.factories import MetricFactory
from tests.org.factories import UserFactory

pytestmark = pytest.mark.django_db


def found(user, text, kind=None):
    """{kind: [titles]} of what the search finds for user."""
    return {k.key: [h.title for h in hits] for k, hits in search(user=user, text=text, kinds=(kind,) if kind else None)}


def test_it_finds_each_kind_the_person_may_open(org):
    MetricFactory(department=org.support, name="First reply time")
    GoalFactory(department=org.support, title="Reply faster to every customer")
    definition = published_definition(department=org.support)
    definition.title = "Reply service"
    definition.save()
    CampaignFactory(department=org.support, definition=definition, title="Reply check autumn")
    CustomerFactory(department=org.support, name="Replyco Ltd")
    hits = found(org.alice, "reply")
    assert hits["metrics"] == ["First reply time"]
    assert hits["goals"] == ["Reply faster to every customer"]
    assert hits["definitions"] == ["Reply service"]
    assert hits["campaigns"] == ["Reply check autumn"]
    assert hits["customers"] == ["Replyco Ltd"]


def test_it_finds_people_and_departments(org):
    assert found(org.alice, "bak") == {"people": ["Bob Baker"]}
    assert found(org.alice, "suppo")["departments"] == ["Support"]


def test_it_checks_ownership(org):
    """Charlie manages Sales: nothing of Support reaches him, not even its name."""
    MetricFactory(department=org.support, name="First reply time")
    CustomerFactory(department=org.support, name="Replyco Ltd")
    GoalFactory(department=org.support, title="Reply faster")
    assert found(org.charlie, "reply") == {}
    assert found(org.charlie, "baker") == {}
    assert found(org.charlie, "front line") == {}


def test_an_employee_finds_no_customers_and_no_other_department(org):
    CustomerFactory(department=org.support, name="Replyco Ltd")
    MetricFactory(department=org.sales, name="Reply to leads")
    assert found(org.bob, "reply") == {}
    assert found(org.bob, "cole") == {}
    assert found(org.bob, "archer") == {}  # Alice works in Support, above Bob's team
    colleague = UserFactory(department=org.front_line, first_name="Dana", last_name="Dunn")
    assert found(org.bob, "dunn") == {"people": [colleague.display_name]}


def test_an_admin_finds_everything(org):
    MetricFactory(department=org.sales, name="Reply to leads")
    CustomerFactory(department=org.support, name="Replyco Ltd")
    hits = found(org.admin, "repl")
    assert hits["metrics"] == ["Reply to leads"] and hits["customers"] == ["Replyco Ltd"]


def test_a_name_that_starts_with_the_text_ranks_first(org):
    for name in ("Total delivery cost", "Delivery on time", "Late delivery rate"):
        MetricFactory(department=org.support, name=name)
    assert found(org.alice, "delivery", "metrics")["metrics"][0] == "Delivery on time"


def test_every_word_must_match(org):
    MetricFactory(department=org.support, name="Delivery on time")
    MetricFactory(department=org.support, name="Reply time")
    assert found(org.alice, "time deliv", "metrics") == {"metrics": ["Delivery on time"]}


@pytest.mark.parametrize(
    "text",
    ["", "   ", "&|!:*()'\\", "x" * 10_000, "a:* & !b", "'; DROP TABLE org_user; --", "日本語 テスト", "%_%", "\u202e"],
)
def test_odd_text_gives_an_answer_not_an_error(client, org, text):
    signed_in(client, org.alice)
    for name in ("search:results", "search:suggestions"):
        response = client.get(reverse(name), {"q": text})
        assert response.status_code == 200


def test_a_nul_in_the_text_is_harmless(client, org):
    signed_in(client, org.alice)
    assert client.get(reverse("search:results") + "?q=b%00ak").status_code == 200


def test_only_the_first_words_count():
    assert len(words_of(" ".join(f"w{n}" for n in range(50)))) == MAX_WORDS
    assert words_of("&|!") == []


def test_every_hit_links_to_a_page_that_opens(client, org):
    MetricFactory(department=org.support, name="Quality reply")
    GoalFactory(department=org.support, title="Quality goal")
    definition = published_definition(department=org.support)
    CampaignFactory(department=org.support, definition=definition, title="Quality check")
    CustomerFactory(department=org.support, name="Quality Foods")
    UserFactory(department=org.support, first_name="Quincy", last_name="Quality")
    for who in (org.alice, org.bob, org.admin):
        signed_in(client, who)
        for _kind, hits in search(user=who, text="quality", per_kind=20):
            for hit in hits:
                assert client.get(hit.url).status_code == 200, (who, hit)


def test_a_person_hit_opens_the_page_of_the_members_list_they_are_on(client, org):
    people = [UserFactory(department=org.support, last_name=f"Zed{n:03d}") for n in range(60)]
    target = people[55]
    hit = search(user=org.alice, text=target.last_name)[0][1][0]
    response = signed_in(client, org.alice).get(hit.url)
    assert response.status_code == 200
    assert f'id="person-{target.pk}" class="table-active"' in response.content.decode()


def test_the_suggestions_list_links_and_a_way_to_all_results(client, org):
    response = signed_in(client, org.alice).get(reverse("search:suggestions"), {"q": "bak"})
    page = response.content.decode()
    assert "Bob Baker" in page and "All results for" in page


def test_the_results_page_can_narrow_to_one_kind(client, org):
    MetricFactory(department=org.support, name="Baker metric")
    response = signed_in(client, org.alice).get(reverse("search:results"), {"q": "baker", "kind": "metrics"})
    page = response.content.decode()
    assert "Baker metric" in page and "Bob Baker" not in page


def test_the_queries_stay_bounded_as_the_organization_grows(client, org, django_assert_max_num_queries):
    url = reverse("search:results") + "?q=a"
    signed_in(client, org.admin)

    def queries():
        # session, user, then one query per kind (seven)
        with django_assert_max_num_queries(10) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    small = queries()
    teams, _ = grow_teams(org.acme, teams=5, people=40)
    for team in teams:
        MetricFactory(department=team, name="Average handling")
        CustomerFactory(department=team, name="Anna's bakery")
    assert queries() == small


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(reverse("search:results"), {"q": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_employee_is_not_offered_kinds_they_can_never_open(client, org):
    page = signed_in(client, org.bob).get(reverse("search:results"), {"q": "a"}).content.decode()
    assert "kind=people" in page and "kind=customers" not in page and "kind=campaigns" not in page
    page = signed_in(client, org.alice).get(reverse("search:results"), {"q": "a"}).content.decode()
    assert "kind=customers" in page
