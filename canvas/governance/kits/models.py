"""Brand kit rows: a kit per team, its immutable versions, its uploaded reference images.

A ``BrandKit`` is a name in a team. Everything a kit says lives in a ``BrandKitVersion``:
``content`` is one validated ``canvas.governance.kits.content.KitContent`` (palette,
references, prompt template, negative prompt, style presets, engine and settings,
required anchor roles, locks). Versions are never changed: editing a kit writes version
n + 1, so a job that ran with version 3 keeps pointing at version 3 (its provenance
records kit id and version number). A ``BrandKitReference`` is an uploaded image, stored
once as an ``assets.Blob`` (content-addressed, never on a board); versions list the
references they use by id.

A board uses at most one kit (``Board.brand_kit``); it follows the kit's latest version
unless ``Board.brand_kit_version`` pins one. Deleting a kit only marks it deleted: its
versions stay, as the record behind old results. This module holds data only; rows are
written by canvas.governance.kits.services.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class BrandKit(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey("canvas.Team", on_delete=models.CASCADE, related_name="brand_kits")
    name = models.CharField(max_length=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The newest version's number (1, 2, …): read with the kit, no query for "latest".
    latest_number = models.PositiveIntegerField(default=0)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "created_at"]
        indexes = [models.Index(fields=["team", "name"], name="brandkit_team_name")]

    def __str__(self) -> str:
        return self.name


class BrandKitVersion(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kit = models.ForeignKey(BrandKit, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=120)  # the kit's name when this version was made
    content = models.JSONField(default=dict)  # a KitContent, as JSON
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kit", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["kit", "number"], name="unique_brandkit_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"


class BrandKitReference(models.Model):
    """An approved reference image uploaded to a kit (its role is set per version)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kit = models.ForeignKey(BrandKit, on_delete=models.CASCADE, related_name="references")
    blob = models.ForeignKey("assets.Blob", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename
