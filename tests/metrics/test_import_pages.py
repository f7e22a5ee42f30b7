"""The import pages: upload, preview with per-row problems, confirm or discard; the waiting file is private."""

from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.models import PendingUpload
from metrics.models import Reading
from metrics.services import imports
from tests.metrics.factories import MetricFactory

HEADER = "metric,person,measured_at,value,denominator,note"
UPLOAD = reverse("metrics:import")


def csv_upload(*lines: str, header: str = HEADER, name: str = "readings.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\n".join([header, *lines, ""]).encode(), content_type="text/csv")


@pytest.fixture
def fcr(org):
    return MetricFactory(
        department=org.support, name="First-contact resolution", code="fcr", min_value=0, max_value=100
    )


def upload(client, *lines, **kwargs):
    """Upload a file and return the preview URL it leads to."""
    response = client.post(UPLOAD, {"file": csv_upload(*lines, **kwargs)})
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    return response.url


def waiting_files(settings=None) -> list:
    """The tokens of the files waiting in the database for their confirmation."""
    return sorted(PendingUpload.objects.values_list("token", flat=True))


def test_anonymous_people_are_sent_to_sign_in(client, db):
    for url in (UPLOAD, reverse("metrics:import_preview", args=["0" * 32])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_upload_page_documents_the_format_with_a_template_and_the_metric_codes(client, org, fcr):
    client.force_login(org.bob)
    response = client.get(UPLOAD)
    html = response.content.decode()
    assert response.status_code == 200
    for column in imports.COLUMNS:
        assert f"<code>{column}</code>" in html
    assert "<code>fcr</code>" in html and "First-contact resolution" in html
    href = response.context["template_href"]
    assert href.startswith("data:text/csv") and f'href="{href}" download="keel-readings.csv"' in html
    assert unquote(href.split(",", 1)[1]).startswith(HEADER + "\r\n")
    assert 'enctype="multipart/form-data"' in html


def test_it_uploads_previews_and_imports(client, org, fcr, settings):
    client.force_login(org.alice)
    preview = upload(client, "fcr,bob,2026-10-05T09:30Z,80,,", "fcr,alice,2026-10-05,90,,good day")
    assert len(waiting_files(settings)) == 1
    response = client.get(preview)
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.rows, report.rejected_rows) == (2, 0)
    html = response.content.decode()
    assert "Every row can be imported." in html and "Import 2 readings" in html and "good day" in html
    assert Reading.objects.count() == 0  # the preview writes nothing

    response = client.post(preview, follow=True)
    assert response.redirect_chain == [(UPLOAD, 302)]
    assert "Imported 2 readings from readings.csv: 2 new, 0 updated, 0 rows rejected." in response.content.decode()
    assert Reading.objects.filter(source=Reading.Source.CSV, recorded_by=org.alice).count() == 2
    assert waiting_files(settings) == []
    assert client.get(preview).url == UPLOAD  # used up: "was imported already"


def test_the_preview_shows_each_rows_problems_and_the_totals(client, org, fcr):
    client.force_login(org.alice)
    lines = [f"fcr,bob,2026-10-{day:02d},80,," for day in range(1, 25)] + ["fcr,bob,2026-10-26,180,,"]
    response = client.get(upload(client, "nope,bob,2026-10-05,80,,", *lines))
    report = response.context["report"]
    assert (report.rows, report.valid_rows, report.rejected_rows) == (26, 24, 2)
    assert len(report.preview) == 20
    html = response.content.decode()
    assert 'class="table-danger" data-line="2"' in html
    assert "There is no metric with the code “nope”" in html
    assert "Line 27:" in html and "above the highest valid value" in html  # beyond the preview, in the list
    assert "Import the 24 valid rows only" in html and "Import 26 readings" not in html


def test_a_failed_confirm_shows_the_problems_and_saves_nothing(client, org, fcr):
    client.force_login(org.alice)
    preview = upload(client, "fcr,bob,2026-10-05,80,,", "fcr,bob,2026-10-06,800,,")
    response = client.post(preview)  # all or nothing, though the preview offered only the valid rows
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing imported from readings.csv: 1 of 2 rows has problems" in html
    assert "above the highest valid value" in html
    assert Reading.objects.count() == 0
    assert client.get(preview).status_code == 200  # the file is still there to fix or import in part


def test_importing_the_valid_rows_only_skips_the_others(client, org, fcr, settings):
    client.force_login(org.alice)
    preview = upload(client, "fcr,bob,2026-10-05,80,,", "fcr,bob,2026-10-06,800,,")
    response = client.post(preview, {"valid_only": "on"}, follow=True)
    assert "Imported 1 reading from readings.csv: 1 new, 0 updated, 1 row rejected." in response.content.decode()
    assert Reading.objects.get().value == 80
    assert waiting_files(settings) == []


def test_an_employee_sees_why_they_cannot_import_someone_elses_reading(client, org, fcr):
    client.force_login(org.bob)
    response = client.post(upload(client, "fcr,alice,2026-10-05,80,,"))
    assert "You may not record readings of “First-contact resolution” for Alice Archer" in response.content.decode()
    assert Reading.objects.count() == 0


def test_a_file_too_large_for_memory_is_checked_and_kept_from_its_temporary_file(client, org, fcr, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload goes to a temporary file, as big ones do
    client.force_login(org.alice)
    preview = upload(client, "fcr,bob,2026-10-05,80,,")
    assert client.get(preview).context["report"].rows == 1
    response = client.post(UPLOAD, {"file": csv_upload("fcr,bob", header="metric,who")})
    assert "unknown column(s) “who”" in response.context["form"].errors["file"][0]


def test_an_empty_file_gets_a_message_on_the_field(client, org):
    client.force_login(org.alice)
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("empty.csv", b"")})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "file": ["This file is empty (0 bytes). Choose the CSV file with your readings."]
    }


def test_wrong_columns_get_a_message_on_the_field(client, org, settings):
    client.force_login(org.alice)
    response = client.post(UPLOAD, {"file": csv_upload("fcr,bob", header="metric,who")})
    [message] = response.context["form"].errors["file"]
    assert "unknown column(s) “who”" in message and "missing column(s) “measured_at”, “value”" in message
    assert "is-invalid" in response.content.decode()
    assert waiting_files() == []


def test_a_file_over_the_size_limit_is_refused(client, org, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 100)
    client.force_login(org.alice)
    response = client.post(UPLOAD, {"file": csv_upload(*["fcr,bob,2026-10-05,80,,"] * 10)})
    assert response.context["form"].errors["file"] == [
        "This file is 289\xa0bytes; the limit is 100\xa0bytes. Split it into smaller files and import them one "
        "after the other."
    ]


def test_a_file_that_is_not_utf8_from_the_start_gets_a_message_on_the_field(client, org, fcr):
    client.force_login(org.alice)
    body = (HEADER + "\nfcr,bob,2026-10-05,80,,\nfcr,bob,2026-10-06,80,,Müller\n").encode("latin-1")
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("latin.csv", body)})
    [message] = response.context["form"].errors["file"]
    assert message.startswith("The file is not UTF-8 text (line 3 is not)")


def test_a_file_that_is_not_utf8_further_on_is_refused_on_the_preview(client, org, fcr):
    client.force_login(org.alice)
    lines = [f"fcr,bob,2026-10-01T00:{n % 60:02d}:{n // 60:02d}Z,80,," for n in range(1000)]
    body = ("\n".join([HEADER, *lines, ""])).encode() + "fcr,bob,2026-10-02,80,,Müller\n".encode("latin-1")
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("latin.csv", body)}, follow=True)
    html = response.content.decode()
    assert "data-file-error" in html and "The file is not UTF-8 text (line 1002 is not)" in html
    assert "data-preview" not in html and "Import " not in html.split("data-file-error")[1]


def test_another_persons_upload_is_not_found(client, org, fcr, settings):
    client.force_login(org.alice)
    preview = upload(client, "fcr,bob,2026-10-05,80,,")
    client.force_login(org.charlie)
    assert client.get(preview).status_code == 404
    assert client.post(preview).status_code == 404
    assert client.post(preview + "discard/").status_code == 404
    assert Reading.objects.count() == 0 and len(waiting_files(settings)) == 1


@pytest.mark.parametrize("token", ["0" * 32, "..", "etc-passwd", "A" * 32])
def test_made_up_tokens_are_not_found(client, org, token):
    client.force_login(org.alice)
    assert client.get(f"{UPLOAD}{token}/").status_code == 404


def test_discarding_deletes_the_waiting_file(client, org, fcr, settings):
    client.force_login(org.alice)
    preview = upload(client, "fcr,bob,2026-10-05,80,,")
    response = client.post(preview + "discard/", follow=True)
    assert "nothing was imported" in response.content.decode()
    assert waiting_files(settings) == [] and client.get(preview).status_code == 404


def test_only_a_persons_latest_uploads_are_kept(client, org, fcr, settings):
    client.force_login(org.alice)
    previews = [upload(client, f"fcr,bob,2026-10-{day:02d},80,,") for day in range(1, 8)]
    assert len(waiting_files(settings)) == 5
    assert client.get(previews[0]).status_code == 404 and client.get(previews[-1]).status_code == 200


def test_abandoned_uploads_are_removed_by_the_next_upload(client, org, fcr, settings):
    client.force_login(org.alice)
    upload(client, "fcr,bob,2026-10-05,80,,")
    [old] = waiting_files(settings)
    PendingUpload.objects.update(created_at=timezone.now() - timedelta(days=1, minutes=1))
    upload(client, "fcr,bob,2026-10-06,80,,")
    assert old not in waiting_files(settings) and len(waiting_files(settings)) == 1


def test_the_preview_runs_a_bounded_number_of_queries(client, org, fcr, django_assert_max_num_queries):
    client.force_login(org.alice)
    preview = upload(client, *[f"fcr,bob,2026-10-{day % 28 + 1:02d}T{day % 24:02d}:00Z,80,," for day in range(500)])
    # session, user, the check's job (its report was made at the upload), alice's managed paths, her department
    with django_assert_max_num_queries(5):
        assert client.get(preview).status_code == 200


def test_the_upload_form_offers_the_decimal_separator_and_detects_it_by_default(client, org):
    client.force_login(org.alice)
    form = client.get(UPLOAD).context["form"]
    assert form["decimal"].initial == "detect"
    assert [value for value, _ in form.fields["decimal"].choices] == ["detect", "point", "comma"]


def test_a_semicolon_file_with_decimal_commas_is_previewed_as_such_and_imported(client, org, fcr):
    client.force_login(org.alice)
    preview = upload(client, "fcr;bob;2026-10-05;87,5;;", header=HEADER.replace(",", ";"))
    response = client.get(preview)
    assert response.context["report"].ok
    assert response.context["report"].decimal == "comma"
    assert "Decimal separator: <strong>a comma</strong>" in response.content.decode()
    assert "detected: the file's columns are separated by semicolons" in response.content.decode()
    client.post(preview, follow=True)
    assert Reading.objects.get().value == 87.5


def test_a_chosen_decimal_separator_is_used_and_shown(client, org, fcr):
    client.force_login(org.alice)
    response = client.post(
        UPLOAD, {"file": csv_upload('fcr,bob,2026-10-05,"0,500",,'), "decimal": "comma"}, follow=True
    )
    report = response.context["report"]
    assert (report.ok, report.decimal, report.decimal_detected) == (True, "comma", False)
    assert "a comma</strong>" in response.content.decode() and ", as chosen." in response.content.decode()


def test_the_preview_refuses_a_decimal_comma_and_can_check_again_with_one(client, org, fcr):
    # Before issue 12 "0,500" was previewed as fine and imported as 500.
    client.force_login(org.alice)
    preview = upload(client, 'fcr,bob,2026-10-05,"0,500",,', 'fcr,bob,2026-10-06,"1,500",,')
    report = client.get(preview).context["report"]
    assert report.rejected_rows == 2
    assert "“0,500” is written with a decimal comma (0.5)" in report.problems[0].message
    assert "“1,500” could be 1500 (a comma grouping thousands) or 1.5 (a decimal comma)" in report.problems[1].message
    response = client.post(preview + "decimal/", {"decimal": "comma"}, follow=True)
    report = response.context["report"]
    assert (report.ok, report.decimal) == (True, "comma")
    client.post(preview, follow=True)
    assert sorted(Reading.objects.values_list("value", flat=True)) == [0.5, 1.5]


def test_another_persons_upload_cannot_be_checked_again(client, org, fcr):
    client.force_login(org.alice)
    preview = upload(client, "fcr,bob,2026-10-05,80,,")
    client.force_login(org.bob)
    assert client.post(preview + "decimal/", {"decimal": "comma"}).status_code == 404


def test_checking_again_needs_a_point_or_a_comma(client, org, fcr):
    client.force_login(org.alice)
    preview = upload(client, "fcr,bob,2026-10-05,80,,")
    response = client.post(preview + "decimal/", {"decimal": "semicolon"}, follow=True)
    assert "Choose a point or a comma as the file&#x27;s decimal separator." in response.content.decode()
    assert response.context["report"].decimal == "point"
    assert client.get(preview + "decimal/").status_code == 405
