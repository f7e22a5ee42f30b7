"""The subscription form: what a person types; the rules (who, which URL) are checked by webhooks.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from org import access
from webhooks.events import SUBSCRIBABLE
from webhooks.models import Subscription
from webhooks.targets import TargetRefused, parse


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=2000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
        help_text=Subscription._meta.get_field("url").help_text,
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=SUBSCRIBABLE,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event to send.")},
    )

    class Meta:
        model = Subscription
        fields = ["name", "url", "department", "events", "format", "is_active", "allow_private_targets"]
        widgets = {"format": forms.RadioSelect}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = access.managed_departments(user).order_by("path")
        self.fields["department"].empty_label = None
        if not access.is_admin(user):
            del self.fields["allow_private_targets"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        try:
            parse(url)  # the address itself is resolved and checked when the service saves it
        except TargetRefused as refused:
            raise forms.ValidationError(refused.message) from None
        return url
