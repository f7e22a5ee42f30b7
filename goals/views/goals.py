"""Pages of S.M.A.R.T. goals: the cascade of a cycle, a goal, its forms and check-ins, cycles, the register."""

import csv

from django.contrib import messages
from django.db.models import Count, F
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import best_effort, confirmation, periods
from core.confirmation import Confirmation
from core.forms import form_errors_from
from core.spreadsheets import csv_cell, sheet_title, workbook_bytes, xlsx_row
from goals import smart
from goals.forms.goals import CarryOverForm, CheckInForm, CycleForm, GoalForm, KeyResultFormSet, StartForm
from goals.models import Goal, GoalCycle
from goals.selectors import cascade, progress
from goals.selectors.cycles import cycles_with_goal_count
from goals.selectors.visibility import manageable_goals, visible_goals
from goals.services import goals as goal_services
from metrics.selectors.figures import format_value
from org import access


def _goal_for(user, pk, *, manage: bool = False) -> Goal:
    """The goal if the user may see it (or manage it); 404 otherwise, never its data."""
    queryset = manageable_goals(user) if manage else visible_goals(user)
    return access.get_visible_or_404(
        queryset.select_related(
            "cycle", "department", "owner", "metric__department", "quality_definition", "carried_from__cycle"
        ),
        "No such goal.",
        pk=pk,
    )


def _cycle_from(request, cycles: list[GoalCycle]) -> GoalCycle | None:
    """?cycle=<id>, else the open cycle running today, else the latest."""
    wanted = request.GET.get("cycle")
    if wanted:
        for cycle in cycles:
            if str(cycle.pk) == wanted:
                return cycle
        access.deny("No such goal cycle.")
    today = periods.today()
    running = [c for c in cycles if c.start <= today <= c.end and not c.is_closed]
    return (running or cycles or [None])[0]


def _visible_ids(user, cycle: GoalCycle) -> set[int] | None:
    """Ids of the cycle's goals the user may see; None meaning all (admins), so no query is spent."""
    if access.is_admin(user):
        return None
    return set(visible_goals(user).filter(cycle=cycle).values_list("pk", flat=True))


def index(request):
    """The cascade: organization goals at the top, each opening onto the goals that support it.

    Queries: cycles, (not for admins) the ids the user may see, the data stamp; then, unless the tree is cached
    (goals.selectors.cascade), the cycle's goals, alignments and rollups.
    """
    cycles = list(cycles_with_goal_count())
    cycle = _cycle_from(request, cycles)
    tree, shown = "", 0
    if cycle is not None:
        visible = _visible_ids(request.user, cycle)
        key = cascade.tree_key(cycle_id=cycle.pk, visible=visible)
        cached = best_effort.cache_get(key) if key else None
        if cached is None:
            cached = _tree(cycle, visible)
            if key:
                best_effort.cache_set(key, cached, cascade.CACHE_SECONDS)
        tree, shown = cached
    return render(
        request,
        "goals/goal_index.html",
        {
            "cycles": cycles,
            "cycle": cycle,
            "tree": mark_safe(tree),
            "shown": shown,
            "is_admin": access.is_admin(request.user),
            "can_set_goals": access.manages_any(request.user),
        },
    )


def _tree(cycle: GoalCycle, visible: set[int] | None) -> tuple[str, int]:
    """The cascade's rows rendered ("" when there are none) and how many goals the viewer may see."""
    computed = progress.for_cycle(cycle)
    rows = computed.graph.cascade(computed.goals, visible=visible)
    for row in rows:
        if "goal" in row:
            row["progress"] = computed.progress[row["goal"].pk]
    shown = len(computed.goals) if visible is None else len(visible)
    return (render_to_string("goals/_goal_tree.html", {"rows": rows}) if rows else ""), shown


def _ancestor_paths(goal_id: int, graph: progress.Graph, goals: dict, limit: int = 12) -> list[list[Goal]]:
    """Every chain from the goal's parents up to the organization, top first."""
    paths, stack = [], [[goal_id]]
    while stack and len(paths) < limit:
        path = stack.pop()
        parents = [p for p, _w in graph.parents.get(path[-1], ()) if p in goals and p not in path]
        if not parents and len(path) > 1:
            paths.append([goals[pk] for pk in reversed(path[1:])])
        stack.extend([*path, parent] for parent in reversed(parents))
    return paths


CHANGE_LABELS = {
    "title": "Title",
    "description": "Description",
    "owner": "Owner",
    "confidence": "Confidence",
    "metric": "Metric",
    "baseline": "Baseline",
    "target": "Target",
    "direction": "Direction",
    "due_date": "Due date",
    "quality_definition": "Quality definition",
    "stretch_acknowledged": "Stretch target accepted",
    "parents": "Supports",
    "key_results": "Milestones",
    "cycle": "Cycle",
}


def _as_text(value) -> str:
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _change_rows(change) -> list[tuple[str, str | None, str]]:
    """(label, before or None for a first value, after) for each field an audit entry records."""
    rows = []
    for name, (before, after) in change.changes.items():
        rows.append(
            (
                CHANGE_LABELS.get(name, name.replace("_", " ").capitalize()),
                None if before is None else _as_text(before),
                _as_text(after),
            )
        )
    return rows


def goal_detail(request, pk):
    """One goal: its letters, progress and forecast, the chain up and the goals below, check-ins and history.

    Queries: the goal, its cycle's goals, alignments and rollups, the ids the user may see, key results (its
    own, and its descendants' for the chart), check-ins, changes, the best figure ever reached (metric goals) and
    the open cycles (carry-over).
    """
    goal = _goal_for(request.user, pk)
    cycle = goal.cycle
    computed = progress.for_cycle(cycle)
    visible = _visible_ids(request.user, cycle)
    shown = (lambda g: True) if visible is None else (lambda g: g.pk in visible)
    key_results = list(goal.key_results.all())
    check_ins = list(goal.check_ins.select_related("author"))
    changes = list(goal.changes.select_related("changed_by"))
    for change in changes:
        change.rows = _change_rows(change)
    parents = [computed.goals[p] for p, _w in computed.graph.parents.get(goal.pk, ()) if p in computed.goals]
    letters = smart.check_goal(goal, parents=parents, key_results=key_results)
    children = [
        {"goal": computed.goals[c], "weight": w, "progress": computed.progress[c]}
        for c, w in computed.graph.children.get(goal.pk, ())
        if c in computed.goals
    ]
    hidden_children = sum(1 for child in children if not shown(child["goal"]))
    children = sorted(
        (c for c in children if shown(c["goal"])),
        key=lambda c: (c["goal"].department.path if c["goal"].department else "", c["goal"].title),
    )
    result = computed.progress[goal.pk]
    subtree = computed.graph.descendants(goal.pk)
    milestones = progress.milestones_of(subtree) if subtree else {}
    milestones[goal.pk] = [(kr.done_at, kr.weight) for kr in key_results]
    chart = progress.history(goal, computed=computed, milestones=milestones, check_ins=check_ins)
    may_carry = (
        goal_services.may_set_goals_for(request.user, goal.department)
        and GoalCycle.objects.filter(closed_at__isnull=True).exclude(pk=cycle.pk).exists()
    )
    return render(
        request,
        "goals/goal_detail.html",
        {
            "goal": goal,
            "cycle": cycle,
            "progress": result,
            "letters": letters,
            "key_results": key_results,
            "check_ins": check_ins,
            "changes": changes,
            "chart": chart,
            "parent_paths": [
                [(g, shown(g)) for g in path] for path in _ancestor_paths(goal.pk, computed.graph, computed.goals)
            ],
            "children": children,
            "hidden_children": hidden_children,
            "figures": {
                name: format_value(goal.metric, number)
                for name, number in (
                    ("value", result.value),
                    ("forecast", result.forecast),
                    ("baseline", goal.baseline),
                    ("target", goal.target),
                )
            }
            if goal.metric_id
            else {},
            "can_edit": goal_services.may_edit(request.user, goal),
            "can_check_in": goal_services.may_check_in(request.user, goal),
            "can_carry_over": may_carry,
            "check_in_form": CheckInForm(initial={"confidence": goal.confidence}),
        },
    )


def _letters_for(form: GoalForm) -> list[smart.Letter]:
    return form.letters if form.is_bound else []


PREFILLABLE = ("title", "description", "quality_definition", "metric", "baseline", "target")


def _goal_form_page(request, *, cycle: GoalCycle, department, goal: Goal | None):
    instance = goal or Goal(cycle=cycle, department=department)
    key_results = KeyResultFormSet(request.POST or None, instance=instance, prefix="milestones")
    # A new goal may arrive pre-filled from a link (e.g. "create a goal from this gap" on reality-check results).
    prefill = {} if goal else {name: request.GET[name] for name in PREFILLABLE if request.GET.get(name)}
    form = GoalForm(
        request.POST or None,
        instance=instance,
        user=request.user,
        cycle=cycle,
        department=department,
        key_results=key_results,
        initial=prefill,
    )
    if request.method == "POST":
        valid = key_results.is_valid() & form.is_valid()
        if valid:
            with form_errors_from(form) as refused:
                if goal is None:
                    saved = goal_services.create_goal(
                        by=request.user, cycle=cycle, department=department, data=form.goal_data()
                    )
                else:
                    saved = goal_services.update_goal(
                        goal=goal, by=request.user, data=form.goal_data(), reason=form.cleaned_data.get("reason", "")
                    )
            if not refused:
                messages.success(request, f"“{saved}” saved: all five letters are met.")
                return redirect(saved)
    return render(
        request,
        "goals/goal_form.html",
        {
            "form": form,
            "key_results": key_results,
            "goal": goal,
            "cycle": cycle,
            "department": department,
            "letters": _letters_for(form),
        },
    )


def goal_create(request):
    """Step one picks the cycle and the level; step two is the goal form for them."""
    access.require(access.manages_any(request.user), "Only managers and admins set goals.")
    if "cycle" not in request.GET or "department" not in request.GET:
        # A link that carries one choice (?cycle=3, from the goals page) has not sent the form: what it carries is
        # the form's initial choice, and nothing is judged (no "This field is required." before anything is sent).
        chosen = {name: request.GET[name] for name in ("cycle", "department") if request.GET.get(name)}
        start = StartForm(initial=chosen, user=request.user)
        prefill = {name: request.GET[name] for name in PREFILLABLE if request.GET.get(name)}
        return render(request, "goals/goal_start.html", {"form": start, "prefill": prefill})
    cycle = access.get_visible_or_404(GoalCycle.objects.all(), "No such goal cycle.", pk=request.GET["cycle"])
    if cycle.is_closed:
        messages.error(request, f"Cycle {cycle} is closed; set new goals in an open cycle.")
        return redirect(reverse("goals:index") + f"?cycle={cycle.pk}")
    if request.GET["department"] == "org":
        access.require(access.is_admin(request.user), "Only admins set organization goals.")
        department = None
    else:
        department = access.department_for(request.user, request.GET["department"], manage=True)
    return _goal_form_page(request, cycle=cycle, department=department, goal=None)


def goal_edit(request, pk):
    goal = _goal_for(request.user, pk, manage=True)
    access.require(
        goal_services.may_edit(request.user, goal), f"Cycle {goal.cycle} is closed; only an admin may change its goals."
    )
    return _goal_form_page(request, cycle=goal.cycle, department=goal.department, goal=goal)


def check_in(request, pk):
    goal = _goal_for(request.user, pk)
    access.require(
        goal_services.may_check_in(request.user, goal),
        "Only the goal's owner or a manager of its department may check in, while the cycle is open.",
    )
    form = CheckInForm(request.POST or None, initial={"confidence": goal.confidence})
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form) as refused:
            goal_services.post_check_in(goal=goal, by=request.user, **form.cleaned_data)
        if not refused:
            messages.success(request, "Check-in posted.")
            return redirect(goal)
    return render(request, "goals/goal_check_in.html", {"goal": goal, "form": form})


def cycle_list(request):
    cycles = cycles_with_goal_count().select_related("closed_by")
    return render(
        request,
        "goals/cycle_list.html",
        {
            "cycles": cycles,
            "is_admin": access.is_admin(request.user),
            "can_carry": access.manages_any(request.user),
        },
    )


def _admin_only(user) -> None:
    access.require(access.is_admin(user), "Only admins open and close goal cycles.")


def cycle_create(request):
    _admin_only(request.user)
    form = CycleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form) as refused:
            cycle = goal_services.create_cycle(by=request.user, **form.cleaned_data)
        if not refused:
            messages.success(request, f"Cycle {cycle} opened: set its organization goals next.")
            return redirect(reverse("goals:index") + f"?cycle={cycle.pk}")
    return render(request, "goals/cycle_form.html", {"form": form})


def cycle_close(request, pk):
    """GET: the shared confirmation naming the goals and departments frozen; POST: close (the message says what
    this request did: closed with N goals, or found it closed by someone else)."""
    _admin_only(request.user)
    cycle = access.get_visible_or_404(cycles_with_goal_count(), "No such goal cycle.", pk=pk)
    back = reverse("goals:index") + f"?cycle={cycle.pk}"
    if cycle.is_closed:
        messages.info(request, f"Cycle {cycle} was closed on {cycle.closed_at:%d %b %Y}.")
        return redirect(back)
    if request.method == "POST":
        frozen = goal_services.close_cycle(cycle=cycle, by=request.user)
        if cycle.is_closed:  # set on our object only when this request closed it
            messages.success(
                request,
                f"Cycle {cycle} closed: the final progress of {frozen} goal{'s' if frozen != 1 else ''} is recorded.",
            )
        else:
            messages.info(request, f"Cycle {cycle} was closed by someone else a moment ago; nothing more to do.")
        return redirect(back)
    levels = (
        Goal.objects.filter(cycle=cycle)
        .values("department__name")
        .annotate(n=Count("pk"))
        .order_by(F("department__path").asc(nulls_first=True))
    )
    items = [
        ngettext("%(level)s: %(n)d goal", "%(level)s: %(n)d goals", row["n"])
        % {"level": row["department__name"] or _("Organization"), "n": row["n"]}
        for row in levels
    ]
    return confirmation.render(
        request,
        Confirmation(
            title=_("Close %(cycle)s?") % {"cycle": cycle},
            action=reverse("goals:cycle_close", args=[cycle.pk]),
            button=_("Close %(cycle)s and freeze its goals") % {"cycle": cycle},
            cancel_url=back,
            effects=[
                ngettext(
                    "The final progress of its %(n)d goal is recorded and frozen.",
                    "The final progress of its %(n)d goals is recorded and frozen.",
                    cycle.goal_count,
                )
                % {"n": cycle.goal_count},
                _("After that only an admin may change one of its goals, and must say why."),
                _("Unfinished goals can then be carried over into the next cycle."),
            ],
            items_label=ngettext("%(n)d level with goals", "%(n)d levels with goals", len(items)) % {"n": len(items)},
            items=items,
            warning=_("Keel cannot reopen a goal cycle."),
            breadcrumbs=[(_("Goals %(cycle)s") % {"cycle": cycle}, back), (_("Close"), None)],
        ),
    )


def carry_over(request, pk):
    """Copy goals of a cycle into an open one; each person carries the goals they may set."""
    access.require(access.manages_any(request.user), "Only managers and admins carry goals over.")
    cycle = access.get_visible_or_404(GoalCycle.objects.all(), "No such goal cycle.", pk=pk)
    mine = manageable_goals(request.user).filter(cycle=cycle)
    if not access.is_admin(request.user):
        mine = mine.filter(department__isnull=False)
    mine = mine.select_related("department", "owner").order_by(progress.ORGANIZATION_FIRST, "title")
    initial = {"goals": [g for g in request.GET.getlist("goal") if g.isdigit()]}
    form = CarryOverForm(request.POST or None, cycle=cycle, goals=mine, initial=initial)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form) as refused:
            copies = goal_services.carry_over(
                goals=form.cleaned_data["goals"], to_cycle=form.cleaned_data["to_cycle"], by=request.user
            )
        if not refused:
            target = form.cleaned_data["to_cycle"]
            messages.success(
                request,
                f"{len(copies)} goal{'s' if len(copies) != 1 else ''} carried over into "
                f"{target}. Check their letters: parents that were not carried need choosing.",
            )
            return redirect(reverse("goals:index") + f"?cycle={target.pk}")
    progress_of = progress.for_cycle(cycle).progress
    rows = [
        {"goal": g, "checkbox": box, "progress": progress_of.get(g.pk)}
        for g, box in zip(form.fields["goals"].queryset, form["goals"], strict=False)
    ]
    return render(request, "goals/cycle_carry_over.html", {"cycle": cycle, "form": form, "rows": rows})


# The quality objectives register: the table an auditor of a quality-management system asks for.

REGISTER_COLUMNS = [
    "Objective",
    "Level",
    "Owner",
    "Metric",
    "Baseline",
    "Target",
    "Direction",
    "Due date",
    "Progress (%)",
    "Status",
    "Quality definition",
    "Supports",
]


def _register(request):
    cycles = list(GoalCycle.objects.all())
    cycle = _cycle_from(request, cycles)
    rows = []
    if cycle is not None:
        computed = progress.for_cycle(cycle)
        visible = _visible_ids(request.user, cycle)
        for goal in computed.goals.values():
            if visible is not None and goal.pk not in visible:
                continue
            result = computed.progress[goal.pk]
            parents = [
                computed.goals[p].title for p, _w in computed.graph.parents.get(goal.pk, ()) if p in computed.goals
            ]
            rows.append({"goal": goal, "progress": result, "supports": parents})
    return cycles, cycle, rows


def _cells(row) -> list:
    goal, result = row["goal"], row["progress"]
    return [
        goal.title,
        goal.department.name if goal.department else "Organization",
        goal.owner.display_name if goal.owner else "",
        goal.metric.name if goal.metric else "Milestones",
        goal.baseline,
        goal.target,
        goal.get_direction_display() if goal.direction else "",
        goal.due_date,
        None if result.percent is None else round(result.percent, 1),
        result.look.label,
        str(goal.quality_definition) if goal.quality_definition else "",
        "; ".join(row["supports"]),
    ]


def register(request):
    cycles, cycle, rows = _register(request)
    return render(request, "goals/register.html", {"cycles": cycles, "cycle": cycle, "rows": rows})


def _filename(cycle, extension: str) -> str:
    stamp = timezone.localdate().isoformat()
    return f"quality-objectives-{cycle.name if cycle else 'none'}-{stamp}.{extension}".replace(" ", "-")


def register_csv(request):
    _cycles, cycle, rows = _register(request)
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(cycle, "csv")}"'},
    )
    response.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow(REGISTER_COLUMNS)
    for row in rows:
        writer.writerow([csv_cell(v) for v in _cells(row)])
    return response


def register_xlsx(request):
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    _cycles, cycle, rows = _register(request)
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(f"Objectives {cycle.name}" if cycle else "Objectives")
    sheet.append(REGISTER_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(xlsx_row(_cells(row)))
    for index, width in enumerate([40, 22, 22, 28, 10, 10, 22, 12, 12, 12, 28, 40], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for cell in sheet["H"][1:]:
        cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    return HttpResponse(
        workbook_bytes(book),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_filename(cycle, "xlsx")}"'},
    )
