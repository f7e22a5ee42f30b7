"""Forms people fill in about themselves: signing in and resetting a password."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template import loader

from core import throttle
from outbox.services import queue_email


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request else ""


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label="Username or e-mail", max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username or e-mail and password do not match. Check both and try again; "
        "passwords are case-sensitive.",
        "locked": "Too many failed sign-in attempts. Try again in %(minutes)s minute(s), or reset your password.",
    }

    def clean(self):
        username = self.cleaned_data.get("username", "")
        address = client_address(self.request)
        minutes = throttle.minutes_locked(username=username, address=address)
        if minutes:
            raise forms.ValidationError(self.error_messages["locked"], code="locked", params={"minutes": minutes})
        try:
            cleaned = super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login":
                throttle.record_failure(username=username, address=address)
            raise
        throttle.clear(username=username)
        return cleaned


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending through the outbox so a mail server hiccup is retried, not lost."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        queue_email(to=to_email, subject=subject, body=body)
