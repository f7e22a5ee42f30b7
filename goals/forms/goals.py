"""Forms for goals, their milestones, check-ins, cycles and carrying over: each S.M.A.R.T. letter that fails
becomes an error on the field that fixes it."""

from django import forms
from django.db.models import Q
from django.forms import BaseInlineFormSet, inlineformset_factory

from core.dates import BoundedDatesMixin
from core.forms import ModelMultipleChoiceField
from goals import smart
from goals.models import Goal, GoalCycle, KeyResult
from goals.selectors.progress import ORGANIZATION_FIRST, Graph
from goals.selectors.visibility import visible_definitions, visible_goals
from goals.services.goals import EDITABLE, GoalData, KeyResultData, target_is_new, with_default_baseline
from metrics.selectors.figures import visible_metrics
from org import access
from org.models import Department, User


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.display_name} · {obj.job_title}" if obj.job_title else obj.display_name


class MetricChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.department.name}{', ' + obj.unit if obj.unit else ''})"


class StartForm(forms.Form):
    """Step one of a new goal: the cycle and the level it is set at (its parents depend on both)."""

    cycle = forms.ModelChoiceField(queryset=GoalCycle.objects.none(), empty_label=None)
    department = forms.ChoiceField(
        label="Set for",
        help_text="Organization goals are set by admins; departmental goals by the department's managers.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = GoalCycle.objects.filter(closed_at__isnull=True)
        departments = access.managed_departments(user).order_by("path").only("id", "name", "depth")
        choices = [("org", "The whole organization")] if access.is_admin(user) else []
        choices += [(str(d.pk), "\u00a0\u00a0" * d.depth + d.name) for d in departments]
        self.fields["department"].choices = choices


class GoalForm(BoundedDatesMixin, forms.ModelForm):
    """A goal's content; parents (with weights) from the allowed candidates; milestones in a formset beside it."""

    parents = ModelMultipleChoiceField(
        queryset=Goal.objects.none(), required=False, label="Supports", widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(
        required=False,
        max_length=300,
        label="Reason for the change",
        help_text="The cycle is closed: say why this goal must change after all.",
    )

    class Meta:
        model = Goal
        fields = list(EDITABLE)  # what the goal services let a person change
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        labels = {
            "stretch_acknowledged": "I accept this stretch target",
            "quality_definition": "Quality definition",
            "confidence": "Confidence (1–10)",
        }
        help_texts = {
            "title": "The outcome in a few words.",
            "baseline": "Where the metric stands now; left empty, the metric's current figure.",
            "stretch_acknowledged": "",
            "quality_definition": "Optional: the promise to customers this goal serves.",
        }
        field_classes = {"owner": PersonChoiceField, "metric": MetricChoiceField}

    def __init__(self, *args, user, cycle: GoalCycle, department: Department | None, key_results, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.cycle, self.department, self.key_results = user, cycle, department, key_results
        self.letters: list[smart.Letter] = []
        for name in ("title", "description", "owner", "confidence", "due_date"):
            self.fields[name].required = False  # the letters say what is missing, and why it matters
        self.fields["confidence"].min_value, self.fields["confidence"].max_value = 1, 10
        self.fields["confidence"].widget.attrs.update(min=1, max=10)
        people = User.objects.filter(is_active=True)
        if department is not None:
            people = people.filter(
                Q(department__in=Department.objects.subtree_of(department)) | Q(managed_departments=department)
            )
        self.fields["owner"].queryset = people.distinct().order_by("first_name", "last_name")
        self.fields["metric"].queryset = (
            visible_metrics(user).active().select_related("department").order_by("department__path", "name")
        )
        self.fields["metric"].error_messages["invalid_choice"] = (
            "Choose one of the metrics you can see; that one belongs to a department outside yours."
        )
        self.fields["metric"].required = False
        self.fields["metric"].empty_label = "None: measured by milestones"
        self.fields["owner"].empty_label = "Choose the owner"
        self.fields["quality_definition"].queryset = visible_definitions(user).filter(retired_at__isnull=True)
        self.fields["direction"].required = False
        self.fields["direction"].choices = [("", "—"), *Goal.Direction.choices]
        if not (self.instance.pk and cycle.is_closed):
            del self.fields["reason"]
        if department is None:
            del self.fields["parents"]
            self.candidates = []
        else:
            self._set_up_parents()

    def _set_up_parents(self) -> None:
        """Candidates: organization goals and goals of departments above, same cycle. Validation accepts any goal
        the person can see, so a wrong one gets the Relevant letter's message rather than a bare refusal."""
        above = Q(department__isnull=True) | Q(department_id__in=self.department.ancestor_ids)
        self.candidates = list(
            Goal.objects.filter(above, cycle=self.cycle)
            .exclude(pk=self.instance.pk)
            .select_related("department")
            .order_by(ORGANIZATION_FIRST, "title")
        )
        field = self.fields["parents"]
        field.queryset = visible_goals(self.user).select_related("cycle", "department")
        field.widget.choices = [(g.pk, g.title) for g in self.candidates]
        weights = {}
        if self.instance.pk:
            weights = dict(self.instance.parent_alignments.values_list("parent_id", "weight"))
            self.initial.setdefault("parents", list(weights))
        for goal in self.candidates:
            self.fields[f"weight_{goal.pk}"] = forms.FloatField(
                required=False,
                min_value=0.01,
                initial=weights.get(goal.pk, 1),
                label=f"Weight in “{goal}”",
                widget=forms.NumberInput(attrs={"step": "any", "class": "form-control form-control-sm"}),
            )

    @property
    def parent_rows(self) -> list[dict]:
        """One row per candidate parent: the goal, whether it is ticked, and its weight field."""
        chosen = {str(v) for v in (self["parents"].value() or [])}
        return [{"goal": g, "checked": str(g.pk) in chosen, "weight": self[f"weight_{g.pk}"]} for g in self.candidates]

    @property
    def failed_letters(self) -> list[smart.Letter]:
        return [letter for letter in self.letters if letter.blocking]

    @property
    def stretch_needed(self) -> bool:
        return any(letter.field == "stretch_acknowledged" for letter in self.letters) or bool(
            self["stretch_acknowledged"].value()
        )

    def _key_results(self) -> list[KeyResultData]:
        if not self.key_results.is_valid():
            return []
        rows = []
        for form in self.key_results.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE") or not data.get("title"):
                continue
            instance = data.get("id")
            rows.append(
                KeyResultData(
                    title=data["title"],
                    weight=data.get("weight") or 1,
                    done_at=data.get("done_at"),
                    pk=instance.pk if instance else None,
                )
            )
        return rows

    def goal_data(self) -> GoalData:
        cleaned = self.cleaned_data
        parents = [(p, self.cleaned_data.get(f"weight_{p.pk}") or 1) for p in cleaned.get("parents") or []]
        values = {name: cleaned.get(name) for name in self.Meta.fields}
        values["direction"] = values["direction"] or ""
        values["stretch_acknowledged"] = bool(values["stretch_acknowledged"])
        data = GoalData(**values, parents=parents, key_results=self._key_results())
        return with_default_baseline(data, department=self.department)

    def clean(self):
        cleaned = super().clean()
        data = self.goal_data()
        goal = Goal(cycle=self.cycle, department=self.department, pk=self.instance.pk)
        for name in self.Meta.fields:
            setattr(goal, name, getattr(data, name))
        if data.baseline is not None and cleaned.get("baseline") is None:
            cleaned["baseline"] = data.baseline  # the metric's current figure, looked up once
        descendants = Graph.load(self.cycle.pk).descendants(goal.pk) if goal.pk else set()
        self.letters = smart.check_goal(
            goal,
            parents=[p for p, _w in data.parents],
            key_results=data.key_results,
            descendant_ids=descendants,
            new_target=target_is_new(self.instance if self.instance.pk else None, data),
        )
        for letter in self.letters:
            if not letter.blocking:
                continue
            target = letter.field if letter.field in self.fields else None
            if target and self.has_error(target):
                continue  # the field already says what is wrong with it
            self.add_error(target, letter.message)
        if "reason" in self.fields and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "The cycle is closed: say why this goal must change after all.")
        return cleaned


class KeyResultForm(BoundedDatesMixin, forms.ModelForm):
    class Meta:
        model = KeyResult
        fields = ["title", "weight", "done_at"]
        widgets = {"done_at": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        labels = {"title": "Milestone", "done_at": "Done on"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weight"].min_value = 0.01
        self.fields["weight"].widget.attrs.update(step="any", min="0.01")
        for name in ("title", "weight", "done_at"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"


class BaseKeyResultFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data and not data.get("DELETE") and not data.get("title") and form.has_changed():
                form.add_error("title", "Name the milestone, or clear its row.")


KeyResultFormSet = inlineformset_factory(
    Goal,
    KeyResult,
    form=KeyResultForm,
    formset=BaseKeyResultFormSet,
    extra=3,
    can_delete=True,
    max_num=50,
    absolute_max=50,
)


class CheckInForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Progress note", help_text="What moved since the last check-in."
    )
    confidence = forms.IntegerField(
        min_value=1,
        max_value=10,
        label="Confidence (1–10)",
        help_text="How likely the goal is to be met: 1 unlikely, 10 sure.",
    )
    blockers = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Anything in the way, and who could remove it.",
    )


class CycleForm(BoundedDatesMixin, forms.ModelForm):
    class Meta:
        model = GoalCycle
        fields = ["name", "start", "end"]
        widgets = {"start": forms.DateInput(attrs={"type": "date"}), "end": forms.DateInput(attrs={"type": "date"})}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", f"The cycle must end after it starts ({start:%d %b %Y}).")
        return cleaned


class CarryOverForm(forms.Form):
    to_cycle = forms.ModelChoiceField(queryset=GoalCycle.objects.none(), label="Into cycle", empty_label=None)
    goals = ModelMultipleChoiceField(
        queryset=Goal.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one goal to carry over."},
    )

    def __init__(self, *args, cycle: GoalCycle, goals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_cycle"].queryset = GoalCycle.objects.filter(closed_at__isnull=True).exclude(pk=cycle.pk)
        self.fields["goals"].queryset = goals
