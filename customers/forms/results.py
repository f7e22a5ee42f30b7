"""Forms of the results pages: editing a follow-up, filtering the follow-up list, proposing a revision."""

from django import forms

from core.dates import BoundedDatesMixin
from customers.models import FollowUp
from org import access
from org.models import Department, User


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.display_name} · {obj.job_title}" if obj.job_title else obj.display_name


class FollowUpForm(BoundedDatesMixin, forms.ModelForm):
    class Meta:
        model = FollowUp
        fields = ["owner", "due_date", "status", "resolution"]
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "resolution": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"resolution": "Resolution note"}
        help_texts = {"resolution": "What was done, and what the customer heard back. Needed to close it."}
        field_classes = {"owner": OwnerChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        department = self.instance.department
        people = User.objects.filter(is_active=True, department__in=Department.objects.subtree_of(department))
        self.fields["owner"].queryset = people.order_by("first_name", "last_name")


class FollowUpFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("open", "Open"), ("closed", "Closed"), ("all", "All")])
    mine = forms.BooleanField(required=False, label="Only mine")
    campaign = forms.IntegerField(required=False, widget=forms.HiddenInput)


class FollowUpBulkForm(forms.Form):
    """The chosen follow-ups of the list and what to do with them; the view asks once before doing it."""

    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), label="Follow-ups")
    action = forms.ChoiceField(
        choices=[("", "Choose…"), ("assign", "Assign to…"), ("close", "Close with a note")], label="With the chosen"
    )
    owner = OwnerChoiceField(queryset=User.objects.none(), required=False, label="New owner")
    resolution = forms.CharField(
        required=False,
        max_length=4000,
        label="Resolution note",
        help_text="Needed to close: what was done, and what the customers heard back. The same note for all.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Any whole number is accepted here; the service keeps only the follow-ups the person manages.
        self.fields["ids"].choices = (
            [(v, v) for v in self.data.getlist("ids") if str(v).isdigit() and len(str(v)) <= 12] if self.data else []
        )
        self.fields["owner"].queryset = User.objects.filter(
            is_active=True, department__in=access.managed_departments(user)
        ).order_by("first_name", "last_name")

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign" and not data.get("owner"):
            self.add_error("owner", "Choose who takes them over.")
        if data.get("action") == "close" and not (data.get("resolution") or "").strip():
            self.add_error("resolution", "Say in a sentence what was done, e.g. “Called back; refund sent.”")
        return data
