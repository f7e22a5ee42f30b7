"""Forms of the CSV import pages: choosing the file, and confirming what the preview showed."""

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from metrics.services import imports

DETECT = "detect"


class UploadReadingsForm(forms.Form):
    """The file and its decimal separator; cleaned_data["decimal"] is imports.POINT or imports.COMMA (detected
    from the file's shape when the person leaves it to Keel) and cleaned_data["decimal_detected"] says which."""

    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8 CSV, up to {filesizeformat(imports.MAX_BYTES)} and {imports.MAX_ROWS:,} readings. "
        "Nothing is saved until you confirm on the next page.",
        error_messages={
            "empty": "This file is empty (0 bytes). Choose the CSV file with your readings.",
            "required": "Choose the CSV file with your readings.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    decimal = forms.ChoiceField(
        label="Decimal separator in the file",
        choices=[
            (
                DETECT,
                "Detect it: a comma if the columns are separated by semicolons (as spreadsheets set to most "
                "European languages save them), otherwise a point",
            ),
            (imports.POINT, "A point: 87.5 and 1,234.5"),
            (imports.COMMA, "A comma: 87,5 and 1.234,5"),
        ],
        initial=DETECT,
        required=False,  # left out (an older form, a script): detected
        widget=forms.RadioSelect,
        help_text="A value that could be read either way, such as 1,500, is refused rather than guessed.",
        error_messages={"invalid_choice": "Choose a point or a comma as the decimal separator, or let Keel detect it."},
    )

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise forms.ValidationError(
                f"This file is {filesizeformat(upload.size)}; the limit is {filesizeformat(imports.MAX_BYTES)}. "
                "Split it into smaller files and import them one after the other."
            )
        self.shape = imports.FileShape()
        try:
            imports.read_header(stream=upload, shape=self.shape)
        except imports.ImportFileError as error:
            raise forms.ValidationError(error.message) from None
        finally:
            upload.seek(0)
        return upload

    def clean(self) -> dict:
        data = super().clean()
        if data.get("decimal") in (DETECT, "", None):
            shape = getattr(self, "shape", None)
            data["decimal"] = shape.decimal if shape else imports.POINT
            data["decimal_detected"] = True
        else:
            data["decimal_detected"] = False
        return data


class ConfirmImportForm(forms.Form):
    valid_only = forms.BooleanField(required=False, label="Import the valid rows only, skipping those with problems")
