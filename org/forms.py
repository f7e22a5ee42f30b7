"""Forms people fill in about themselves: signing in and resetting a password."""

import hashlib
import logging
import math
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template import loader
from django.utils import timezone

from outbox.models import OutgoingEmail
from outbox.services import queue_email

log = logging.getLogger(__name__)


class SignInForm(AuthenticationForm):
    """Django's sign-in form; django-axes counts its failures per account and client address (settings.AXES_*)."""

    username = forms.CharField(
        label="Username or e-mail",
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username or e-mail and password do not match. Check both and try again; "
        "passwords are case-sensitive.",
        "locked": "Too many failed sign-in attempts for this account from here. Try again in %(minutes)s "
        "minute(s), or reset your password.",
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError as error:
            # django-axes marks the request when this account is locked at this address (now or before).
            if getattr(self.request, "axes_locked_out", False):
                minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
                raise forms.ValidationError(
                    self.error_messages["locked"], code="locked", params={"minutes": minutes}
                ) from error
            raise


def locked_out_response(request, original_response, credentials=None):
    """django-axes' lockout handler: keep Keel's sign-in page, which SignInForm has filled with the reason."""
    if original_response is not None:
        original_response.status_code = 429
        return original_response
    from django.http import HttpResponse

    return HttpResponse(
        SignInForm.error_messages["locked"] % {"minutes": math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)},
        status=429,
    )


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending through the outbox so a mail server hiccup is retried, not lost.

    At most settings.PASSWORD_RESET_EMAILS_PER_HOUR messages go to one address in an hour, whoever asks; the page
    says the same either way, so it reveals nothing about accounts.
    """

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        prefix = "password-reset:" + hashlib.sha256(to_email.strip().lower().encode()).hexdigest()[:40] + ":"
        now = timezone.now()
        sent = OutgoingEmail.objects.filter(
            dedup_key__startswith=prefix, created_at__gte=now - timedelta(hours=1)
        ).count()
        if sent >= settings.PASSWORD_RESET_EMAILS_PER_HOUR:
            log.info("password reset: %s e-mails in the last hour to one address, no more sent", sent)
            return
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        # The key makes requests that counted the same number at once share one message instead of adding more.
        queue_email(to=to_email, subject=subject, body=body, dedup_key=f"{prefix}{now:%Y%m%d%H}:{sent}")
