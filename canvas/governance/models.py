"""Stored consistency scores: one row per (asset, metric, reference set).

A row records what ``canvas.governance.metrics`` measured for one image against one set of
references, named by its ``fingerprint`` (a hash of the anchors' bytes and roles, later the
brand kit's version): editing the anchors makes a new fingerprint, and old rows stay as the
record of what the image was checked against. ``components`` keeps every measured
distance, so thresholds can be re-calibrated over a board's batch without re-reading pixels;
``flag`` is the drift flag the metric raised when the row was written (null: none).

``ConsistencyCheck`` is a check of a long list asked for through the API, run in the
background and polled (canvas.governance.checks).

``Rescore`` is a board whose anchors changed since its results were scored: the re-score
that follows (canvas.governance.rescore) coalesces many edits into few passes.

This module holds data only; rows are written by canvas.governance.services and checks.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ConsistencyScore(models.Model):
    board = models.ForeignKey(
        "canvas.Board", on_delete=models.CASCADE, related_name="consistency_scores"
    )
    asset = models.ForeignKey(
        "assets.Asset", on_delete=models.CASCADE, related_name="consistency_scores"
    )
    # The job result this image is, when it is one (scored as it landed).
    iteration = models.ForeignKey(
        "canvas.Iteration",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consistency_scores",
    )
    metric = models.CharField(max_length=16)  # palette, lighting, composition, style
    fingerprint = models.CharField(max_length=64)  # of the reference set
    score = models.FloatField()  # 0–1, 1 = matches the references
    components = models.JSONField(default=list)  # [{name, distance, message, detail}]
    flag = models.JSONField(null=True, blank=True)  # {metric, component, value, threshold, message}
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "metric", "fingerprint"], name="unique_score_per_reference"
            )
        ]
        indexes = [
            models.Index(fields=["board", "fingerprint", "-created_at"], name="score_board_refs"),
            # The results scored in an hour (the operations roll-ups, canvas.ops).
            models.Index(fields=["created_at"], name="score_created"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.score:.2f} for asset {self.asset_id}"


class CheckStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ConsistencyCheck(models.Model):
    """A consistency check asked for through the API that runs in the background (a long
    list: canvas.governance.checks); the caller polls it by id until it is done."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    board = models.ForeignKey(
        "canvas.Board", on_delete=models.CASCADE, related_name="consistency_checks"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assets = models.JSONField(default=list)  # asset ids, as asked
    anchors = models.JSONField(null=True, blank=True)  # {role: [asset ids]} or null (board's)
    status = models.CharField(max_length=8, choices=CheckStatus.choices, default=CheckStatus.QUEUED)
    result = models.JSONField(null=True, blank=True)  # the same reply as a 200 check
    error = models.JSONField(null=True, blank=True)  # {code, message}
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"consistency check {self.id} ({self.status})"


class Rescore(models.Model):
    """A board's results must be re-scored because its anchors changed.

    Each anchor edit bumps ``requested`` (and ``requested_at``); a pass re-scores against
    the references of that moment and sets ``done`` to the request it covered. A reading
    written before ``requested_at`` while ``done < requested`` is stale. ``running_until``
    is the lease of the one pass that may run for the board (a crashed pass's lease ends).
    """

    board = models.OneToOneField(
        "canvas.Board", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    requested = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    requested_at = models.DateTimeField(null=True, blank=True)
    running_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"re-score of board {self.board_id}: {self.done}/{self.requested}"
