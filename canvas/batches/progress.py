"""A batch as one aggregate: its counts, its ETA, and the live ``batch_progress`` message.

Counts are read from the batch's jobs (one GROUP BY over an index), never kept twice. The
ETA comes from recent latency: the batch's own pace (its last finished jobs' throughput)
once two have finished, else the engine's recent median running time
(canvas.batches.estimates.seconds_per_job) for the jobs still to run, spread over the
jobs running now.

The board hears about a batch after each of its jobs changes state, at most
``1 / THROTTLE_SECONDS`` = 2 times per second per batch across all processes: a
conditional update of ``Batch.progress_sent_at`` decides who sends, and the time is set
again once the message is out, so sends are that far apart however long reading the counts
took. A change that finds the
gate closed schedules one trailing send for when it opens (this process only, one per
batch); if someone else sent by then, their message was read after this change committed,
so nothing is lost by dropping it. Pause, resume, cancel and the end of the batch send at
once (``force``).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any, cast

from django.db import close_old_connections, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from canvas import protocol
from canvas.batches.estimates import seconds_per_job
from canvas.jobs.announce import send_to_board_now
from canvas.models import Batch, Job, JobState

logger = logging.getLogger(__name__)

THROTTLE_SECONDS = 0.5
PACE_SAMPLE = 20  # finished jobs the batch's pace is measured over
STATES = ("queued", "running", "succeeded", "failed", "cancelled")

_pending: set[Any] = set()  # batches with a trailing send scheduled
_timers: set[threading.Timer] = set()  # trailing sends scheduled or under way
_pending_lock = threading.Lock()


def current_jobs(batch_id: Any) -> Any:
    """The batch's jobs that count: a job retried within the batch is replaced by its
    retry (canvas.jobs.queue.retry_job), so the counts still add up to the batch's jobs."""
    return Job.objects.filter(batch_id=batch_id).exclude(retries__batch_id=batch_id)


def counts(batch_id: Any) -> dict[str, int]:
    """Jobs of the batch per state (every state present, 0 when none), retried ones
    replaced by their retries."""
    found = dict(
        current_jobs(batch_id)
        .order_by()
        .values("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return {state: int(found.get(state, 0)) for state in STATES}


def counts_for_many(batch_ids: list[Any]) -> dict[Any, dict[str, int]]:
    """``counts`` for a page of batches in one grouped query (the team's batches page)."""
    found: dict[Any, dict[str, int]] = {pk: dict.fromkeys(STATES, 0) for pk in batch_ids}
    rows = (
        Job.objects.filter(batch_id__in=batch_ids)
        .exclude(retries__batch_id=F("batch_id"))
        .order_by()
        .values("batch_id", "state")
        .annotate(n=Count("pk"))
        .values_list("batch_id", "state", "n")
    )
    for batch_id, state, n in rows:
        if state in found[batch_id]:
            found[batch_id][state] = int(n)
    return found


def eta_seconds(batch: Batch, numbers: dict[str, int]) -> tuple[float | None, str]:
    """Seconds until every job has ended, and what the guess rests on."""
    left = numbers["queued"] + numbers["running"]
    if left == 0:
        return 0.0, "finished"
    ends = [
        end
        for end in Job.objects.filter(batch=batch, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)[:PACE_SAMPLE]
        if end is not None
    ]
    if len(ends) >= 2 and ends[0] > ends[-1]:
        per_second = (len(ends) - 1) / (ends[0] - ends[-1]).total_seconds()
        return round(left / per_second, 1), f"pace of the last {len(ends)} jobs"
    engine = Job.objects.filter(batch=batch).values_list("engine", flat=True).first()
    if engine is None:
        return None, "no jobs"
    per_job, basis = seconds_per_job(engine)
    parallel = max(1, numbers["running"])
    return round(per_job * left / parallel, 1), f"{basis}, {parallel} at a time"


def batch_payload(batch: Batch) -> dict[str, Any]:
    """The batch as the API and the webhook show it: state, counts, ETA."""
    numbers = counts(batch.pk)
    eta, basis = eta_seconds(batch, numbers)
    return {
        "id": str(batch.pk),
        "board": str(batch.board_id),
        "name": batch.name,
        "state": batch.state,
        "created_by": batch.created_by_id,
        "created_at": batch.created_at.isoformat(),
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        "seed": batch.seed,
        "jobs": batch.jobs_total,
        "refused": batch.jobs_refused,
        "counts": numbers,
        "done": numbers["succeeded"],
        "failed": numbers["failed"],
        "running": numbers["running"],
        "queued": numbers["queued"],
        "eta_seconds": eta,
        "eta_basis": basis,
    }


def progress_message(batch: Batch) -> dict[str, Any]:
    payload = batch_payload(batch)
    return protocol.batch_progress_message(
        {key: payload[key] for key in protocol.BATCH_PROGRESS_FIELDS}
    )


def send_after_commit(batch_id: Any, *, force: bool = False) -> None:
    """Tell the batch's board its counts once the surrounding transaction commits
    (throttled unless ``force``)."""
    transaction.on_commit(lambda: send_now(batch_id, force=force), robust=True)


def _take_turn(batch_id: Any, force: bool) -> bool:
    now = timezone.now()
    rows = Batch.objects.filter(pk=batch_id)
    if not force:
        opened = now - timedelta(seconds=THROTTLE_SECONDS)
        rows = rows.filter(Q(progress_sent_at__isnull=True) | Q(progress_sent_at__lte=opened))
    return bool(rows.update(progress_sent_at=now))


def send_now(batch_id: Any, *, force: bool = False, trailing: bool = True) -> bool:
    """Send the batch's counts to its board if its turn has come (or ``force``); else
    schedule one trailing try (``trailing``). Returns whether it sent. Never inside a
    transaction whose outcome is unknown."""
    if not _take_turn(batch_id, force):
        if trailing:
            _schedule(batch_id)
        return False
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None:
        return False
    sent = send_to_board_now(batch.board_id, progress_message(batch))
    # The window opens again THROTTLE_SECONDS after this send, not after the turn was taken:
    # reading the counts takes a varying time on a busy database, and two sends must still
    # be that far apart (a turn taken meanwhile is refused: the taken time is recent too).
    Batch.objects.filter(pk=batch_id).update(progress_sent_at=timezone.now())
    return sent


def _schedule(batch_id: Any) -> None:
    with _pending_lock:
        if batch_id in _pending:
            return
        _pending.add(batch_id)
        timer = threading.Timer(THROTTLE_SECONDS, _trailing_send, args=(batch_id,))
        timer.daemon = True
        _timers.add(timer)
        timer.start()  # under the lock: a cancel never meets a timer not yet started


def _trailing_send(batch_id: Any) -> None:
    with _pending_lock:
        _pending.discard(batch_id)
    try:
        send_now(batch_id, trailing=False)
    except Exception:  # a lost progress message is superseded by the next one
        logger.exception("could not send the progress of batch %s", batch_id)
    finally:
        close_old_connections()
        with _pending_lock:
            _timers.discard(cast(threading.Timer, threading.current_thread()))


def cancel_trailing_sends(wait: float = 30.0) -> None:
    """Drop this process's scheduled trailing sends and wait (up to ``wait`` s each) for
    any already sending: for when the database they would read is going away — the end
    of a test, whose trailing send would otherwise run after it, on no database or the
    next test's."""
    with _pending_lock:
        timers = list(_timers)
        _pending.clear()
    for timer in timers:
        timer.cancel()
        timer.join(wait)
    with _pending_lock:
        _timers.difference_update(timers)


def active_states() -> tuple[str, ...]:
    return (JobState.QUEUED, JobState.RUNNING)
