"""Files waiting for their confirmation: kept in the database in pieces, private to their uploader, streamed."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core import uploads
from core.models import PendingUpload, PendingUploadChunk
from metrics.services import imports


@pytest.fixture
def small_pieces(monkeypatch):
    monkeypatch.setattr(uploads, "CHUNK", 10)


def keep(user, body: bytes, kind="readings", **kwargs):
    return uploads.keep(user=user, upload=SimpleUploadedFile("file.csv", body), kind=kind, **kwargs)


def test_a_file_comes_back_whole_from_its_pieces_and_seeks(org, small_pieces):
    body = bytes(range(256)) * 3  # 768 bytes: 77 pieces, the last of 8 bytes
    pending = keep(org.alice, body)
    assert pending.size == 768 and PendingUploadChunk.objects.filter(upload=pending).count() == 77
    with uploads.open_upload(pending) as stream:
        assert stream.read() == body
        assert stream.seek(5) == 5 and stream.read(20) == body[5:25] and stream.tell() == 25
        stream.seek(-3, io.SEEK_END)
        assert stream.read() == body[-3:] and stream.read() == b""


def test_a_file_is_found_only_by_its_uploader_and_for_its_kind(org):
    pending = keep(org.alice, b"metric,value\n", data={"department": org.support.pk})
    assert uploads.find(user=org.alice, token=pending.token, kind="readings").data == {"department": org.support.pk}
    assert uploads.find(user=org.bob, token=pending.token, kind="readings") is None
    assert uploads.find(user=org.alice, token=pending.token, kind="customers") is None
    for token in ("0" * 32, "../etc/passwd", "", None):
        assert uploads.find(user=org.alice, token=token, kind="readings") is None


def test_forgetting_removes_the_pieces_too(org, small_pieces):
    pending = keep(org.alice, b"x" * 95)
    uploads.forget(pending)
    assert not PendingUpload.objects.exists() and not PendingUploadChunk.objects.exists()


def test_a_person_keeps_their_latest_files_of_each_kind(org):
    tokens = [keep(org.alice, b"a").token for _ in range(uploads.KEPT_PER_PERSON + 2)]
    other = keep(org.alice, b"c", kind="customers")
    theirs = keep(org.bob, b"b")
    kept = set(PendingUpload.objects.values_list("token", flat=True))
    assert kept == {*tokens[2:], other.token, theirs.token}


def test_files_left_waiting_a_day_go_with_the_next_upload(org):
    old = keep(org.bob, b"old")
    PendingUpload.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - uploads.ABANDONED_AFTER - timedelta(minutes=1)
    )
    keep(org.alice, b"new")
    assert list(PendingUpload.objects.values_list("name", flat=True)) == ["file.csv"]
    assert not PendingUploadChunk.objects.filter(upload_id=old.pk).exists()


def test_an_import_reads_across_pieces_and_finds_the_line_that_is_not_utf8(org, small_pieces):
    lines = [b"metric,person,measured_at,value,denominator,note"] + [b"fcr,bob,2026-10-05,80,,"] * 6
    lines.insert(5, b"fcr,bob,2026-10-06,80,,caf\xe9")
    pending = keep(org.alice, b"\n".join(lines) + b"\n")
    with uploads.open_upload(pending) as stream:
        report = imports.check_import(file=stream, recorded_by=org.alice)
    assert report.file_error.startswith("The file is not UTF-8 text (line 6 is not)")
