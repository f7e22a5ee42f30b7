"""seed_demo: a believable organization, the same for the same seed, and harmless to run again."""

import random

import pytest
from django.core.management import CommandError, call_command

from org import access, demo
from org.models import Department, User


@pytest.fixture(autouse=True)
def _debug_on(settings):
    settings.DEBUG = True  # the test runner turns it off; seed_demo is for DEBUG installations


def snapshot():
    people = list(
        User.objects.order_by("username").values_list(
            "username", "email", "first_name", "last_name", "department__code", "job_title", "is_staff", "password"
        )
    )
    departments = list(Department.objects.order_by("code").values_list("code", "name", "parent__code", "depth"))
    managers = sorted(Department.managers.through.objects.values_list("department__code", "user__username"))
    return people, departments, managers


def test_it_builds_three_levels_with_support_departments_and_the_demo_logins(db):
    call_command("seed_demo", "--seed", "7")
    assert set(Department.objects.values_list("depth", flat=True)) == {0, 1, 2}
    assert {"IT", "HR", "Facilities"} <= set(Department.objects.filter(depth=1).values_list("name", flat=True))
    admin, manager, employee = (User.objects.get(username=u) for u in ("admin", "manager", "employee"))
    for person in (admin, manager, employee):
        assert person.check_password("keel-demo")
    assert access.role(admin) == access.ADMIN
    assert access.role(manager) == access.MANAGER
    assert access.role(employee) == access.EMPLOYEE
    assert access.can_manage(manager, employee.department)
    assert Department.objects.filter(managers__isnull=True).count() == 1  # only the organization root


def test_a_second_run_changes_nothing(db):
    call_command("seed_demo", "--seed", "7")
    first = snapshot()
    call_command("seed_demo", "--seed", "7")
    assert snapshot() == first


def test_the_same_seed_gives_the_same_organization(db):
    demo.seed_organization(rng=random.Random("11:organization"), size="small")
    first = snapshot()
    User.objects.all().delete()
    Department.objects.update(parent=None)
    Department.objects.all().delete()
    demo.seed_organization(rng=random.Random("11:organization"), size="small")
    again = snapshot()
    strip = lambda s: ([p[:-1] for p in s[0]], s[1], s[2])  # noqa: E731  (password hashes are salted afresh)
    assert strip(again) == strip(first)


def test_it_refuses_with_debug_off_unless_forced(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refuses to run with DJANGO_DEBUG=false"):
        call_command("seed_demo")
    assert User.objects.count() == 0
    call_command("seed_demo", "--force")
    assert User.objects.filter(username="admin").exists()


@pytest.mark.slow
def test_the_large_size_has_100_departments_and_5000_people(db):
    call_command("seed_demo", "--size", "large")
    assert Department.objects.count() >= 100
    assert User.objects.count() >= 5000
