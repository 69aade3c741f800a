"""Stored image files.

A ``Blob`` is one set of bytes, keyed by its SHA-256: uploading the same file twice, to
any board, stores it once. An ``Asset`` is a blob placed in a board's library (an upload,
or later a generated result): it carries the board (and so who may see it), the original
file name and who added it. Files are reachable only through an Asset's board.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class DerivativeState(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Blob(models.Model):
    sha256 = models.CharField(max_length=64, primary_key=True)
    storage_key = models.CharField(max_length=200)  # original bytes, untouched
    format = models.CharField(max_length=16)  # Pillow format name: PNG, JPEG, WEBP, …
    mime_type = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField()
    # Display geometry: after EXIF orientation is applied.
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    stored_width = models.PositiveIntegerField()  # as encoded in the file
    stored_height = models.PositiveIntegerField()
    exif_orientation = models.PositiveSmallIntegerField(default=1)
    mode = models.CharField(max_length=16)  # Pillow mode: RGB, RGBA, CMYK, I;16, P, …
    bit_depth = models.PositiveSmallIntegerField(default=8)  # bits per channel
    has_alpha = models.BooleanField(default=False)
    frame_count = models.PositiveIntegerField(default=1)
    icc_profile = models.BinaryField(null=True, blank=True)
    icc_description = models.CharField(max_length=200, blank=True)
    derivative_state = models.CharField(
        max_length=16, choices=DerivativeState.choices, default=DerivativeState.PENDING
    )
    # Long-edge sizes of the WebP derivatives that exist, ascending, e.g. [256, 1024, 2048].
    derivative_levels = models.JSONField(default=list, blank=True)
    derivative_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The upkeep's look for previews still pending (assets.services.requeue_stale_derivatives).
        indexes = [
            models.Index(fields=["derivative_state", "created_at"], name="blob_pending_previews")
        ]

    def __str__(self) -> str:
        return f"{self.sha256[:12]} {self.format} {self.width}×{self.height}"

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1_000_000


class AssetSource(models.TextChoices):
    UPLOAD = "upload", "Upload"
    GENERATED = "generated", "Generated"
    DEMO = "demo", "Demo sample"


class Asset(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    board = models.ForeignKey("canvas.Board", on_delete=models.CASCADE, related_name="assets")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="assets")
    filename = models.CharField(max_length=255)  # sanitised original name, for downloads
    source = models.CharField(
        max_length=16, choices=AssetSource.choices, default=AssetSource.UPLOAD
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["board", "-created_at"])]

    def __str__(self) -> str:
        return self.filename
