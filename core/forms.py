"""Forms every app shares: showing a service's RuleViolation, and fields that refuse what no database holds.

A service's RuleViolation is shown to the person who asked: on the form they sent, or as a message.

Every view that calls a service writes the same three lines around it; they live here once:

    with form_errors_from(form) as refused:
        campaign = services.create_campaign(by=request.user, **form.cleaned_data)
    if not refused:
        return redirect(campaign)
    return render(...)  # the bound form, with the service's message on its field or above it
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from core.exceptions import RuleViolation


class Refusal:
    """What a `with` block below caught: false while the service went through, true once it refused."""

    def __init__(self):
        self.violation: RuleViolation | None = None

    def __bool__(self) -> bool:
        return self.violation is not None

    @property
    def message(self) -> str | None:
        return self.violation.message if self.violation is not None else None


def add_violation(form: forms.BaseForm, violation: RuleViolation, *, on_field: bool = True) -> None:
    """Show the violation on the field it names when the form has that field (and on_field), else above the form."""
    field = violation.field if on_field and violation.field in form.fields else None
    form.add_error(field, violation.message)


@contextmanager
def form_errors_from(form: forms.BaseForm, *, on_field: bool = True) -> Iterator[Refusal]:
    """Run the block; a RuleViolation raised in it becomes an error of the form (see add_violation).

    on_field=False puts every message above the form, for forms whose fields are not what the service checks.
    """
    refusal = Refusal()
    try:
        yield refusal
    except RuleViolation as violation:
        refusal.violation = violation
        add_violation(form, violation, on_field=on_field)


@contextmanager
def message_from(request: HttpRequest, *, prefix: str = "") -> Iterator[Refusal]:
    """Run the block; a RuleViolation raised in it becomes an error message on the next page, after prefix."""
    refusal = Refusal()
    try:
        yield refusal
    except RuleViolation as violation:
        refusal.violation = violation
        messages.error(request, prefix + violation.message)


# The largest id any id column can hold (a 64-bit integer): SQLite cannot even compare a bigger number.
LARGEST_ID = 2**63 - 1


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, refusing an id no database could hold as an invalid choice: such a number in an `IN (...)` list
    is an OverflowError on SQLite (Django guards only single-value lookups), which answered 500."""

    def _check_values(self, value):
        for pk in value:
            digits = str(pk).strip().lstrip("+-")
            # ASCII digits only: "²" is a digit to isdigit() but not to int(), nor is "+-5"; 20+ digits overflow.
            if digits.isascii() and digits.isdigit() and (len(digits) > 19 or int(digits) > LARGEST_ID):
                text = str(pk).strip()
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": text[:20] + "…"}
                )
        return super()._check_values(value)


class PlainSelect(forms.Select):
    """A single-choice select written in one pass, without a template per option: a list of a hundred
    departments costs Django's option templates tens of milliseconds. Same markup as forms.Select (the
    attributes given, the chosen value marked `selected`); no option groups."""

    def render(self, name, value, attrs=None, renderer=None):
        from django.forms.utils import flatatt
        from django.utils.html import format_html, format_html_join

        chosen = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "\n",
            '<option value="{}"{}>{}</option>',
            (
                (option_value, " selected" if str(option_value) in chosen else "", label)
                for option_value, label in (
                    ("" if v is None else getattr(v, "value", v), label) for v, label in self.choices
                )
            ),
        )
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return format_html("<select{}>\n{}\n</select>", flatatt(final), options)
