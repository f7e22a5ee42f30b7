"""Rows the shared infrastructure keeps: uploaded files waiting between their preview and their confirmation."""

from django.conf import settings
from django.db import models


class PendingUpload(models.Model):
    """An uploaded file waiting between its preview and its confirmation (core.uploads), owned by its uploader.

    Kept in the database, not on a web machine's disk: the confirmation may reach another machine.
    """

    token = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40, help_text="Which import it is for, e.g. “readings”.")
    name = models.CharField(max_length=200, help_text="The file's name on the uploader's computer.")
    size = models.PositiveBigIntegerField(default=0)
    data = models.JSONField(default=dict, blank=True, help_text="What the import needs besides the file.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "org_pendingupload"  # created by org before the move to core
        indexes = [models.Index(fields=["user", "kind", "created_at"], name="org_upload_by_user_kind")]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}, {self.user_id})"


class PendingUploadChunk(models.Model):
    """One piece of a pending upload, in order; every piece but the last has core.uploads.CHUNK bytes."""

    upload = models.ForeignKey(PendingUpload, on_delete=models.CASCADE, related_name="+", db_index=False)
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        db_table = "org_pendinguploadchunk"
        constraints = [models.UniqueConstraint(fields=["upload", "seq"], name="org_upload_chunk_once")]

    def __str__(self) -> str:
        return f"{self.upload_id}#{self.seq}"


class DataStamp(models.Model):
    """A topic's current version (core.stamps): written only by the database triggers core.stamps installs."""

    topic = models.CharField(max_length=40, primary_key=True)
    version = models.BigIntegerField()

    class Meta:
        db_table = "core_datastamp"

    def __str__(self) -> str:
        return f"{self.topic} @ {self.version}"
