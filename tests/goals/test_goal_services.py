"""Goal services: setting and editing goals with an audit trail, check-ins, closing cycles, carrying over."""

from datetime import date

import pytest

from core.exceptions import RuleViolation
from goals.models import Alignment, CheckIn, Goal, GoalChange, GoalCycle, KeyResult
from goals.services import goals as goal_services
from goals.services.goals import KeyResultData
from tests.goals.factories import GoalCycleFactory, GoalFactory, goal_data, this_year


def parents_of(goal) -> list[Goal]:
    return list(Goal.objects.filter(child_alignments__child=goal))


@pytest.fixture
def cycle(db):
    return GoalCycleFactory()


@pytest.fixture
def top(org, cycle):
    return GoalFactory(cycle=cycle, title="Delight customers", owner=org.admin)


def test_a_manager_sets_a_goal_aligned_to_an_organization_goal(org, cycle, top):
    goal = goal_services.create_goal(
        by=org.alice, cycle=cycle, department=org.support, data=goal_data(owner=org.bob, parents=[(top, 2.0)])
    )
    assert list(goal.parent_alignments.values_list("parent__title", "weight")) == [("Delight customers", 2.0)]
    assert list(goal.key_results.values_list("title", flat=True)) == ["Publish reply templates", "Staff the evenings"]
    [entry] = goal.changes.all()
    assert entry.changed_by == org.alice
    assert entry.changes["title"] == [None, "Answer faster"]
    assert entry.changes["owner"] == [None, "Bob Baker"]
    assert entry.changes["parents"] == [None, ["Delight customers (weight 2)"]]


@pytest.mark.parametrize(
    ("who", "department", "message"),
    [
        ("bob", "front_line", "You may set goals only for departments you manage, and not for Front Line."),
        ("charlie", "support", "You may set goals only for departments you manage, and not for Support."),
        ("alice", None, "Only admins set organization goals."),
    ],
)
def test_only_managers_set_their_departments_goals_and_admins_the_organizations(
    org, cycle, top, who, department, message
):
    with pytest.raises(RuleViolation, match=message):
        goal_services.create_goal(
            by=getattr(org, who),
            cycle=cycle,
            department=getattr(org, department) if department else None,
            data=goal_data(owner=org.bob, parents=[(top, 1.0)]),
        )
    assert Goal.objects.count() == 1


def test_a_failing_letter_saves_nothing(org, cycle, top):
    with pytest.raises(RuleViolation) as raised:
        goal_services.create_goal(
            by=org.alice,
            cycle=cycle,
            department=org.support,
            data=goal_data(owner=org.bob, parents=[(top, 1.0)], due_date=date(this_year() + 1, 1, 31)),
        )
    assert raised.value.field == "due_date"
    assert raised.value.message.startswith("Time-bound: The due date must fall within")
    assert (Goal.objects.count(), Alignment.objects.count(), KeyResult.objects.count(), GoalChange.objects.count()) == (
        1,
        0,
        0,
        0,
    )


def test_a_closed_cycle_takes_no_new_goals(org, cycle, top):
    GoalCycle.objects.filter(pk=cycle.pk).update(closed_at="2026-01-01T00:00Z")
    cycle.refresh_from_db()
    with pytest.raises(RuleViolation, match="is closed"):
        goal_services.create_goal(by=org.admin, cycle=cycle, department=None, data=goal_data(owner=org.admin))


@pytest.fixture
def goal(org, cycle, top):
    return goal_services.create_goal(
        by=org.alice, cycle=cycle, department=org.support, data=goal_data(owner=org.bob, parents=[(top, 1.0)])
    )


def test_editing_records_what_changed_by_whom_and_when(org, cycle, top, goal):
    second = GoalFactory(cycle=cycle, title="Keep promises")
    [first_kr, _] = goal.key_results.all()
    data = goal_data(
        title="Answer much faster",
        owner=org.alice,
        confidence=8,
        parents=[(top, 1.0), (second, 3.0)],
        key_results=[
            KeyResultData(title=first_kr.title, pk=first_kr.pk, done_at=date(this_year(), 2, 1)),
            KeyResultData(title="Weekend cover", weight=2),
        ],
    )
    goal_services.update_goal(goal=goal, by=org.alice, data=data)
    entry = goal.changes.first()
    assert entry.changed_by == org.alice and entry.changed_at is not None
    assert entry.changes == {
        "title": ["Answer faster", "Answer much faster"],
        "owner": ["Bob Baker", "Alice Archer"],
        "confidence": [7, 8],
        "parents": [["Delight customers (weight 1)"], ["Delight customers (weight 1)", "Keep promises (weight 3)"]],
        "key_results": [
            ["Publish reply templates (weight 1)", "Staff the evenings (weight 1)"],
            [f"Publish reply templates (weight 1, done {this_year()}-02-01)", "Weekend cover (weight 2)"],
        ],
    }
    assert KeyResult.objects.get(pk=first_kr.pk).done_at == date(this_year(), 2, 1)  # kept, not re-created


def test_an_edit_that_changes_nothing_records_nothing(org, top, goal):
    krs = [KeyResultData(title=kr.title, pk=kr.pk) for kr in goal.key_results.all()]
    goal_services.update_goal(
        goal=goal, by=org.alice, data=goal_data(owner=org.bob, parents=[(top, 1.0)], key_results=krs)
    )
    assert goal.changes.count() == 1  # only the first entry, when it was set


def test_a_weight_change_is_audited(org, top, goal):
    krs = [KeyResultData(title=kr.title, pk=kr.pk) for kr in goal.key_results.all()]
    goal_services.update_goal(
        goal=goal, by=org.alice, data=goal_data(owner=org.bob, parents=[(top, 4.0)], key_results=krs)
    )
    assert Alignment.objects.get(child=goal).weight == 4
    assert goal.changes.first().changes == {
        "parents": [["Delight customers (weight 1)"], ["Delight customers (weight 4)"]]
    }


def test_a_goal_cannot_be_aligned_to_its_own_supporter(org, cycle, top, goal):
    below = goal_services.create_goal(
        by=org.alice,
        cycle=cycle,
        department=org.front_line,
        data=goal_data(title="Team goal", owner=org.bob, parents=[(goal, 1.0)]),
    )
    with pytest.raises(RuleViolation, match="already supports this goal") as raised:
        goal_services.update_goal(
            goal=goal, by=org.alice, data=goal_data(owner=org.bob, parents=[(top, 1.0), (below, 1.0)])
        )
    assert raised.value.field == "parents"
    assert list(Alignment.objects.filter(child=goal).values_list("parent_id", flat=True)) == [top.pk]


def test_another_departments_manager_cannot_edit(org, top, goal):
    with pytest.raises(RuleViolation, match="Only the managers of this goal's department may change it"):
        goal_services.update_goal(goal=goal, by=org.charlie, data=goal_data(owner=org.bob, parents=[(top, 1.0)]))


def test_after_closing_only_an_admin_with_a_reason_may_edit(org, cycle, top, goal):
    goal_services.close_cycle(cycle=cycle, by=org.admin)
    data = goal_data(title="Answer faster, revised", owner=org.bob, parents=[(top, 1.0)])
    with pytest.raises(RuleViolation, match="is closed; only an admin may change its goals"):
        goal_services.update_goal(goal=goal, by=org.alice, data=data)
    with pytest.raises(RuleViolation, match="say why") as raised:
        goal_services.update_goal(goal=goal, by=org.admin, data=data)
    assert raised.value.field == "reason"
    goal_services.update_goal(goal=goal, by=org.admin, data=data, reason="Typo found by the auditor")
    entry = goal.changes.first()
    assert (entry.reason, entry.changed_by, entry.changes["title"]) == (
        "Typo found by the auditor",
        org.admin,
        ["Answer faster", "Answer faster, revised"],
    )


def test_the_owner_checks_in_and_progress_is_snapshotted(org, goal):
    [first, _] = goal.key_results.all()
    KeyResult.objects.filter(pk=first.pk).update(done_at=date(this_year(), 1, 15))
    check_in = goal_services.post_check_in(
        goal=goal, by=org.bob, note="Templates are live.", confidence=8, blockers="Evening staff not hired yet"
    )
    assert (check_in.author, check_in.confidence, check_in.progress) == (org.bob, 8, 50)
    assert check_in.blockers == "Evening staff not hired yet"


def test_a_manager_of_the_department_may_check_in_for_the_owner(org, goal):
    goal_services.post_check_in(goal=goal, by=org.alice, note="Covering for Bob.", confidence=6)
    assert goal.check_ins.count() == 1


@pytest.mark.parametrize(
    ("who", "note", "confidence", "message"),
    [
        ("charlie", "Hello", 5, "Only the goal's owner or a manager of its department may check in."),
        ("bob", "  ", 5, "Say what moved since the last check-in."),
        ("bob", "Fine", 11, "Confidence runs from 1"),
    ],
)
def test_bad_check_ins_are_refused(org, goal, who, note, confidence, message):
    with pytest.raises(RuleViolation, match=message):
        goal_services.post_check_in(goal=goal, by=getattr(org, who), note=note, confidence=confidence)
    assert CheckIn.objects.count() == 0


def test_a_closed_cycle_takes_no_check_ins(org, cycle, goal):
    goal_services.close_cycle(cycle=cycle, by=org.admin)
    goal.refresh_from_db()
    with pytest.raises(RuleViolation, match="take no more check-ins"):
        goal_services.post_check_in(goal=goal, by=org.bob, note="Late", confidence=5)


def test_closing_records_every_goals_final_progress_once(org, cycle, top, goal):
    [first, _] = goal.key_results.all()
    KeyResult.objects.filter(pk=first.pk).update(done_at=date(this_year(), 1, 15))
    assert goal_services.close_cycle(cycle=cycle, by=org.admin) == 2
    assert dict(Goal.objects.values_list("title", "final_progress")) == {"Delight customers": 50, "Answer faster": 50}
    closed_at = GoalCycle.objects.get(pk=cycle.pk).closed_at
    KeyResult.objects.filter(goal=goal).update(done_at=date(this_year(), 2, 1))
    assert goal_services.close_cycle(cycle=cycle, by=org.admin) == 0  # idempotent: nothing recomputed
    assert Goal.objects.get(pk=goal.pk).final_progress == 50
    assert GoalCycle.objects.get(pk=cycle.pk).closed_at == closed_at


def test_only_admins_close_cycles(org, cycle):
    with pytest.raises(RuleViolation, match="Only admins close goal cycles"):
        goal_services.close_cycle(cycle=cycle, by=org.alice)
    assert not GoalCycle.objects.get(pk=cycle.pk).is_closed


@pytest.fixture
def next_cycle(db):
    year = this_year() + 1
    return GoalCycleFactory(name=str(year), start=date(year, 1, 1), end=date(year, 12, 31))


def test_carrying_over_copies_goals_with_progress_reset_and_re_aligns_them(org, cycle, top, goal, next_cycle):
    Goal.objects.filter(pk=goal.pk).update(due_date=date(this_year(), 6, 30))
    KeyResult.objects.filter(goal=goal).update(done_at=date(this_year(), 1, 15))
    goal_services.close_cycle(cycle=cycle, by=org.admin)
    copies = goal_services.carry_over(goals=Goal.objects.filter(cycle=cycle), to_cycle=next_cycle, by=org.admin)
    assert len(copies) == 2
    copy = Goal.objects.get(cycle=next_cycle, carried_from=goal)
    assert (copy.title, copy.owner, copy.department, copy.final_progress) == (
        "Answer faster",
        org.bob,
        org.support,
        None,
    )
    assert copy.due_date == date(this_year() + 1, 6, 30)
    assert list(copy.key_results.values_list("done_at", flat=True)) == [None, None]
    assert parents_of(copy) == [Goal.objects.get(cycle=next_cycle, carried_from=top)]
    assert copy.changes.get().reason == f"Carried over from {cycle}"


@pytest.mark.parametrize(
    ("due", "carried"),
    [
        (date(2027, 6, 30), date(2028, 6, 30)),  # a leap year on the way must not make it 29 June
        (date(2027, 2, 28), date(2028, 2, 29)),  # the last day of February stays the last day
        (date(2027, 3, 15), date(2028, 3, 15)),
        (date(2027, 12, 31), date(2028, 12, 31)),  # the cycle's last day stays its last day
    ],
)
def test_carrying_over_keeps_the_meaning_of_the_due_date(org, due, carried):
    cycle = GoalCycleFactory(name="2027", start=date(2027, 1, 1), end=date(2027, 12, 31))
    next_cycle = GoalCycleFactory(name="2028", start=date(2028, 1, 1), end=date(2028, 12, 31))
    goal = GoalFactory(cycle=cycle, title="Answer faster", owner=org.admin, due_date=due)
    [copy] = goal_services.carry_over(goals=[goal], to_cycle=next_cycle, by=org.admin)
    assert copy.due_date == carried


def test_carrying_over_between_half_years_keeps_month_ends(org):
    cycle = GoalCycleFactory(name="2027-H1", start=date(2027, 1, 1), end=date(2027, 6, 30))
    next_cycle = GoalCycleFactory(name="2027-H2", start=date(2027, 7, 1), end=date(2027, 12, 31))
    goals = [
        GoalFactory(cycle=cycle, owner=org.admin, due_date=day)
        for day in (date(2027, 4, 30), date(2027, 2, 28), date(2027, 6, 30))
    ]
    copies = goal_services.carry_over(goals=goals, to_cycle=next_cycle, by=org.admin)
    assert sorted(c.due_date for c in copies) == [date(2027, 8, 31), date(2027, 10, 31), date(2027, 12, 31)]


def test_a_child_carried_alone_keeps_no_parent_until_its_parent_follows(org, cycle, top, goal, next_cycle):
    [copy] = goal_services.carry_over(goals=[goal], to_cycle=next_cycle, by=org.alice)
    assert parents_of(copy) == []
    [top_copy] = goal_services.carry_over(goals=[top], to_cycle=next_cycle, by=org.admin)
    assert parents_of(copy) == [top_copy]


def test_carrying_over_twice_copies_once(org, cycle, goal, next_cycle):
    goal_services.carry_over(goals=[goal], to_cycle=next_cycle, by=org.alice)
    assert goal_services.carry_over(goals=[goal], to_cycle=next_cycle, by=org.alice) == []
    assert Goal.objects.filter(cycle=next_cycle).count() == 1


def test_a_manager_cannot_carry_over_organization_goals(org, top, next_cycle):
    with pytest.raises(RuleViolation, match="belongs to a department you do not manage"):
        goal_services.carry_over(goals=[top], to_cycle=next_cycle, by=org.alice)


def test_goals_are_not_carried_into_a_closed_cycle_or_their_own(org, cycle, goal, next_cycle):
    with pytest.raises(RuleViolation, match="is already in"):
        goal_services.carry_over(goals=[goal], to_cycle=cycle, by=org.admin)
    goal_services.close_cycle(cycle=next_cycle, by=org.admin)
    with pytest.raises(RuleViolation, match="carry goals into an open cycle"):
        goal_services.carry_over(goals=[goal], to_cycle=next_cycle, by=org.admin)


def test_admins_open_cycles_with_a_unique_name_and_an_end_after_the_start(org, cycle):
    made = goal_services.create_cycle(by=org.admin, name="2030-H1", start=date(2030, 1, 1), end=date(2030, 6, 30))
    assert made.pk
    with pytest.raises(RuleViolation, match="already exists"):
        goal_services.create_cycle(by=org.admin, name="2030-H1", start=date(2030, 1, 1), end=date(2030, 6, 30))
    with pytest.raises(RuleViolation, match="must end after it starts"):
        goal_services.create_cycle(by=org.admin, name="2031", start=date(2031, 1, 1), end=date(2031, 1, 1))
    with pytest.raises(RuleViolation, match="Only admins"):
        goal_services.create_cycle(by=org.alice, name="2032", start=date(2032, 1, 1), end=date(2032, 6, 30))
