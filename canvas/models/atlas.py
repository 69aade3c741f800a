"""A board's atlas: which images sit in which cell of which sheet (canvas.atlas).

One row per board. ``sheets`` is the layout the board's atlas index is served from:
``[{"digest", "width", "height", "cells": [asset id | None, …], "rects": [[x, y, w, h] |
None, …]}, …]`` (the pixels are assets.atlas sheets, stored under their digest).
``requested``/``done``/``running_until`` coalesce rebuilds the way re-scoring does: each
change bumps ``requested``; one pass at a time holds the lease and loops while requests
arrived during it.

``AtlasSheet`` and ``AtlasSheetUse`` let stored sheets be collected (canvas.atlas.collection):
a sheet is one file shared by every board whose cells are the same, so it may be deleted
only when no board uses it and no board released it less than a grace period ago.
"""

from __future__ import annotations

from django.db import models


class BoardAtlas(models.Model):
    board = models.OneToOneField(
        "canvas.Board", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    sheets = models.JSONField(default=list, blank=True)
    requested = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    running_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "board atlases"

    def __str__(self) -> str:
        return f"atlas of board {self.board_id}: {len(self.sheets)} sheets"


class AtlasSheet(models.Model):
    """A stored sheet (``assets.storage.atlas_key(digest)``), shared by every board that
    uses the same cells. ``collect_after``: when the collector should look at it again (set
    when a pass is about to write or reuse it, and when a board stops using it); None when
    nothing is pending. The collector deletes it only if no use protects it then."""

    digest = models.CharField(max_length=64, primary_key=True)
    collect_after = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"atlas sheet {self.digest[:12]}"


class AtlasSheetUse(models.Model):
    """A board's atlas uses (``released_at`` None) or used until ``released_at`` a sheet.
    A released use keeps the sheet, and lets the board's members fetch it, for the grace
    period: clients that read the old index may still ask for it."""

    atlas = models.ForeignKey(BoardAtlas, on_delete=models.CASCADE, related_name="uses")
    sheet = models.ForeignKey(AtlasSheet, on_delete=models.CASCADE, related_name="uses")
    released_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["atlas", "sheet"], name="atlas_sheet_use_once")
        ]

    def __str__(self) -> str:
        return f"{self.atlas_id} uses {self.sheet_id[:12]}"
