"""Every page: anonymous people are sent to sign in, each role gets the pages it may see, with bounded queries."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.helpers import count_queries
from tests.org.factories import DepartmentFactory, UserFactory

# r/: customers answer without an account; favicon.ico and the web manifest: browsers ask before signing in;
# api/v1/: programs sign in with a token on every request (401 without one, tests/api)
PUBLIC_PREFIXES = ("accounts/", "healthz", "admin/", "static/", "r/", "favicon.ico", "manifest.webmanifest", "api/v1/")


def page_urls(resolver=None, prefix=""):
    """Every URL without parameters (the admin has its own test), as the resolver knows them."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from page_urls(entry, route)
        elif isinstance(entry, URLPattern) and "<" not in route and not route.startswith(PUBLIC_PREFIXES):
            yield "/" + route


PAGES = sorted(set(page_urls()))


# The pages in the navigation, which every signed-in person may open.
NAVIGATION = ["/", "/definitions/", "/goals/", "/metrics/", "/reviews/", "/customers/", "/org/"]


def test_the_page_list_covers_the_navigation():
    assert set(NAVIGATION) <= set(PAGES)


@pytest.mark.parametrize("url", [*PAGES, "/org/departments/1/"])
def test_anonymous_people_are_sent_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# The areas each role's navigation shows: an employee keeps no customers (they belong to managed departments).
AREAS_OF = {
    "admin": ("Definitions", "Goals", "Metrics", "Reviews", "Customers"),
    "alice": ("Definitions", "Goals", "Metrics", "Reviews", "Customers"),
    "bob": ("Definitions", "Goals", "Metrics", "Reviews"),
}


@pytest.mark.parametrize("who", ["admin", "alice", "bob"])
@pytest.mark.parametrize("url", NAVIGATION)
def test_every_role_can_open_every_area_it_is_shown(client, org, who, url):
    client.force_login(getattr(org, who))
    if url == "/customers/" and who == "bob":
        assert client.get(url).status_code == 404  # not shown to him, and nothing there for him
        return
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    for area in AREAS_OF[who]:
        assert f">{area}</a>" in html
    assert ('data-area="customers"' in html) == ("Customers" in AREAS_OF[who])


def test_the_admins_metrics_area_opens_the_organization_dashboard(client, org):
    client.force_login(org.admin)
    html = client.get("/").content.decode()
    assert f'href="{reverse("metrics:overview")}"' in html
    client.force_login(org.alice)
    html = client.get("/").content.decode()
    assert f'href="{reverse("metrics:index")}"' in html and reverse("metrics:overview") not in html


def test_the_navigation_shows_the_role_and_administration_only_for_admins(client, org):
    client.force_login(org.bob)
    html = client.get("/").content.decode()
    assert 'data-role="employee"' in html and "Administration" not in html
    client.force_login(org.alice)
    assert 'data-role="manager"' in client.get("/").content.decode()
    client.force_login(org.admin)
    html = client.get("/").content.decode()
    assert 'data-role="admin"' in html and "Administration" in html


def test_today_shows_the_team_section(client, org):
    client.force_login(org.bob)
    html = client.get("/").content.decode()
    assert "Your team" in html and "Front Line" in html and "Alice Archer" not in html


def test_today_tells_a_manager_what_they_look_after(client, org):
    client.force_login(org.alice)
    response = client.get("/")
    section = next(s for s in response.context["sections"] if s["key"] == "org")
    assert section["data"]["managed_departments"] == 2
    assert section["data"]["managed_people"] == 1  # bob


def test_the_organization_page_shows_the_tree_managers_and_head_counts(client, org):
    client.force_login(org.bob)
    response = client.get(reverse("org:organization"))
    rows = response.context["rows"]
    assert [d.name for d in rows] == ["Acme", "Sales", "Support", "Front Line"]
    support = next(d for d in rows if d.name == "Support")
    assert support.head_count == 1 and support.subtree_head_count == 2
    assert "Alice Archer" in response.content.decode()
    # bob may open only his own department's page
    assert response.context["linkable"] == {org.front_line.pk}


def grow(org, departments: int, people_each: int):
    parent = org.front_line
    for n in range(departments):
        parent = DepartmentFactory(parent=parent if n % 2 else org.support)
        parent.managers.add(UserFactory(department=parent))
        for _ in range(people_each):
            UserFactory(department=parent)


@pytest.mark.parametrize("size", [(2, 2), (25, 6)])
def test_the_organization_page_runs_a_bounded_number_of_queries(client, org, django_assert_max_num_queries, size):
    grow(org, *size)
    client.force_login(org.alice)
    # session + user, managed paths, departments with counts, managers prefetch, totals (people, departments)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("org:organization")).status_code == 200


def test_today_runs_a_bounded_number_of_queries(client, org, django_assert_max_num_queries):
    small = count_queries(client, "/", user=org.alice)
    grow(org, 25, 6)
    # The same count whatever the size of the organization...
    assert count_queries(client, "/", user=org.alice) == small
    # ...and a fixed few per section. Org's: own department + managers, ancestors, managed departments count,
    # managed people count, directly managed departments; with session, user, managed paths and the menu's
    # department. Every other app's section adds its own fixed few.
    with django_assert_max_num_queries(25):
        client.get("/")


def test_a_department_page_lists_members_for_its_manager(client, org):
    client.force_login(org.alice)
    response = client.get(reverse("org:department", args=[org.front_line.pk]))
    assert response.status_code == 200
    assert "Bob Baker" in response.content.decode()


@pytest.mark.parametrize(("who", "department"), [("alice", "sales"), ("bob", "support"), ("charlie", "front_line")])
def test_another_departments_page_is_not_found(client, org, who, department):
    client.force_login(getattr(org, who))
    response = client.get(reverse("org:department", args=[getattr(org, department).pk]))
    assert response.status_code == 404
    assert "Members" not in response.content.decode()


def test_a_department_page_runs_a_bounded_number_of_queries(client, org, django_assert_max_num_queries):
    grow(org, 10, 10)
    client.force_login(org.admin)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("org:department", args=[org.support.pk])).status_code == 200
