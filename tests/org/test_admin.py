"""The Django admin is for admins: others get 403, anonymous people are sent to sign in."""

import pytest
from django.urls import reverse

ADMIN_PAGES = [
    "admin:index",
    "admin:org_department_changelist",
    "admin:org_user_changelist",
    "admin:outbox_outgoingemail_changelist",
    "admin:django_celery_beat_periodictask_changelist",
]


@pytest.mark.parametrize("page", ADMIN_PAGES)
@pytest.mark.parametrize("who", ["alice", "bob"])
def test_people_who_are_not_staff_get_403(client, org, who, page):
    client.force_login(getattr(org, who))
    response = client.get(reverse(page))
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_anonymous_people_are_sent_to_sign_in(client, db, page):
    response = client.get(reverse(page), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert response.status_code == 200


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admins_can_open_every_admin_page(client, org, page):
    client.force_login(org.admin)
    assert client.get(reverse(page)).status_code == 200


def test_the_department_admin_shows_the_tree_with_head_counts(client, org):
    client.force_login(org.admin)
    html = client.get(reverse("admin:org_department_changelist")).content.decode()
    assert "Front Line" in html and "Alice Archer" in html


def department_form(org, **changes):
    """The department change form as the admin posts it, members inline included."""
    return {
        "name": "Support",
        "code": "support",
        "parent": org.acme.pk,
        "description": "",
        "managers": [org.alice.pk],
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "1",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-id": org.alice.pk,
        "members-0-department": org.support.pk,
    } | changes


def test_an_admin_can_move_a_department_in_the_admin(client, org):
    client.force_login(org.admin)
    url = reverse("admin:org_department_change", args=[org.support.pk])
    response = client.post(url, department_form(org, parent=org.sales.pk))
    assert response.status_code == 302, response.context["adminform"].form.errors
    org.front_line.refresh_from_db()
    assert org.front_line.path.startswith(f"/{org.acme.pk}/{org.sales.pk}/{org.support.pk}/")


def test_the_admin_refuses_a_cycle_with_a_field_error(client, org):
    client.force_login(org.admin)
    url = reverse("admin:org_department_change", args=[org.support.pk])
    response = client.post(url, department_form(org, parent=org.front_line.pk))
    assert response.status_code == 200
    assert "outside its own branch" in response.content.decode()


def test_the_people_admin_filters_by_role(client, org):
    client.force_login(org.admin)
    response = client.get(reverse("admin:org_user_changelist") + "?role=manager")
    names = {u.username for u in response.context["cl"].result_list}
    assert names == {"alice", "charlie"}


def test_the_admin_login_never_redirects_to_another_site(client, org):
    client.force_login(org.admin)
    response = client.get(reverse("admin:login") + "?next=https://evil.example/phish")
    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert client.get(reverse("admin:login") + "?next=/admin/org/").url == "/admin/org/"
