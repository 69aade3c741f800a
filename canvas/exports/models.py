"""An export: what was asked (kind, selection, options), how far it got, and its file.

A row exists before anything runs (``queued``); a worker claims it (``running``, with a
lease it renews), and it ends ``ready`` (a file in storage until ``expires_at``) or
``failed`` (``error_code`` / ``error_message`` in words). State changes happen only in
canvas.exports.lifecycle; this module holds data and small read-only helpers.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


class ExportKind(models.TextChoices):
    PSD = "psd", "Layered PSD"
    PNG = "png", "PNG image"
    TIFF16 = "tiff16", "16-bit TIFF"
    ZIP = "zip", "ZIP package with manifest"
    PDF = "pdf", "Contact sheet PDF"
    VIDEO = "video", "Video clips (ProRes, MP4, PNG sequence)"


class ExportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Export(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    board = models.ForeignKey("canvas.Board", on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=ExportKind.choices)
    # Exactly one of {"items": [ids]}, {"frame": id}, {"batch": id}, as checked.
    selection = models.JSONField(default=dict)
    options = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=16, choices=ExportState.choices, default=ExportState.QUEUED)
    # Every change of the row bumps it; clients keep the newest version they saw.
    version = models.PositiveIntegerField(default=1)
    progress = models.FloatField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3)
    worker_id = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # When the run task was last handed to the dispatcher: a queued export whose task was
    # lost (process gone before it ran) is handed over again by the upkeep.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    file_key = models.CharField(max_length=300, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    mime_type = models.CharField(max_length=100, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["board", "-created_at"]),
            models.Index(fields=["state", "lease_expires_at"]),
            models.Index(fields=["state", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} export {self.pk} of {self.board_id} ({self.state})"

    def is_expired(self, now: datetime | None = None) -> bool:
        """A ready export whose file is gone or past its time: the list offers "export again"."""
        if self.state != ExportState.READY:
            return False
        return not self.file_key or (
            self.expires_at is not None and self.expires_at <= (now or timezone.now())
        )

    def downloadable(self, now: datetime | None = None) -> bool:
        return self.state == ExportState.READY and not self.is_expired(now)
