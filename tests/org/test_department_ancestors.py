"""The department tree's closure (DepartmentAncestor) stays in step with the tree: created, moved, deleted, rebuilt."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.models import Department, DepartmentAncestor, sync_department_ancestors
from tests.org.factories import DepartmentFactory


def pairs() -> set[tuple[int, int]]:
    return set(DepartmentAncestor.objects.values_list("department_id", "ancestor_id"))


def expected_pairs() -> set[tuple[int, int]]:
    """Every (department, itself or a department above it), by walking up the parents."""
    parents = dict(Department.objects.values_list("pk", "parent_id"))
    found = set()
    for pk in parents:
        above = pk
        while above is not None:
            found.add((pk, above))
            above = parents[above]
    return found


def test_it_pairs_each_department_with_itself_and_every_department_above(org):
    assert {a for d, a in pairs() if d == org.front_line.pk} == {org.front_line.pk, org.support.pk, org.acme.pk}
    assert pairs() == expected_pairs()


def test_it_follows_a_move_of_a_whole_subtree(org):
    org.support.parent = org.sales
    org.support.save()
    assert {a for d, a in pairs() if d == org.front_line.pk} == {
        org.front_line.pk,
        org.support.pk,
        org.sales.pk,
        org.acme.pk,
    }
    assert pairs() == expected_pairs()


def test_a_deleted_department_takes_its_pairs_with_it(org):
    closed = DepartmentFactory(name="Closed", parent=org.sales).pk
    Department.objects.get(pk=closed).delete()
    assert all(closed not in pair for pair in pairs())
    assert pairs() == expected_pairs()


def test_it_is_rebuilt_from_the_paths(org):
    DepartmentAncestor.objects.all().delete()
    assert sync_department_ancestors() == len(expected_pairs())
    assert pairs() == expected_pairs()
    DepartmentAncestor.objects.filter(department=org.front_line).delete()
    sync_department_ancestors(within=org.support.path)  # only Support's branch
    assert pairs() == expected_pairs()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    parents=st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=12),
    moves=st.lists(st.tuples(st.integers(min_value=0, max_value=100), st.integers(min_value=-1, max_value=100))),
)
@pytest.mark.django_db
def test_it_stays_right_through_any_creations_and_moves(parents, moves):
    """A random tree (each department below one made before it), then random moves (to the top, or below any
    department outside the moved one's own branch): after each, the closure is the one the parents give."""
    made = [DepartmentFactory(parent=None)]
    for choice in parents:
        made.append(DepartmentFactory(parent=made[choice % len(made)]))
    assert pairs() == expected_pairs()
    for which, where in moves:
        department = Department.objects.get(pk=made[which % len(made)].pk)
        parent = None if where < 0 else Department.objects.get(pk=made[where % len(made)].pk)
        if parent is not None and parent.is_below(department):
            continue  # a cycle: refused by the tree, not the closure's business
        department.parent = parent
        department.save()
        assert pairs() == expected_pairs()
    Department.objects.filter(pk__in=[d.pk for d in made]).update(parent=None)  # for the next example
    Department.objects.filter(pk__in=[d.pk for d in made]).delete()
