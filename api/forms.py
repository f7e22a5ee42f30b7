"""Forms of the token pages: a new token (name, scope, expiry) and a new service account."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.models import ApiToken
from core.forms import ModelMultipleChoiceField
from org.models import Department

LIFETIMES = [(30, _("30 days")), (90, _("90 days")), (180, _("180 days")), (365, _("1 year"))]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. “Help desk export”.")
    )
    scope = forms.ChoiceField(label=_("Scope"), choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ)
    lifetime = forms.TypedChoiceField(
        label=_("Expires after"),
        choices=LIFETIMES,
        coerce=int,
        initial=90,
        help_text=_("A token lives a year at most."),
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if "\x00" in name:
            raise forms.ValidationError(_("The name contains a NUL character; remove it."))
        return name

    def expires_at(self):
        return timezone.now() + timedelta(days=self.cleaned_data["lifetime"])


class ServiceAccountForm(forms.Form):
    username = forms.SlugField(
        label=_("Name"),
        max_length=60,
        help_text=_("Letters, digits, hyphens: e.g. helpdesk-sync. It appears as the recorder of its readings."),
    )
    description = forms.CharField(label=_("What it is for"), max_length=300, required=False)
    departments = ModelMultipleChoiceField(  # core's: refuses an id no database holds (SQLite: 500)
        label=_("Departments it works for"),
        queryset=Department.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("It reads and writes for these departments and every department below them."),
    )
