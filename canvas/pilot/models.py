"""A pilot run: who asked for it, on which board, which engine it tests, with which
settings, how far it got, and its report.

``state`` is the run as people see it (queued, running, succeeded, failed, cancelled);
``stage`` is where its state machine stands (canvas.pilot.machine): which test is under
way. Every change is a guarded update on ``version`` (a ticker that read an older row
loses and stops), so two workers advancing the same run at once cannot both start a
test. ``report`` holds the result in the shape of canvas.pilot.report.PilotReport (its
``tests`` filled in as each test ends), so a half-done run already shows the finished
tests. This module holds data only; canvas.pilot.machine changes it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models


def batch_key(batch_id: Any) -> uuid.UUID:
    """A run's batch id for a lookup. A run whose batch is gone or not started (None)
    must match no job — ``filter(batch_id=None)`` would match every job outside a batch."""
    return batch_id if batch_id is not None else uuid.UUID(int=0)


class PilotState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


PILOT_ENDED_STATES = (PilotState.SUCCEEDED, PilotState.FAILED, PilotState.CANCELLED)
PILOT_ACTIVE_STATES = (PilotState.QUEUED, PilotState.RUNNING)


class PilotStage(models.TextChoices):
    """The steps of a run, in order (canvas.pilot.machine.STAGES)."""

    START = "start", "Waiting to start"
    CONSISTENCY = "consistency", "Consistency: five variations, then their scores"
    LATENCY = "latency", "Latency: jobs running"
    EXPORT = "export", "Export: files being written"
    DONE = "done", "Done"


class PilotRun(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey("canvas.Team", on_delete=models.CASCADE, related_name="pilot_runs")
    board = models.ForeignKey("canvas.Board", on_delete=models.CASCADE, related_name="pilot_runs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    engine = models.CharField(max_length=64)  # the engine under test, as registered
    provider = models.CharField(max_length=40)  # its provider (the breaker's name)
    # canvas.pilot.spec.PilotSpec as accepted: jobs, concurrency, burst, prompt,
    # target, variations, exports.
    settings = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=PilotState.choices, default=PilotState.QUEUED)
    stage = models.CharField(max_length=16, choices=PilotStage.choices, default=PilotStage.START)
    version = models.BigIntegerField(default=1)
    progress = models.FloatField(default=0)  # 0–1 over the whole run
    progress_message = models.CharField(max_length=200, blank=True)
    # The batches the tests ran (their jobs carry the numbers) and the exports, by kind.
    consistency_batch = models.ForeignKey(
        "canvas.Batch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    latency_batch = models.ForeignKey(
        "canvas.Batch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    exports = models.JSONField(default=dict, blank=True)  # {kind: export id}
    report = models.JSONField(default=dict, blank=True)  # canvas.pilot.report.PilotReport
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    stage_started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["team", "-created_at"], name="pilot_team_recent"),
            models.Index(fields=["board", "-created_at"], name="pilot_board_recent"),
            models.Index(fields=["state"], name="pilot_state"),
        ]

    def __str__(self) -> str:
        return f"pilot of {self.engine} on {self.board_id} ({self.state}, {self.stage})"

    @property
    def is_finished(self) -> bool:
        return self.state in PILOT_ENDED_STATES
