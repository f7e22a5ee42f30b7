"""The department tree: materialized paths, moves, cycles, and subtree queries bounded in SQL."""

import pytest
from django.core.exceptions import ValidationError

from org import access
from org.models import Department
from tests.org.factories import DepartmentFactory, UserFactory


def chain(depth: int) -> list[Department]:
    departments, parent = [], None
    for level in range(depth):
        parent = DepartmentFactory(name=f"Level {level}", parent=parent)
        departments.append(parent)
    return departments


def test_it_stores_the_path_of_ancestors(org):
    org.front_line.refresh_from_db()
    assert org.front_line.path == f"/{org.acme.pk}/{org.support.pk}/{org.front_line.pk}/"
    assert org.front_line.depth == 2
    assert list(Department.objects.ancestors_of(org.front_line)) == [org.acme, org.support]


def test_it_moves_a_whole_subtree(org):
    org.support.parent = org.sales
    org.support.save()
    org.front_line.refresh_from_db()
    assert org.front_line.path == f"/{org.acme.pk}/{org.sales.pk}/{org.support.pk}/{org.front_line.pk}/"
    assert org.front_line.depth == 3
    assert set(Department.objects.subtrees([org.sales.path])) == {org.sales, org.support, org.front_line}


def test_it_refuses_a_parent_below_itself(org):
    org.support.parent = org.front_line
    with pytest.raises(ValidationError) as error:
        org.support.full_clean()
    assert "outside its own branch" in str(error.value)


def test_it_refuses_to_save_a_cycle_even_without_validation(org):
    org.support.parent = org.front_line
    with pytest.raises(ValidationError):
        org.support.save()
    org.support.refresh_from_db()
    assert org.support.parent == org.acme


def test_it_refuses_two_siblings_with_the_same_name(org):
    duplicate = Department(name="support", code="support-2", parent=org.acme)
    with pytest.raises(ValidationError):
        duplicate.full_clean()


@pytest.mark.parametrize("depth", [3, 12])
def test_subtree_queries_are_bounded_whatever_the_depth(db, django_assert_max_num_queries, depth):
    departments = chain(depth)
    manager = UserFactory()
    departments[0].managers.add(manager)
    manager = type(manager).objects.get(pk=manager.pk)
    # 1: the manager's own department paths; 2: every department below them
    with django_assert_max_num_queries(2):
        below = list(access.managed_departments(manager))
    assert len(below) == depth


def test_it_answers_the_subtree_rule_alike_in_the_orm_python_and_sql(org):
    from django.db import connection

    from org.paths import path_within, paths_sql, subtree_sql

    by_orm = set(Department.objects.subtree_of(org.support))
    by_python = {d for d in Department.objects.all() if path_within(d.path, org.support.path)}
    condition, params = paths_sql("d", [org.support.path])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT d.id FROM org_department d WHERE {condition}", params)  # noqa: S608
        by_paths_sql = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            f"SELECT d.id FROM org_department d JOIN org_department a ON {subtree_sql('d', 'a')} "  # noqa: S608
            "WHERE a.id = %s",
            [org.support.pk],
        )
        by_join_sql = {row[0] for row in cursor.fetchall()}
    assert by_orm == by_python == {org.support, org.front_line}
    assert by_paths_sql == by_join_sql == {org.support.pk, org.front_line.pk}
