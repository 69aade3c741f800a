"""Running batches: start one (its jobs queued at bulk priority in one transaction), pause,
resume and cancel it, and see the end of it (state ``completed``, ``batch.completed``).

Every job goes through the one job spec validator (canvas.batches.expansion →
canvas.jobs.queue.normalise_spec and check_with_engine), so the board's brand kit and the
engines' limits hold exactly as for a job submitted by hand; jobs they refuse are counted
and reported, never queued. The jobs are written with one INSERT
(canvas.jobs.lifecycle.create_many, which announces each after commit) and the workers are
woken once.

The queue does the scheduling (canvas.jobs.queue.claim_next: interactive work first, then
round-robin between people and between their batches, within the per-provider limits) and
skips the queued jobs of a paused batch. Callers check roles first.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from canvas.batches import progress
from canvas.batches.estimates import engine_estimates, kit_rules
from canvas.batches.expansion import expand
from canvas.batches.preview import job_preview
from canvas.batches.spec import parse_batch_spec
from canvas.jobs import config, lifecycle
from canvas.jobs.queue import InvalidJob, JobStateConflict, cancel_job
from canvas.jobs.signals import job_changed
from canvas.models import (
    BATCH_ENDED_STATES,
    Batch,
    BatchState,
    Board,
    Job,
    JobPriority,
    JobState,
)
from canvas.permissions import Perm, require
from canvas.webhooks import dispatch as webhooks
from canvas.webhooks import events
from foundation.errors import AppError, Conflict, NotFound

logger = logging.getLogger(__name__)

UNFINISHED = (JobState.QUEUED, JobState.RUNNING)
# The batch whose jobs this thread is cancelling one by one (cancel_batch).
_cancelling: ContextVar[Any] = ContextVar("cancelling_batch", default=None)


class BatchNotFound(NotFound):
    code = "batch_not_found"
    default_message = "This batch does not exist, or you have not been given access to it."


class BatchStateConflict(Conflict):
    code = "batch_state_conflict"


class NothingToRun(AppError):
    code = "batch_refused"
    default_message = "Every job of this batch is refused; nothing was started."


def get_batch(batch_id: Any) -> Batch:
    try:
        key = batch_id if isinstance(batch_id, uuid.UUID) else uuid.UUID(str(batch_id))
        return Batch.objects.select_related("board", "board__team").get(pk=key)
    except (ValueError, Batch.DoesNotExist):
        raise BatchNotFound() from None


def get_batch_for(user: Any, batch_id: Any, perm: Perm) -> Batch:
    """The batch, if ``user`` has ``perm`` on its board; a batch on a board they have no
    role on is the same 404 as a batch that does not exist."""
    batch = get_batch(batch_id)
    try:
        require(user, batch.board, perm)
    except NotFound:
        raise BatchNotFound() from None
    return batch


def batch_job(
    batch: Batch, author: Any, spec: dict[str, Any], position: float, attempts: int, **extra: Any
) -> Job:
    """A new queued job of ``batch`` (bulk priority, version 1) for
    ``lifecycle.create_many``: the batch's first jobs and its re-runs alike."""
    return Job(
        board_id=batch.board_id,
        created_by=author,
        batch=batch,
        mode=spec["mode"],
        engine=spec["engine"],
        priority=JobPriority.BULK,
        position=position,
        spec=spec,
        max_attempts=attempts,
        state=JobState.QUEUED,
        version=1,
        **extra,
    )


def start_batch(board: Board, user: Any, raw: Any) -> tuple[Batch, dict[str, Any]]:
    """Expand ``raw`` on ``board`` and queue every accepted job at bulk priority, with the
    batch row, in one transaction. Returns the batch and the expansion summary (the dry
    run's shape, ``dry_run`` false, plus ``batch``). Refused jobs are reported, not queued;
    a batch whose every job is refused is refused as a whole (``batch_refused``)."""
    if board.is_archived:
        raise InvalidJob("This board is archived; restore it before running batches.")
    spec = parse_batch_spec(raw)
    expansion = expand(board, spec)
    accepted = expansion.accepted()
    if not accepted:
        first = expansion.refusals()[0]["message"] if expansion.jobs else ""
        raise NothingToRun(f"Every job of this batch is refused: {first}".strip())
    author = user if getattr(user, "is_authenticated", False) else None
    base = time.time()
    attempts = config.max_attempts()
    with transaction.atomic():
        batch = Batch.objects.create(
            board=board,
            created_by=author,
            name=spec.name,
            spec=spec.model_dump(mode="json"),
            seed=spec.seed or 0,
            jobs_total=len(accepted),
            jobs_refused=len(expansion.jobs) - len(accepted),
        )
        lifecycle.create_many(
            [
                # Expansion order within the batch; after everything queued before it.
                batch_job(batch, author, job.spec, base + n * 1e-6, attempts)
                for n, job in enumerate(accepted)
                if job.spec is not None
            ]
        )
        lifecycle.wake_workers_after_commit()
        progress.send_after_commit(batch.pk)
    logger.info("batch %s: %d jobs queued on board %s", batch.pk, len(accepted), board.pk)
    return batch, {
        "dry_run": False,
        "batch": str(batch.pk),
        "name": spec.name,
        "seed": spec.seed,
        "jobs": len(expansion.jobs),
        "accepted": len(accepted),
        "refused": len(expansion.jobs) - len(accepted),
        "engines": engine_estimates(expansion),
        "first_jobs": [job_preview(job) for job in expansion.jobs[:10]],
        "refusals": expansion.refusals(),
        "brand_kit": kit_rules(board),
    }


def _set_state(batch: Batch, allowed: tuple[str, ...], target: str) -> bool:
    return bool(Batch.objects.filter(pk=batch.pk, state__in=allowed).update(state=target))


def pause_batch(batch: Batch) -> Batch:
    """Its queued jobs are no longer claimed; running ones finish. Pausing twice is fine."""
    with transaction.atomic():
        if not _set_state(batch, (BatchState.RUNNING, BatchState.PAUSED), BatchState.PAUSED):
            raise _ended(batch, "paused")
        progress.send_after_commit(batch.pk, force=True)
    batch.refresh_from_db()
    return batch


def resume_batch(batch: Batch) -> Batch:
    """Its queued jobs are claimable again (the workers are woken)."""
    with transaction.atomic():
        if not _set_state(batch, (BatchState.RUNNING, BatchState.PAUSED), BatchState.RUNNING):
            raise _ended(batch, "resumed")
        lifecycle.wake_workers_after_commit()
        progress.send_after_commit(batch.pk, force=True)
    batch.refresh_from_db()
    return batch


def cancel_batch(batch: Batch) -> Batch:
    """Queued jobs are cancelled; running ones are asked to stop through the jobs' own
    cancel (canvas.jobs.queue.cancel_job), so each ends as ``cancelled`` when its engine
    stops. The batch ends (``batch.completed``) when the last of them has."""
    with transaction.atomic():
        if not _set_state(batch, (BatchState.RUNNING, BatchState.PAUSED), BatchState.CANCELLED):
            raise _ended(batch, "cancelled")
    # Each job's own change skips the batch's bookkeeping (a check and a progress message
    # per job); it is done once below. Jobs ending on workers meanwhile still do their own.
    quiet = _cancelling.set(batch.pk)
    try:
        for job in Job.objects.filter(batch=batch, state__in=UNFINISHED).only("pk"):
            with contextlib.suppress(JobStateConflict):  # it finished meanwhile
                cancel_job(job)
    finally:
        _cancelling.reset(quiet)
    with transaction.atomic():
        finish_if_done(batch.pk)
        progress.send_after_commit(batch.pk, force=True)
    batch.refresh_from_db()
    return batch


def _ended(batch: Batch, verb: str) -> BatchStateConflict:
    state = Batch.objects.filter(pk=batch.pk).values_list("state", flat=True).first()
    return BatchStateConflict(f"This batch is {state}; it cannot be {verb}.")


def finish_if_done(batch_id: Any) -> bool:
    """End the batch when none of its jobs is queued or running: ``completed`` (or stays
    ``cancelled``), ``finished_at`` set, and ``batch.completed`` recorded for the team's
    webhooks — once (a conditional update, and the event's key is the batch id). Call it
    inside the transaction of the change that may have ended the last job."""
    # Finishers of one batch take turns on its row, so the last two jobs ending at once on
    # PostgreSQL cannot each see the other still running (SQLite serialises writers anyway).
    list(Batch.objects.select_for_update().filter(pk=batch_id).values_list("pk"))
    if Job.objects.filter(batch_id=batch_id, state__in=UNFINISHED).exists():
        return False
    now = timezone.now()
    # A batch ends again after a retry or a refine of a drifted result (canvas.review.
    # reruns) reopened it (reopen_for_retry): that end is a new event, keyed by how many of
    # its jobs were added so by then.
    added = Q(retried_from__isnull=False) | Q(parent_iteration__isnull=False)
    retries = Job.objects.filter(added, batch_id=batch_id).count()
    key = f"{batch_id}:{retries}" if retries else str(batch_id)
    ended = Batch.objects.filter(pk=batch_id, finished_at__isnull=True)
    ended.filter(~Q(state__in=BATCH_ENDED_STATES)).update(state=BatchState.COMPLETED)
    if not ended.update(finished_at=now):
        return False
    batch = Batch.objects.get(pk=batch_id)
    webhooks.emit(
        events.BATCH_COMPLETED,
        None,
        lambda: {"batch": progress.batch_payload(batch)},
        key=key,
        board=batch.board_id,
    )
    logger.info("batch %s ended (%s)", batch_id, batch.state)
    return True


def reopen_for_retry(batch_id: Any) -> bool:
    """A retried job joined the batch (canvas.jobs.queue.retry_job): a batch that had
    ended (``completed`` or ``cancelled``) runs again, so the job is claimed and the batch
    ends — and says so — once more when it has. A paused batch stays paused. Inside the
    transaction that queued the job; returns whether the batch reopened."""
    list(Batch.objects.select_for_update().filter(pk=batch_id).values_list("pk"))
    ended = Q(state__in=BATCH_ENDED_STATES) | Q(finished_at__isnull=False)
    reopened = bool(
        Batch.objects.filter(ended, pk=batch_id).update(state=BatchState.RUNNING, finished_at=None)
    )
    if reopened:
        logger.info("batch %s reopened for a retried job", batch_id)
    return reopened


@receiver(job_changed, dispatch_uid="canvas.batches.runs.job_changed")
def _on_job_changed(sender: Any, job: Job, created: bool = False, **kwargs: Any) -> None:
    """A batch job changed state or a retry joined the batch (inside its transaction): end
    the batch if that was the last job, reopen it for a retry, and tell the board the new
    counts (throttled) after commit."""
    if _cancelling.get() == job.batch_id:
        return  # cancel_batch does it once for all its jobs
    if job.is_finished:
        force = finish_if_done(job.batch_id)
    elif created:
        force = reopen_for_retry(job.batch_id)
    else:
        force = False
    progress.send_after_commit(job.batch_id, force=force)
