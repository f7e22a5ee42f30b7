"""Forms of the CSV import pages: choosing the file, and confirming what the preview showed."""

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from metrics.services import imports


class UploadReadingsForm(forms.Form):
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

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise forms.ValidationError(
                f"This file is {filesizeformat(upload.size)}; the limit is {filesizeformat(imports.MAX_BYTES)}. "
                "Split it into smaller files and import them one after the other.")
        try:
            imports.read_header(stream=upload)
        except imports.ImportFileError as error:
            raise forms.ValidationError(error.message) from None
        finally:
            upload.seek(0)
        return upload


class ConfirmImportForm(forms.Form):
    valid_only = forms.BooleanField(required=False, label="Import the valid rows only, skipping those with problems")
