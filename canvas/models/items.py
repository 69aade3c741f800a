"""Items placed on a board: image layers (optionally anchors), frames, text notes, masks,
and video clips (a result of a video job: ``asset`` is its poster still, ``props.video``
names the clip's files and facts; docs/video.md).

The board document the browser edits is the set of a board's live items; the realtime
protocol (canvas.protocol) changes them one operation at a time.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models


class ItemKind(models.TextChoices):
    IMAGE = "image", "Image"
    FRAME = "frame", "Frame"
    TEXT = "text", "Text note"
    MASK = "mask", "Mask"
    VIDEO = "video", "Video clip"


# Kinds whose ``asset`` is an image drawn on the canvas (a video item's is its poster).
KINDS_WITH_ASSET = (ItemKind.IMAGE, ItemKind.VIDEO)


class AnchorRole(models.TextChoices):
    COMPOSITION = "composition", "Composition / layout"
    PALETTE = "palette", "Palette"
    LIGHTING = "lighting", "Lighting"
    STYLE = "style", "Style reference"


class Item(models.Model):
    # Client-generated so an item can be referenced before the server has acknowledged it.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    board = models.ForeignKey("canvas.Board", on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=16, choices=ItemKind.choices)
    name = models.CharField(max_length=200, blank=True)
    asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    x = models.FloatField(default=0)
    y = models.FloatField(default=0)
    width = models.FloatField(default=0)
    height = models.FloatField(default=0)
    rotation = models.FloatField(default=0)  # degrees, clockwise, about the top-left corner
    opacity = models.FloatField(default=1)
    z = models.FloatField(default=0, db_index=True)  # paint order: higher draws on top
    hidden = models.BooleanField(default=False)
    locked = models.BooleanField(default=False)
    anchor_role = models.CharField(max_length=16, choices=AnchorRole.choices, blank=True)
    props = models.JSONField(default=dict, blank=True)  # kind-specific: text, colour, …
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Board revision of the last operation that touched this item.
    revision = models.BigIntegerField(default=0)
    deleted = models.BooleanField(default=False)

    class Meta:
        ordering = ["z"]
        indexes = [models.Index(fields=["board", "deleted", "z"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.name or self.id}"

    def placement(self) -> dict[str, float]:
        """Where and how the item is drawn: box, rotation, opacity and paint order — the
        part of an item the board document (canvas.boards.documents), a job's layer snapshot
        (canvas.jobs.board_reads) and the compositor (canvas.compositing) all use, in this
        order."""
        return {
            "x": self.x,
            "y": self.y,
            "width": self.width,
            "height": self.height,
            "rotation": self.rotation,
            "opacity": self.opacity,
            "z": self.z,
        }


def live_images(board: Any) -> models.QuerySet[Item]:
    """A board's live image items that have a file: what the board draws (compositing, a
    job's layers, exports) and where anchors are picked from. Unordered; callers order."""
    return Item.objects.filter(board=board, deleted=False, kind=ItemKind.IMAGE, asset__isnull=False)
