"""Uploaded files waiting between their preview and their confirmation, kept in the database.

An import is previewed in one request and confirmed in another, which in production may reach another web
machine; so the file waits in the database, in pieces of CHUNK bytes, rather than on one machine's disk. Each
waiting file belongs to the person who uploaded it: an unknown token, or someone else's, is not found (the
pages answer 404). Reading streams the file a piece at a time, so a large file is never held whole in memory.

A person keeps at most KEPT_PER_PERSON waiting files of each kind (the oldest go first), and every new upload
removes anyone's files left waiting longer than ABANDONED_AFTER.
"""

import io
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from core.models import PendingUpload, PendingUploadChunk

CHUNK = 1024 * 1024
KEPT_PER_PERSON = 5
ABANDONED_AFTER = timedelta(days=1)
TOKEN = re.compile(r"[0-9a-f]{32}")


class UploadGone(Exception):
    """The waiting file was removed (discarded, replaced, expired) while it was being read."""


def keep(*, user: AbstractBaseUser, upload: UploadedFile, kind: str, data: dict | None = None) -> PendingUpload:
    """Store an uploaded file for `user` until it is confirmed or discarded; `data` is kept with it."""
    remove_abandoned()
    with transaction.atomic():
        pending = PendingUpload.objects.create(
            token=secrets.token_hex(16),
            user=user,
            kind=kind,
            name=Path(upload.name or "upload").name[:200],
            data=data or {},
        )
        buffer, seq = bytearray(), 0
        for piece in upload.chunks():
            buffer += piece
            while len(buffer) >= CHUNK:
                PendingUploadChunk.objects.create(upload=pending, seq=seq, data=bytes(buffer[:CHUNK]))
                del buffer[:CHUNK]
                seq += 1
            pending.size += len(piece)
        if buffer:
            PendingUploadChunk.objects.create(upload=pending, seq=seq, data=bytes(buffer))
        pending.save(update_fields=["size"])
        older = (
            PendingUpload.objects.filter(user=user, kind=kind)
            .order_by("-created_at", "-pk")
            .values_list("pk", flat=True)[KEPT_PER_PERSON:]
        )
        _delete(PendingUpload.objects.filter(pk__in=list(older)))
    return pending


def find(*, user: AbstractBaseUser, token: str, kind: str, lock: bool = False) -> PendingUpload | None:
    """The user's waiting file of this kind with this token, or None; lock=True holds its row until the
    transaction ends (one confirmation at a time)."""
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        return None
    found = PendingUpload.objects.filter(token=token, user=user, kind=kind)
    return (found.select_for_update() if lock else found).first()


def forget(pending: PendingUpload) -> None:
    """Remove a waiting file (imported or discarded)."""
    _delete(PendingUpload.objects.filter(pk=pending.pk))


def remove_abandoned() -> int:
    """Remove every waiting file older than ABANDONED_AFTER; returns how many went."""
    return _delete(PendingUpload.objects.filter(created_at__lt=timezone.now() - ABANDONED_AFTER))


def _delete(uploads) -> int:
    """Delete uploads and their pieces in two statements (the pieces are never loaded)."""
    ids = list(uploads.values_list("pk", flat=True))
    if ids:
        PendingUploadChunk.objects.filter(upload_id__in=ids).delete()
        PendingUpload.objects.filter(pk__in=ids).delete()
    return len(ids)


def open_upload(pending: PendingUpload) -> BinaryIO:
    """The waiting file as a seekable binary stream that fetches one piece at a time."""
    return io.BufferedReader(_ChunkReader(pending.pk, pending.size), buffer_size=64 * 1024)


class _ChunkReader(io.RawIOBase):
    def __init__(self, upload_id: int, size: int):
        super().__init__()
        self._upload_id, self._size, self._position = upload_id, size, 0
        self._cached: tuple[int, bytes] | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._position = base + offset
        return self._position

    def readinto(self, buffer) -> int:
        if self._position >= self._size:
            return 0
        seq, skip = divmod(self._position, CHUNK)
        piece = self._piece(seq)
        count = min(len(buffer), len(piece) - skip)
        buffer[:count] = piece[skip : skip + count]
        self._position += count
        return count

    def _piece(self, seq: int) -> bytes:
        if self._cached is None or self._cached[0] != seq:
            data = (
                PendingUploadChunk.objects.filter(upload_id=self._upload_id, seq=seq)
                .values_list("data", flat=True)
                .first()
            )
            if data is None:
                raise UploadGone("the waiting file was removed while it was being read")
            self._cached = (seq, bytes(data))
        return self._cached[1]
