"""Telling a board's clients what happened to its jobs: every channel-layer send of the
job queue, always after the change it describes has committed.

Messages go through the channel layer only, never through memory shared with the
websocket server, so a worker in another process reaches the same clients. A job
message carries the row exactly as the transition that caused it wrote it
(canvas.jobs.lifecycle reads it inside its transaction), so each ``version`` is announced
once with its own content; clients keep the newest version they saw and can tell a gap.
The messages themselves are built by canvas.protocol's job builders.

This module never changes a job; canvas.jobs.lifecycle does, and calls it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from canvas import protocol
from canvas.jobs.payloads import iteration_payload, job_payload
from canvas.models.jobs import Iteration, Job

logger = logging.getLogger(__name__)

# Dispatched to the board consumer's ``board_job`` handler, which relays ``message`` as is.
JOB_EVENT = "board.job"


# --- Sending --------------------------------------------------------------------------------


def send_to_board_now(board_id: Any, message: dict[str, Any]) -> bool:
    """Send ``message`` to everyone on the board; True if it was sent or handed to the
    server loop for sending (canvas.realtime.send_group_now, safe from any thread).

    Must not be called inside a transaction whose outcome is unknown (use the
    ``*_after_commit`` helpers there). A failed send never fails the job itself.
    """
    from canvas import realtime

    event = {"type": JOB_EVENT, "message": message}
    return realtime.send_group_now(realtime.board_group(board_id), event)


def job_after_commit(job: Job) -> None:
    """Announce ``job`` as it is now (its row as just written) once the transaction commits."""
    message = protocol.job_message(job_payload(job))
    board_id = job.board_id
    transaction.on_commit(lambda: send_to_board_now(board_id, message))


def _send_iteration_now(iteration_id: Any) -> None:
    iteration = Iteration.objects.filter(pk=iteration_id).first()
    if iteration is not None:
        send_to_board_now(
            iteration.board_id, protocol.iteration_message(iteration_payload(iteration))
        )


def broadcast_iteration_after_commit(iteration_id: Any) -> None:
    """Broadcast a result's committed state (new, applied, discarded, current…)."""
    transaction.on_commit(lambda: _send_iteration_now(iteration_id))


def broadcast_queue_after_commit(board_id: Any, paused: bool) -> None:
    message = protocol.queue_message(board_id, paused)
    transaction.on_commit(lambda: send_to_board_now(board_id, message))
