"""Batches as the board socket carries them: the ``batch_progress`` message.

Sent to everyone on the board after a job of a batch changed state (at most twice a second
per batch), and at once when the batch is paused, resumed, cancelled or ends. The counts
are built from the batch's jobs by canvas.batches.progress; this module declares their
shape and wraps them in the message. It must not touch the database or the channel layer.
"""

from __future__ import annotations

from typing import Any, Literal

from canvas.protocol.types import ProtocolModel, Wire


class BatchCounts(ProtocolModel):
    """Jobs of the batch per state."""

    queued: int
    running: int
    succeeded: int
    failed: int
    cancelled: int


class BatchProgressData(ProtocolModel):
    """A batch as one aggregate (the API's ``GET /api/v1/batches/{id}`` has the same keys)."""

    id: str
    board: str
    name: str
    state: str
    """running, paused, cancelled or completed."""
    jobs: int
    """Jobs queued for the batch (refused ones are not jobs)."""
    counts: BatchCounts
    eta_seconds: float | None
    """Seconds until every job has ended (0 when it has; null when unknown)."""
    finished_at: str | None


class BatchProgressMessage(ProtocolModel):
    type: Literal["batch_progress"]
    batch: BatchProgressData


BATCH_PROGRESS_FIELDS = tuple(BatchProgressData.model_fields)


def batch_progress_message(batch: dict[str, Any]) -> Wire:
    return {"type": "batch_progress", "batch": batch}
