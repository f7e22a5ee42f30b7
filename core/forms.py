"""Form fields every app shares."""

from django import forms
from django.core.exceptions import ValidationError

# The largest id any id column can hold (a 64-bit integer): SQLite cannot even compare a bigger number.
LARGEST_ID = 2**63 - 1


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, refusing an id no database could hold as an invalid choice: such a number in an `IN (...)` list
    is an OverflowError on SQLite (Django guards only single-value lookups), which answered 500."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk).strip()
            if text.lstrip("+-").isdigit() and abs(int(text)) > LARGEST_ID:
                raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                      params={"pk": text[:20] + "…"})
        return super()._check_values(value)
