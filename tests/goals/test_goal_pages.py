"""Goal pages: the cascade, a goal, its forms, check-ins, cycles and carry-over; who may do what; query bounds."""

import re
from datetime import UTC, date, datetime
from html import unescape

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from goals.models import Alignment, CheckIn, Goal, GoalChange, GoalCycle, KeyResult
from goals.services import goals as goal_services
from metrics.models import Reading
from metrics.services import rollups
from metrics.services.readings import ReadingRow, record_readings
from tests.goals.factories import CheckInFactory, GoalCycleFactory, GoalFactory, record_weekly, this_year
from tests.helpers import count_queries
from tests.metrics.factories import MetricFactory


@pytest.fixture
def cycle(db):
    return GoalCycleFactory()


@pytest.fixture
def cascade(org, cycle):
    """Organization goal > Support goal > Front Line goal, and a Sales goal beside Support's."""
    top = GoalFactory(cycle=cycle, title="Delight customers", owner=org.admin)
    support = GoalFactory(
        cycle=cycle,
        department=org.support,
        title="Resolve first time",
        owner=org.alice,
        parents=[top],
        milestones=[("Playbook", 1, date(this_year(), 1, 10)), ("Training", 1, None)],
    )
    team = GoalFactory(
        cycle=cycle,
        department=org.front_line,
        title="Reply within four hours",
        owner=org.bob,
        parents=[support],
        milestones=[("Rota", 1, date(this_year(), 1, 10)), ("Cover", 1, None)],
    )
    sales = GoalFactory(
        cycle=cycle, department=org.sales, title="Promise what we keep", owner=org.charlie, parents=[top]
    )
    return {"top": top, "support": support, "team": team, "sales": sales}


def tree_rows(response) -> list[tuple[str, str | None, str | None]]:
    """The cascade as shown: (kind, goal title, percent shown) per row, kind "open", "leaf" or "close", read from
    the page's HTML (the tree may come from the cache, with no rows in the context)."""
    html = response.content.decode()
    tree = html[html.index('data-role="cascade"') :]
    found: list[list] = []
    token = re.compile(
        r'<details|class="keel-goal-leaf"|</details>'
        r'|class="keel-goal-row" data-goal="\d+">.*?<a href="[^"]*">([^<]*)</a>.*?data-role="percent">([^<]*)<',
        re.S,
    )
    for match in token.finditer(tree):
        text = match.group(0)
        if text == "<details":
            found.append(["open", None, None])
        elif text == 'class="keel-goal-leaf"':
            found.append(["leaf", None, None])
        elif text == "</details>":
            found.append(["close", None, None])
        else:
            found[-1][1:] = [unescape(match.group(1)), match.group(2)]
    return [tuple(row) for row in found]


def titles(response) -> list[str]:
    return [title for _kind, title, _percent in tree_rows(response) if title]


# The cascade


def test_the_cascade_nests_goals_under_the_goals_they_support(client, org, cascade):
    client.force_login(org.admin)
    response = client.get(reverse("goals:index"))
    kinds = [(kind, title) for kind, title, _percent in tree_rows(response)]
    assert kinds == [
        ("open", "Delight customers"),
        ("open", "Resolve first time"),
        ("leaf", "Reply within four hours"),
        ("close", None),
        ("leaf", "Promise what we keep"),
        ("close", None),
    ]
    html = response.content.decode()
    assert html.count("<details") == 2 and html.count("</details>") == 2


def test_an_employee_sees_the_organizations_and_their_own_chains_goals_only(client, org, cascade):
    client.force_login(org.bob)
    response = client.get(reverse("goals:index"))
    assert titles(response) == ["Delight customers", "Resolve first time", "Reply within four hours"]


def test_a_manager_does_not_see_another_departments_goals(client, org, cascade):
    client.force_login(org.charlie)
    assert titles(client.get(reverse("goals:index"))) == ["Delight customers", "Promise what we keep"]


def test_a_parents_progress_includes_children_the_viewer_cannot_see(client, org, cascade):
    client.force_login(org.charlie)
    response = client.get(reverse("goals:index"))
    [top] = [percent for _kind, title, percent in tree_rows(response) if title == cascade["top"].title]
    # Support's goal weighs in with its team goal's 50% although charlie sees neither; Sales' has no measure.
    assert top == "50%"


def test_the_cycle_picker_shows_another_cycle_and_refuses_unknown_ones(client, org, cascade):
    old = GoalCycleFactory(name="2020", start=date(2020, 1, 1), end=date(2020, 12, 31))
    GoalFactory(cycle=old, title="Old goal")
    client.force_login(org.bob)
    assert titles(client.get(reverse("goals:index") + f"?cycle={old.pk}")) == ["Old goal"]
    assert client.get(reverse("goals:index") + "?cycle=999999").status_code == 404


def test_without_a_cycle_the_page_explains_what_comes(client, org):
    client.force_login(org.admin)
    assert "Open the first cycle" in client.get(reverse("goals:index")).content.decode()


def grow(org, cycle, size: int) -> None:
    """About `size` goals: a tenth organization goals, the rest Support's and Front Line's aligned below them,
    some on a metric, some on milestones."""
    metric = MetricFactory(department=org.support)
    record_weekly(org, metric, [70, 72, 75], first=date(this_year(), 1, 5))
    tops = Goal.objects.bulk_create(
        [Goal(cycle=cycle, title=f"Top {n}", description="x", due_date=cycle.end) for n in range(max(1, size // 10))]
    )
    middles = Goal.objects.bulk_create(
        [
            Goal(
                cycle=cycle,
                department=org.support,
                title=f"Middle {n}",
                description="x",
                owner=org.alice,
                metric=None if n % 2 else metric,
                baseline=60,
                target=90,
                direction="increase",
                due_date=cycle.end,
            )
            for n in range(max(1, size // 10))
        ]
    )
    bottoms = Goal.objects.bulk_create(
        [
            Goal(
                cycle=cycle,
                department=org.front_line,
                title=f"Bottom {n}",
                description="x",
                owner=org.bob,
                due_date=cycle.end,
            )
            for n in range(size - len(tops) - len(middles))
        ]
    )
    Alignment.objects.bulk_create(
        [Alignment(parent=tops[n % len(tops)], child=m) for n, m in enumerate(middles)]
        + [Alignment(parent=middles[n % len(middles)], child=b) for n, b in enumerate(bottoms)]
    )
    KeyResult.objects.bulk_create(
        [
            KeyResult(goal=b, title="m", done_at=date(this_year(), 1, 2) if n % 3 else None)
            for n, b in enumerate(bottoms)
        ]
    )


@pytest.mark.parametrize("who", ["admin", "bob"])
def test_the_cascade_of_1000_goals_takes_as_many_queries_as_a_small_one(
    client, org, cycle, who, django_assert_max_num_queries
):
    grow(org, cycle, 10)
    client.force_login(getattr(org, who))
    small = count_queries(client, reverse("goals:index"))
    grow(org, cycle, 990)
    assert Goal.objects.count() == 1000
    # session, user, managed paths (navigation), the user's department (menu), cycles with counts, for non-admins
    # the ids they may see, the data stamp; then, the tree not being cached yet, the cycle's goals with milestone
    # sums, alignments and rollups
    with django_assert_max_num_queries(10):
        response = client.get(reverse("goals:index"))
    assert response.content.decode().count('class="keel-goal-row"') == 1000
    cache.clear()
    assert count_queries(client, reverse("goals:index")) == small
    # The same tree again comes from the cache: three queries fewer.
    assert count_queries(client, reverse("goals:index")) == small - 3


# A goal


def test_the_goal_page_shows_letters_progress_the_chain_up_and_the_goals_below(client, org, cascade):
    CheckInFactory(goal=cascade["support"], note="Playbook is out.", confidence=8, progress=50)
    client.force_login(org.alice)
    response = client.get(cascade["support"].get_absolute_url())
    assert [letter.state for letter in response.context["letters"]] == ["pass"] * 5
    assert response.context["progress"].percent == pytest.approx(50)
    assert [[g.title for g, _shown in path] for path in response.context["parent_paths"]] == [["Delight customers"]]
    assert [c["goal"].title for c in response.context["children"]] == ["Reply within four hours"]
    html = response.content.decode()
    assert "Playbook is out." in html and "confidence 8/10" in html
    assert 'id="goal-chart"' in html


def test_the_goal_page_shows_the_chain_up_to_the_organization(client, org, cascade):
    client.force_login(org.bob)
    response = client.get(cascade["team"].get_absolute_url())
    assert [[g.title for g, _shown in path] for path in response.context["parent_paths"]] == [
        ["Delight customers", "Resolve first time"]
    ]


def test_the_goal_page_counts_supporting_goals_the_viewer_cannot_see(client, org, cascade):
    client.force_login(org.charlie)
    response = client.get(cascade["top"].get_absolute_url())
    assert [c["goal"].title for c in response.context["children"]] == ["Promise what we keep"]
    assert response.context["hidden_children"] == 1


def test_the_goal_page_shows_the_audit_trail(client, org, cascade):
    GoalChange.objects.create(goal=cascade["support"], changed_by=org.alice, changes={"target": [80, 85]})
    client.force_login(org.alice)
    html = client.get(cascade["support"].get_absolute_url()).content.decode()
    assert '<del class="text-body-secondary">80</del> → 85' in html


def test_a_metric_goal_shows_its_figure_and_forecast(client, org, cycle):
    metric = MetricFactory(department=org.support, unit="%", decimals=1)
    record_weekly(org, metric, [70, 72, 74], first=date(this_year(), 1, 5))
    top = GoalFactory(cycle=cycle)
    goal = GoalFactory(
        cycle=cycle,
        department=org.support,
        owner=org.alice,
        metric=metric,
        baseline=70,
        target=80,
        direction="increase",
        parents=[top],
    )
    client.force_login(org.alice)
    response = client.get(goal.get_absolute_url())
    assert response.context["figures"]["value"] == "74.0%"
    assert response.context["figures"]["forecast"] != "–"


@pytest.mark.parametrize(
    ("who", "goal", "status"),
    [
        ("charlie", "support", 404),
        ("charlie", "team", 404),
        ("bob", "sales", 404),
        ("alice", "sales", 404),
        ("bob", "top", 200),
        ("bob", "support", 200),
        ("charlie", "sales", 200),
    ],
)
def test_a_goal_is_shown_only_to_those_who_may_see_it(client, org, cascade, who, goal, status):
    client.force_login(getattr(org, who))
    assert client.get(cascade[goal].get_absolute_url()).status_code == status


@pytest.mark.parametrize("size", [4, 120])
def test_the_goal_page_takes_a_bounded_number_of_queries(
    client, org, cycle, cascade, size, django_assert_max_num_queries
):
    grow(org, cycle, size)
    for n in range(size // 10):
        CheckInFactory(goal=cascade["support"], note=f"Note {n}", author=org.alice)
        GoalChange.objects.create(goal=cascade["support"], changed_by=org.alice, changes={"confidence": [n, n + 1]})
    client.force_login(org.alice)
    # session, user, managed paths, the goal, the cycle's goals, alignments, rollups, visible ids, key results,
    # check-ins, changes, other open cycles (carry-over), the user's department (menu)
    with django_assert_max_num_queries(14):
        client.get(cascade["support"].get_absolute_url())


# Setting a goal


def form_data(org, cycle, parent, **changes) -> dict:
    data = {
        "title": "Answer faster",
        "description": "Customers get a first reply within four hours.",
        "owner": org.bob.pk,
        "confidence": "7",
        "metric": "",
        "baseline": "",
        "target": "",
        "direction": "",
        "due_date": cycle.end.isoformat(),
        "quality_definition": "",
        "parents": [parent.pk] if parent else [],
        **({f"weight_{parent.pk}": "1"} if parent else {}),
        "milestones-TOTAL_FORMS": "3",
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "1000",
        "milestones-0-title": "Reply templates",
        "milestones-0-weight": "1",
        "milestones-0-done_at": "",
        "milestones-1-title": "",
        "milestones-1-weight": "1",
        "milestones-1-done_at": "",
        "milestones-2-title": "",
        "milestones-2-weight": "1",
        "milestones-2-done_at": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def milestones_of(goal) -> dict:
    """The formset fields of a goal's existing milestones, unchanged."""
    rows = list(goal.key_results.all())
    data = {
        "milestones-INITIAL_FORMS": str(len(rows)),
        "milestones-TOTAL_FORMS": str(len(rows) + 1),
        f"milestones-{len(rows)}-title": "",
        f"milestones-{len(rows)}-weight": "1",
    }
    for n, kr in enumerate(rows):
        data |= {
            f"milestones-{n}-id": kr.pk,
            f"milestones-{n}-title": kr.title,
            f"milestones-{n}-weight": "1",
            f"milestones-{n}-done_at": kr.done_at.isoformat() if kr.done_at else "",
        }
    return data


def create_url(cycle, department) -> str:
    return reverse("goals:goal_create") + f"?cycle={cycle.pk}&department={department.pk if department else 'org'}"


def test_a_manager_picks_the_cycle_and_level_first(client, org, cycle):
    client.force_login(org.alice)
    response = client.get(reverse("goals:goal_create"))
    assert [value for value, _label in response.context["form"].fields["department"].choices] == [
        str(org.support.pk),
        str(org.front_line.pk),
    ]


def test_a_manager_sets_a_goal_aligned_to_an_organization_goal(client, org, cycle, cascade):
    client.force_login(org.alice)
    response = client.post(
        create_url(cycle, org.front_line), form_data(org, cycle, cascade["top"], **{f"weight_{cascade['top'].pk}": "2"})
    )
    goal = Goal.objects.get(title="Answer faster")
    assert response.status_code == 302 and response.url == goal.get_absolute_url()
    assert (goal.department, goal.owner, goal.created_by) == (org.front_line, org.bob, org.alice)
    assert list(goal.parent_alignments.values_list("parent__title", "weight")) == [("Delight customers", 2)]
    assert list(goal.key_results.values_list("title", flat=True)) == ["Reply templates"]


def test_the_form_offers_organization_goals_and_goals_of_departments_above(client, org, cycle, cascade):
    client.force_login(org.alice)
    response = client.get(create_url(cycle, org.front_line))
    assert [g.title for g in response.context["form"].candidates] == ["Delight customers", "Resolve first time"]


def test_every_failed_letter_is_a_field_error_and_nothing_is_saved(client, org, cycle, cascade):
    client.force_login(org.alice)
    response = client.post(
        create_url(cycle, org.support),
        form_data(
            org,
            cycle,
            None,
            title="Faster replies",
            description="Faster replies.",
            owner="",
            confidence="",
            due_date=date(this_year() + 1, 3, 1).isoformat(),
            **{"milestones-0-title": ""},
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["description"] == [
        "The description only repeats the title; say what will be different, for whom, when this is done."
    ]
    assert errors["metric"] == [
        "Choose a metric with a baseline and a target, or list the milestones (key results) that show it is done."
    ]
    assert errors["owner"] == ["Name an owner and set a confidence level from 1 (unlikely) to 10 (sure)."]
    assert errors["parents"] == [
        "Align it with at least one organization goal or a goal of a department above Support."
    ]
    assert errors["due_date"][0].startswith(f"The due date must fall within {cycle}")
    assert [letter.state for letter in response.context["letters"]] == ["fail"] * 5
    assert "5 letters need attention" in response.content.decode()
    assert Goal.objects.filter(title="Faster replies").count() == 0


def test_a_target_equal_to_the_baseline_is_a_field_error(client, org, cycle, cascade):
    metric = MetricFactory(department=org.support)
    client.force_login(org.alice)
    response = client.post(
        create_url(cycle, org.support),
        form_data(org, cycle, cascade["top"], metric=metric.pk, baseline="95", target="95", direction="increase"),
    )
    assert response.context["form"].errors["target"] == ["Target must differ from the baseline (both are 95)."]


def test_a_metric_the_manager_cannot_see_is_a_field_error(client, org, cycle, cascade):
    sales_metric = MetricFactory(department=org.sales)
    client.force_login(org.alice)
    response = client.post(
        create_url(cycle, org.support),
        form_data(org, cycle, cascade["top"], metric=sales_metric.pk, baseline="1", target="2", direction="increase"),
    )
    assert response.context["form"].errors["metric"] == [
        "Choose one of the metrics you can see; that one belongs to a department outside yours."
    ]
    assert not Goal.objects.filter(title="Answer faster").exists()


def test_a_parent_in_another_cycle_is_a_field_error(client, org, cycle, cascade):
    old = GoalFactory(
        cycle=GoalCycleFactory(name="2020", start=date(2020, 1, 1), end=date(2020, 12, 31)), title="Old goal"
    )
    client.force_login(org.alice)
    response = client.post(create_url(cycle, org.support), form_data(org, cycle, old))
    assert response.context["form"].errors["parents"] == [
        f"“Old goal” belongs to cycle 2020; choose parents from {cycle}."
    ]


def test_aligning_a_goal_to_its_own_supporter_is_a_field_error(client, org, cycle, cascade):
    client.force_login(org.admin)
    top = cascade["top"]
    response = client.post(
        reverse("goals:goal_edit", args=[cascade["support"].pk]),
        form_data(org, cycle, cascade["team"], owner=org.alice.pk),
    )
    assert response.context["form"].errors["parents"] == [
        "“Reply within four hours” already supports this goal, so this goal cannot support it: that would make a "
        "circle."
    ]
    assert list(Alignment.objects.filter(child=cascade["support"]).values_list("parent_id", flat=True)) == [top.pk]


def test_a_stretch_target_must_be_accepted_before_saving(client, org, cycle, cascade):
    metric = MetricFactory(department=org.support, unit="%")
    record_weekly(org, metric, [70, 75], first=date(this_year(), 1, 5))
    client.force_login(org.alice)
    data = form_data(org, cycle, cascade["top"], metric=metric.pk, baseline="72", target="99", direction="increase")
    response = client.post(create_url(cycle, org.support), data)
    assert response.context["form"].errors["stretch_acknowledged"][0].startswith("A target of 99% is far beyond")
    assert 'data-role="stretch"' in response.content.decode()
    response = client.post(create_url(cycle, org.support), data | {"stretch_acknowledged": "on"})
    assert response.status_code == 302
    assert Goal.objects.get(title="Answer faster").stretch_acknowledged


def test_the_edit_form_records_the_change(client, org, cycle, cascade):
    goal = cascade["team"]
    client.force_login(org.alice)
    data = form_data(
        org,
        cycle,
        cascade["support"],
        title="Reply within three hours",
        description="Every customer hears from us within three hours.",
        **milestones_of(goal),
    )
    response = client.post(reverse("goals:goal_edit", args=[goal.pk]), data)
    assert response.status_code == 302
    entry = goal.changes.get()
    assert entry.changed_by == org.alice
    assert entry.changes["title"] == ["Reply within four hours", "Reply within three hours"]


@pytest.mark.parametrize(
    ("who", "department", "status"),
    [
        ("bob", "front_line", 404),
        ("charlie", "support", 404),
        ("alice", "sales", 404),
        ("alice", None, 404),
    ],
)
def test_goals_are_set_only_where_the_person_may(client, org, cycle, who, department, status):
    client.force_login(getattr(org, who))
    department = getattr(org, department) if department else None
    assert client.get(create_url(cycle, department)).status_code == status
    assert client.post(create_url(cycle, department), {"title": "x"}).status_code == status
    assert Goal.objects.count() == 0


def test_an_employee_cannot_start_a_goal(client, org, cycle):
    client.force_login(org.bob)
    assert client.get(reverse("goals:goal_create")).status_code == 404


def test_an_admin_sets_organization_goals(client, org, cycle):
    client.force_login(org.admin)
    response = client.post(create_url(cycle, None), form_data(org, cycle, None, owner=org.admin.pk))
    assert response.status_code == 302
    assert Goal.objects.get().department is None


def test_a_closed_cycle_takes_no_new_goals(client, org, cycle):
    goal_services.close_cycle(cycle=cycle, by=org.admin)
    client.force_login(org.admin)
    assert client.get(create_url(cycle, None)).status_code == 302


@pytest.mark.parametrize(
    ("who", "goal", "status"),
    [
        ("bob", "team", 404),
        ("charlie", "support", 404),
        ("alice", "top", 404),
        ("alice", "sales", 404),
        ("alice", "team", 200),
        ("admin", "top", 200),
    ],
)
def test_goals_are_edited_only_by_their_departments_managers(client, org, cascade, who, goal, status):
    client.force_login(getattr(org, who))
    assert client.get(reverse("goals:goal_edit", args=[cascade[goal].pk])).status_code == status


def test_after_closing_managers_cannot_edit_and_admins_must_say_why(client, org, cycle, cascade):
    goal_services.close_cycle(cycle=cycle, by=org.admin)
    goal = cascade["team"]
    client.force_login(org.alice)
    assert client.get(reverse("goals:goal_edit", args=[goal.pk])).status_code == 404
    client.force_login(org.admin)
    data = form_data(org, cycle, cascade["support"], title="Reply within three hours", **milestones_of(goal))
    response = client.post(reverse("goals:goal_edit", args=[goal.pk]), data)
    assert response.context["form"].errors["reason"] == [
        "The cycle is closed: say why this goal must change after all."
    ]
    response = client.post(reverse("goals:goal_edit", args=[goal.pk]), data | {"reason": "Auditor's finding"})
    assert response.status_code == 302
    assert goal.changes.get().reason == "Auditor's finding"


# Check-ins


def test_the_owner_posts_a_check_in(client, org, cascade):
    client.force_login(org.bob)
    response = client.post(
        reverse("goals:check_in", args=[cascade["team"].pk]),
        {"note": "Rota drafted.", "confidence": "6", "blockers": "Two people on leave"},
    )
    assert response.status_code == 302
    check_in = CheckIn.objects.get()
    assert (check_in.author, check_in.confidence, check_in.progress) == (org.bob, 6, 50)


def test_a_bad_check_in_keeps_what_was_typed(client, org, cascade):
    client.force_login(org.bob)
    response = client.post(reverse("goals:check_in", args=[cascade["team"].pk]), {"note": "Rota", "confidence": "12"})
    assert response.status_code == 200
    assert response.context["form"]["note"].value() == "Rota"
    assert CheckIn.objects.count() == 0


@pytest.mark.parametrize(
    ("who", "goal", "status"),
    [
        ("bob", "support", 404),
        ("charlie", "team", 404),
        ("bob", "sales", 404),
        ("charlie", "top", 404),
    ],
)
def test_only_the_owner_or_a_manager_checks_in(client, org, cascade, who, goal, status):
    client.force_login(getattr(org, who))
    url = reverse("goals:check_in", args=[cascade[goal].pk])
    assert client.get(url).status_code == status
    assert client.post(url, {"note": "x", "confidence": "5"}).status_code == status
    assert CheckIn.objects.count() == 0


def test_a_refused_check_in_looks_like_a_missing_goal(client, org, cascade):
    client.force_login(org.charlie)  # charlie sees the organization's goals but owns and manages none of Support's
    assert client.get(reverse("goals:goal", args=[cascade["top"].pk])).status_code == 200
    refused = client.get(reverse("goals:check_in", args=[cascade["top"].pk]))
    missing = client.get(reverse("goals:check_in", args=[10**9]))
    assert refused.status_code == missing.status_code == 404


# Cycles and carrying over


def test_everyone_sees_the_cycles(client, org, cycle):
    client.force_login(org.bob)
    response = client.get(reverse("goals:cycle_list"))
    assert [c.name for c in response.context["cycles"]] == [cycle.name]
    assert "New cycle" not in response.content.decode()


def test_an_admin_opens_a_cycle(client, org):
    client.force_login(org.admin)
    response = client.post(
        reverse("goals:cycle_create"), {"name": "2031-H1", "start": "2031-01-01", "end": "2031-06-30"}
    )
    assert response.status_code == 302
    assert GoalCycle.objects.get(name="2031-H1").end == date(2031, 6, 30)


def test_a_cycle_must_end_after_it_starts(client, org):
    client.force_login(org.admin)
    response = client.post(reverse("goals:cycle_create"), {"name": "x", "start": "2031-06-30", "end": "2031-01-01"})
    assert response.context["form"].errors["end"] == ["The cycle must end after it starts (30 Jun 2031)."]


def test_an_admin_closes_a_cycle(client, org, cycle, cascade):
    client.force_login(org.admin)
    asked = client.get(reverse("goals:cycle_close", args=[cycle.pk]))
    goals = Goal.objects.filter(cycle=cycle).count()
    html = asked.content.decode()
    assert asked.status_code == 200 and "data-confirmation" in html
    assert f"The final progress of its {goals} goals is recorded and frozen." in html
    assert "Organization: " in html and "Support: 1 goal" in html
    response = client.post(reverse("goals:cycle_close", args=[cycle.pk]), follow=True)
    assert f"the final progress of {goals} goals is recorded" in response.content.decode()
    assert GoalCycle.objects.get(pk=cycle.pk).is_closed
    assert Goal.objects.get(pk=cascade["support"].pk).final_progress == 50


def test_closing_a_cycle_closed_meanwhile_says_so_instead_of_claiming_it(client, org, cycle, cascade):
    client.force_login(org.admin)
    GoalCycle.objects.filter(pk=cycle.pk).update(closed_at=timezone.now())
    response = client.post(reverse("goals:cycle_close", args=[cycle.pk]), follow=True)
    assert "was closed on" in response.content.decode() and "is recorded" not in response.content.decode()


@pytest.mark.parametrize("who", ["alice", "bob", "charlie"])
def test_only_admins_open_and_close_cycles(client, org, cycle, who):
    client.force_login(getattr(org, who))
    assert client.get(reverse("goals:cycle_create")).status_code == 404
    assert (
        client.post(
            reverse("goals:cycle_create"), {"name": "x", "start": "2031-01-01", "end": "2031-06-30"}
        ).status_code
        == 404
    )
    assert client.get(reverse("goals:cycle_close", args=[cycle.pk])).status_code == 404
    assert client.post(reverse("goals:cycle_close", args=[cycle.pk])).status_code == 404
    assert GoalCycle.objects.count() == 1 and not GoalCycle.objects.get().is_closed


@pytest.fixture
def next_cycle(db):
    year = this_year() + 1
    return GoalCycleFactory(name=str(year), start=date(year, 1, 1), end=date(year, 12, 31))


def test_a_manager_carries_their_goals_over(client, org, cycle, cascade, next_cycle):
    client.force_login(org.alice)
    response = client.get(reverse("goals:carry_over", args=[cycle.pk]) + f"?goal={cascade['team'].pk}")
    assert [row["goal"].title for row in response.context["rows"]] == ["Resolve first time", "Reply within four hours"]
    response = client.post(
        reverse("goals:carry_over", args=[cycle.pk]),
        {"to_cycle": next_cycle.pk, "goals": [cascade["support"].pk, cascade["team"].pk]},
    )
    assert response.status_code == 302
    assert set(Goal.objects.filter(cycle=next_cycle).values_list("title", flat=True)) == {
        "Resolve first time",
        "Reply within four hours",
    }


def test_a_manager_cannot_carry_over_another_departments_goal(client, org, cycle, cascade, next_cycle):
    client.force_login(org.alice)
    response = client.post(
        reverse("goals:carry_over", args=[cycle.pk]), {"to_cycle": next_cycle.pk, "goals": [cascade["sales"].pk]}
    )
    assert response.status_code == 200 and "goals" in response.context["form"].errors
    assert not Goal.objects.filter(cycle=next_cycle).exists()


def test_an_employee_cannot_carry_goals_over(client, org, cycle, cascade, next_cycle):
    client.force_login(org.bob)
    assert client.get(reverse("goals:carry_over", args=[cycle.pk])).status_code == 404
    assert (
        client.post(
            reverse("goals:carry_over", args=[cycle.pk]), {"to_cycle": next_cycle.pk, "goals": [cascade["team"].pk]}
        ).status_code
        == 404
    )


# Everyone must sign in


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("index", []),
        ("goal_create", []),
        ("goal", [1]),
        ("goal_edit", [1]),
        ("check_in", [1]),
        ("cycle_list", []),
        ("cycle_create", []),
        ("cycle_close", [1]),
        ("carry_over", [1]),
        ("register", []),
        ("register_csv", []),
        ("register_xlsx", []),
    ],
)
def test_every_goal_page_needs_a_sign_in(client, db, name, args):
    response = client.get(reverse(f"goals:{name}", args=args))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_new_goal_can_arrive_pre_filled_from_a_link(client, org):
    from goals.models import GoalCycle

    cycle = GoalCycle.objects.create(name="Prefill", start="2026-01-01", end="2026-12-31")
    client.force_login(org.alice)
    gap = {"title": "Close the reply-time gap", "description": "Customers said"}
    start = client.get(reverse("goals:goal_create"), gap)
    assert 'name="title" value="Close the reply-time gap"' in start.content.decode()  # carried through step one
    form = client.get(
        reverse("goals:goal_create"),
        {
            "cycle": cycle.pk,
            "department": org.support.pk,
            "title": "Close the reply-time gap",
            "description": "Customers said",
        },
    )
    assert form.context["form"].initial["title"] == "Close the reply-time gap"


def test_on_monday_morning_a_goal_is_judged_on_last_week_and_the_page_says_so(client, org):
    with time_machine.travel(datetime(2026, 11, 30, 6, tzinfo=UTC), tick=False):
        cycle = GoalCycleFactory(name="2026-H2", start=date(2026, 7, 1), end=date(2026, 12, 31))
        metric = MetricFactory(department=org.support, unit="%", decimals=1)
        record_weekly(org, metric, [77.5], first=date(2026, 11, 23))
        goal = GoalFactory(
            cycle=cycle,
            department=org.support,
            owner=org.alice,
            metric=metric,
            baseline=50,
            target=90,
            direction="increase",
            parents=[GoalFactory(cycle=cycle)],
        )
        client.force_login(org.alice)
        before = client.get(goal.get_absolute_url())
        record_readings(
            rows=[
                ReadingRow(metric=metric, person=org.bob, value=99, measured_at=datetime(2026, 11, 30, 5, tzinfo=UTC))
            ],
            recorded_by=org.admin,
            source=Reading.Source.FORM,
        )
        rollups.run()
        after = client.get(goal.get_absolute_url())
    assert before.context["progress"].percent == after.context["progress"].percent == 68.75
    assert "last complete week, from 23 Nov" in after.content.decode()
