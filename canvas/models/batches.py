"""Batches: a saved batch spec and the jobs it made (issue 15; docs/batches.md).

A ``Batch`` row is written with its jobs in one transaction (canvas.batches.runs): the spec
as it was accepted (with its base seed), who started it, on which board, and how many jobs
the expansion made and how many the board's kit or an engine refused. Its jobs point at it
(``Job.batch``); the live counts (done, failed, running, queued) are read from them, never
kept twice. ``state`` is what people asked of the batch: running, paused (its queued jobs
are not claimed), cancelled, or completed (every job ended).

This module holds data only; canvas.batches.runs changes it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class BatchState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"


# A batch in one of these states has nothing left to run or to pause.
BATCH_ENDED_STATES = (BatchState.CANCELLED, BatchState.COMPLETED)


class Batch(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    board = models.ForeignKey("canvas.Board", on_delete=models.CASCADE, related_name="batches")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=200)
    # The spec as accepted (canvas.batches.spec.BatchSpec, base seed filled in): running it
    # again makes the same jobs with the same seeds.
    spec = models.JSONField(default=dict)
    seed = models.BigIntegerField()
    state = models.CharField(max_length=16, choices=BatchState.choices, default=BatchState.RUNNING)
    jobs_total = models.PositiveIntegerField(default=0)  # jobs queued for the batch
    jobs_refused = models.PositiveIntegerField(default=0)  # expanded but refused, not queued
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)  # every job ended
    # When the last live progress message went out (throttle, canvas.batches.progress).
    progress_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["board", "-created_at"], name="batch_board_recent")]

    def __str__(self) -> str:
        return f"batch {self.name!r} ({self.state})"


class BatchApproval(models.Model):
    """One "approve the best N per cell" of a batch's matrix (canvas.batches.picks): what
    it approved, so its undo reverts exactly those decisions and nothing a person changed
    since. ``picks``: ``[{"iteration": id, "decided_at": iso}]`` — the decision's time as
    this action wrote it; a decision with another time was changed by someone after."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="approvals")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    per_cell = models.PositiveIntegerField()
    rows = models.CharField(max_length=64, blank=True)  # the matrix's axes when it ran
    cols = models.CharField(max_length=64, blank=True)
    picks = models.JSONField(default=list)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"best {self.per_cell} per cell of batch {self.batch_id}"
