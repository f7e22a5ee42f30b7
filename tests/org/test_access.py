"""Who sees and manages what: one module answers, for every role."""

import pytest
from django.http import Http404

from org import access


def test_admin_manages_everything(org):
    assert access.role(org.admin) == access.ADMIN
    assert set(access.managed_departments(org.admin)) == {org.acme, org.support, org.front_line, org.sales}


def test_manager_manages_their_department_and_everything_below(org):
    assert access.role(org.alice) == access.MANAGER
    assert set(access.managed_departments(org.alice)) == {org.support, org.front_line}
    assert access.can_manage(org.alice, org.front_line)


def test_manager_cannot_manage_another_branch_or_the_parent(org):
    assert not access.can_manage(org.alice, org.sales)
    assert not access.can_manage(org.alice, org.acme)
    with pytest.raises(Http404):
        access.department_for(org.alice, org.sales.pk)


def test_employee_manages_nothing_and_sees_their_own_department(org):
    assert access.role(org.bob) == access.EMPLOYEE
    assert list(access.managed_departments(org.bob)) == []
    assert list(access.visible_departments(org.bob)) == [org.front_line]
    with pytest.raises(Http404):
        access.department_for(org.bob, org.support.pk)


def test_people_visible_to_a_manager_are_their_subtree_and_themselves(org):
    assert set(access.visible_people(org.alice)) == {org.alice, org.bob}
    assert set(access.visible_people(org.bob)) == {org.bob}
    assert org.charlie not in access.visible_people(org.alice)
    with pytest.raises(Http404):
        access.person_for(org.alice, org.charlie.pk)


def test_an_inactive_admin_is_not_an_admin(org):
    org.admin.is_active = False
    assert not access.is_admin(org.admin)


@pytest.mark.parametrize("pk", ["own-branch", "missing", "not-a-number"])
def test_it_answers_an_object_of_another_department_like_a_missing_one(org, pk):
    from org.models import Department

    wanted = {"own-branch": org.sales.pk, "missing": 10**9, "not-a-number": "sales"}[pk]
    with pytest.raises(Http404) as refused:
        access.get_visible_or_404(access.visible_departments(org.alice), "No such department.", pk=wanted)
    assert str(refused.value) == "No such department."
    assert access.get_visible_or_404(Department.objects.all(), pk=org.sales.pk) == org.sales


def test_it_refuses_a_whole_page_with_a_404_too(org):
    access.require(access.manages_any(org.alice), "Managers only.")
    with pytest.raises(Http404, match="Managers only"):
        access.require(access.manages_any(org.bob), "Managers only.")


def test_a_dashboard_link_opens_a_department_the_person_may_see_or_their_own_team_below_it(org):
    assert access.dashboard_department(org.alice, org.support) == org.support
    assert access.dashboard_department(org.bob, org.front_line) == org.front_line
    assert access.dashboard_department(org.bob, org.support) == org.front_line  # a metric set above his team
    assert access.dashboard_department(org.bob, org.acme) == org.front_line
    assert access.dashboard_department(org.bob, org.sales) is None  # another branch: no link at all
    assert access.dashboard_department(org.charlie, org.support) is None
    assert access.dashboard_department(org.admin, org.front_line) == org.front_line


def test_only_managers_and_admins_keep_customers(org):
    assert access.keeps_customers(org.admin) and access.keeps_customers(org.alice)
    assert not access.keeps_customers(org.bob)
