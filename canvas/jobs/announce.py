"""Telling a board's clients what happened to its jobs: every channel-layer send of the
job queue, always after the change it describes has committed.

Messages go through the channel layer only, never through memory shared with the
websocket server, so a worker in another process reaches the same clients. A job
message carries the row exactly as the transition that caused it wrote it
(canvas.jobs.lifecycle reads it inside its transaction), so each ``version`` is announced
once with its own content; clients keep the newest version they saw and can tell a gap.
The messages themselves are built by canvas.protocol's job builders.

**No change is lost with the process that made it.** A state change commits together with
``announce_after`` (when to re-send it if nobody confirms); the after-commit send clears
it. If the process dies between commit and send, or the channel layer refuses the
message (Redis restarting), the sweeper of any worker (``resend_due``, every poll period)
sends the job as it is now, preceded by its results, and clears the mark. Results follow
the same rule: a result whose message could not be sent marks its job for a re-send, and
a re-run of a job announces the results an earlier attempt stored. Progress messages are
not marked: the next one, or the final state, supersedes a lost one.

This module never changes a job's state; canvas.jobs.lifecycle does, and calls it.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from canvas import protocol, realtime
from canvas.jobs.payloads import iteration_payload, job_payload
from canvas.models.jobs import Iteration, Job

logger = logging.getLogger(__name__)

# Dispatched to the board consumer's ``board_job`` handler, which relays ``message`` as is.
JOB_EVENT = "board.job"
# A change nobody confirmed as sent this long after it committed is re-sent by a sweeper.
RESEND_AFTER_SECONDS = 2.0
# How many jobs one sweep re-sends at most (the rest wait for the next sweep).
RESEND_BATCH = 50
# How many new jobs one confirming UPDATE names (SQLite's bound-parameter limit is 999).
CONFIRM_CHUNK = 500


# --- Sending --------------------------------------------------------------------------------


def send_to_board_now(board_id: Any, message: dict[str, Any]) -> bool:
    """Send ``message`` to everyone on the board; True if it was sent or handed to the
    server loop for sending (canvas.realtime.send_group_now, safe from any thread), False
    if the channel layer refused it (then a durable change stays marked for re-sending).

    Must not be called inside a transaction whose outcome is unknown (use the
    ``*_after_commit`` helpers there). A failed send never fails the job itself.
    """
    event = {"type": JOB_EVENT, "message": message}
    return realtime.send_group_now(realtime.board_group(board_id), event)


def job_message(job: Job) -> dict[str, Any]:
    return protocol.job_message(job_payload(job))


def iteration_message(iteration: Iteration) -> dict[str, Any]:
    return protocol.iteration_message(iteration_payload(iteration))


_local = threading.local()


def _refused_results() -> dict[Any, bool]:
    """Jobs whose new result this thread could not send, until their state is announced."""
    if not hasattr(_local, "refused"):
        _local.refused = {}
    return _local.refused


def resend_deadline() -> Any:
    """The ``announce_after`` a change gets when it commits."""
    return timezone.now() + timedelta(seconds=RESEND_AFTER_SECONDS)


def _confirm(job_id: Any, version: int) -> None:
    # Only the version we sent: a newer change keeps its own mark until it is sent.
    Job.objects.filter(pk=job_id, version=version, announce_after__isnull=False).update(
        announce_after=None
    )


def job_after_commit(job: Job, *, durable: bool = True, with_results: bool = False) -> None:
    """Announce ``job`` as it is now (its row as just written) once the transaction commits.

    ``durable``: the change carries ``announce_after`` and is confirmed once sent.
    ``with_results``: send the job's stored results first (recovery: the attempt that
    stored them may have died before announcing them).
    """
    message = job_message(job)
    board_id, job_id, version = job.board_id, job.pk, job.version

    def deliver() -> None:
        # A result of the same transaction whose message was refused just before (its
        # callback ran first, on this thread) is sent again with this state, as recovery's
        # results are: confirming this version alone would clear the mark it left.
        again = _refused_results().pop(job_id, False)
        sent = results_now(job_id) if with_results or again else True
        sent = send_to_board_now(board_id, message) and sent
        if durable and sent:
            _confirm(job_id, version)

    # robust: a failed send or confirmation is the sweeper's to repair, never the caller's.
    transaction.on_commit(deliver, robust=True)


def jobs_after_commit(jobs: list[Job]) -> None:
    """Announce many new jobs (a batch's) once the transaction commits: every message, then
    one confirming UPDATE per CONFIRM_CHUNK jobs instead of one per job."""
    messages = [(job.board_id, job.pk, job_message(job)) for job in jobs]

    def deliver() -> None:
        sent = [job_id for board_id, job_id, message in messages
                if send_to_board_now(board_id, message)]  # fmt: skip
        for start in range(0, len(sent), CONFIRM_CHUNK):
            Job.objects.filter(
                pk__in=sent[start : start + CONFIRM_CHUNK], version=1, announce_after__isnull=False
            ).update(announce_after=None)

    transaction.on_commit(deliver, robust=True)


def results_now(job_id: Any) -> bool:
    """Send every stored result of the job; True if the channel layer took them all."""
    ok = True
    for iteration in Iteration.objects.filter(job_id=job_id).order_by("index"):
        ok = send_to_board_now(iteration.board_id, iteration_message(iteration)) and ok
    return ok


def new_result_after_commit(iteration: Iteration, job_id: Any) -> None:
    """Announce a result of a running job just created (the row as written: a new result
    has no consistency scores yet, its asset is new) once it commits; if it cannot be
    sent, mark the job so the sweeper re-sends the job with its results."""
    message = protocol.iteration_message(iteration_payload(iteration, consistency=None))
    board_id = iteration.board_id

    def deliver() -> None:
        if not send_to_board_now(board_id, message):
            _refused_results()[job_id] = True
            Job.objects.filter(pk=job_id).update(announce_after=timezone.now())

    transaction.on_commit(deliver, robust=True)


def resend_due(limit: int = RESEND_BATCH) -> int:
    """Re-send the changes nobody confirmed (the announcer died, or the layer refused).

    Each job is first taken for ``RESEND_AFTER_SECONDS`` (a conditional update), so the
    sweepers of several workers do not send it together; it is sent as it is now, after its
    results. Returns how many jobs were re-sent.
    """
    now = timezone.now()
    due = list(
        Job.objects.filter(announce_after__lte=now)
        .order_by("announce_after")
        .values_list("pk", flat=True)[:limit]
    )
    resent = 0
    for job_id in due:
        taken = Job.objects.filter(pk=job_id, announce_after__lte=now).update(
            announce_after=resend_deadline()
        )
        job = Job.objects.filter(pk=job_id).first() if taken else None
        if job is None:
            continue
        if results_now(job_id) and send_to_board_now(job.board_id, job_message(job)):
            _confirm(job_id, job.version)
            resent += 1
    if resent:
        logger.warning("re-sent %d job change(s) whose announcement was lost", resent)
    return resent


def _send_iteration_now(iteration_id: Any) -> bool:
    iteration = Iteration.objects.filter(pk=iteration_id).first()
    if iteration is None:
        return True
    return send_to_board_now(iteration.board_id, iteration_message(iteration))


def broadcast_iteration_after_commit(iteration_id: Any) -> None:
    """Broadcast a result's committed state (new, applied, discarded, current…)."""
    transaction.on_commit(lambda: _send_iteration_now(iteration_id))


def broadcast_queue_after_commit(board_id: Any, paused: bool) -> None:
    message = protocol.queue_message(board_id, paused)
    transaction.on_commit(lambda: send_to_board_now(board_id, message))
