"""Forms for refresher programmes, quizzes, taking a quiz and filtering the compliance report; the services hold
the rules, these say how to fix what a person typed."""

from django import forms
from django.forms import formset_factory

from core.dates import BoundedDatesMixin
from core.forms import ModelMultipleChoiceField, PlainSelect
from goals.forms.definitions import DepartmentChoiceField, DepartmentsChoiceField
from goals.models import QualityDefinition
from org import access
from org.models import Department
from reviews.models import Question, RefresherProgramme
from reviews.services import training
from reviews.services.quizzes import MAX_OPTIONS, QuestionRow


class ProgrammeForm(BoundedDatesMixin, forms.ModelForm):
    departments = DepartmentsChoiceField(
        queryset=Department.objects.order_by("path"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Everyone in these departments and below them.",
    )
    definitions = ModelMultipleChoiceField(
        queryset=QualityDefinition.objects.active().order_by("title"),
        widget=forms.CheckboxSelectMultiple,
        help_text="The quality definitions they must be refreshed on.",
    )
    every_months = forms.IntegerField(
        label="Every (months)",
        min_value=1,
        max_value=60,
        help_text="e.g. 6 for twice a year, 12 for yearly.",
        error_messages={
            "min_value": "Refresh at least once every 60 months and at most every month (1 to 60).",
            "max_value": "Refresh at least once every 60 months and at most every month (1 to 60).",
        },
    )

    class Meta:
        model = RefresherProgramme
        fields = ["name", "departments", "definitions", "every_months", "window", "fixed_date", "active"]
        widgets = {"window": forms.RadioSelect, "fixed_date": forms.DateInput(attrs={"type": "date"})}
        help_texts = {"name": "e.g. “Customer service: every 6 months”."}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("window") == RefresherProgramme.Window.FIXED and not cleaned.get("fixed_date"):
            self.add_error("fixed_date", "A fixed window needs its first deadline; later ones follow every N months.")
        return cleaned


class QuizForm(forms.Form):
    pass_mark = forms.IntegerField(
        label="Pass mark (%)",
        help_text="Percentage of questions right to pass, 0 to 100.",
        error_messages={"required": "Give a pass mark from 0 to 100."},
    )
    published = forms.BooleanField(label="Open: people can take it", required=False)

    def clean_pass_mark(self):
        value = self.cleaned_data["pass_mark"]
        if not 0 <= value <= 100:
            raise forms.ValidationError(f"The pass mark is a percentage from 0 to 100 (not {value}).")
        return value


class QuestionForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(choices=Question.Kind.choices, initial=Question.Kind.MULTIPLE_CHOICE)
    text = forms.CharField(label="Question", max_length=500, required=False)
    explanation = forms.CharField(
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown after submission to those who missed it: why the right answer is right.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, MAX_OPTIONS + 1):
            self.fields[f"option_{n}"] = forms.CharField(label=f"Option {n}", max_length=300, required=False)
            self.fields[f"correct_{n}"] = forms.BooleanField(label="Correct", required=False)

    def option_pairs(self):
        """(text field, correct field) bound pairs, for the template."""
        return [(self[f"option_{n}"], self[f"correct_{n}"]) for n in range(1, MAX_OPTIONS + 1)]

    def to_row(self) -> QuestionRow | None:
        """The question as typed, or None for an empty or deleted row. True/false options default to
        True and False, in that order."""
        data = self.cleaned_data
        if not data or data.get("DELETE") or not (data.get("text") or "").strip():
            return None
        options = [
            (data[f"option_{n}"].strip(), bool(data[f"correct_{n}"]))
            for n in range(1, MAX_OPTIONS + 1)
            if (data.get(f"option_{n}") or "").strip()
        ]
        if data["kind"] == Question.Kind.TRUE_FALSE and not options:
            options = [("True", bool(data["correct_1"])), ("False", bool(data["correct_2"]))]
        return QuestionRow(
            id=data.get("id"),
            kind=data["kind"],
            text=data["text"],
            explanation=data.get("explanation") or "",
            options=options,
        )

    @staticmethod
    def initial_for(row: QuestionRow) -> dict:
        initial = {"id": row.id, "kind": row.kind, "text": row.text, "explanation": row.explanation}
        for n, (text, correct) in enumerate(row.options, start=1):
            initial[f"option_{n}"], initial[f"correct_{n}"] = text, correct
        return initial


QuestionFormSet = formset_factory(QuestionForm, extra=2, can_delete=True, max_num=30, absolute_max=30)


class QuizAnswerForm(forms.Form):
    """One radio group per question, in the attempt's shuffled order; option ids only, never which is correct."""

    def __init__(self, *args, shown, **kwargs):
        super().__init__(*args, **kwargs)
        for number, question in enumerate(shown, start=1):
            self.fields[f"q{question.id}"] = forms.TypedChoiceField(
                label=f"{number}. {question.text}",
                choices=question.options,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": "Choose an answer to this question."},
            )

    def answers(self) -> dict[int, int]:
        return {int(name[1:]): value for name, value in self.cleaned_data.items()}


class ComplianceFilterForm(forms.Form):
    department = DepartmentChoiceField(
        queryset=Department.objects.none(), required=False, empty_label="All my departments", widget=PlainSelect
    )
    definition = forms.ModelChoiceField(
        queryset=QualityDefinition.objects.none(), required=False, empty_label="All definitions"
    )
    state = forms.ChoiceField(
        choices=[("", "Any status"), *[(s, training.LOOKS[s].label) for s in training.STATES]],
        required=False,
        label="Status",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = access.managed_departments(user).order_by("path")
        self.fields["definition"].queryset = (
            QualityDefinition.objects.active().filter(refresher_programmes__active=True).distinct().order_by("title")
        )

    def value(self, name):
        return self.cleaned_data.get(name) if self.is_valid() else None
