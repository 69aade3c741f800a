"""A job's state changes, written once: the table of allowed transitions and the one
function that performs them.

Every change of a ``Job`` row after it was created goes through ``transition``: the
conditional UPDATE (guarded by the state the caller expects and, where a worker owns the
job, by that worker's id), the ``version`` bump, and the announcement to the board after
commit (canvas.jobs.announce). Queue, runner, progress reporter and recovery call it; none
of them writes ``state`` or ``version`` itself, so a new kind of change is one line in the
table, not a seventh copy of "update, bump, broadcast". The machinery itself (conditional
UPDATE, version, lease, claim/requeue/finish effects) is foundation.leased_work's, shared
with canvas.exports.lifecycle; this module holds the jobs' table, their own effects (a
claim ends a deferral and stamps the first claim; durable changes carry a re-send
deadline) and their announcement.

A guard that no longer holds (the job was cancelled, recovered or finished by someone
else meanwhile) is a lost race, not an error: ``transition`` returns None and the caller
stops quietly. Asking for a change the table does not allow (a finished job back to
running, a worker ending a job without naming itself) is a programming error and raises
``IllegalTransition``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from canvas.jobs import announce, config
from canvas.jobs.signals import job_changed
from canvas.models.jobs import FINISHED_STATES, Job, JobState, SlotState
from canvas.webhooks import dispatch as webhooks
from foundation.background import run_after_commit
from foundation.leased_work import IllegalTransition, Lifecycle, Rule

logger = logging.getLogger(__name__)

QUEUED, RUNNING = JobState.QUEUED, JobState.RUNNING
SUCCEEDED, FAILED, CANCELLED = JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED


TRANSITIONS: dict[tuple[str, str], Rule] = {
    (QUEUED, RUNNING): Rule("claims", "claim_next hands the job to a worker"),
    (QUEUED, QUEUED): Rule("none", "moved to front/back; released when a circuit closes"),
    (QUEUED, CANCELLED): Rule("none", "cancelled before it started"),
    (RUNNING, RUNNING): Rule("optional", "progress (its worker); cancel requested (a person)"),
    (RUNNING, SUCCEEDED): Rule("required", "the engine's results are stored"),
    (RUNNING, FAILED): Rule("required", "permanent error, refused, crashed, out of attempts"),
    (RUNNING, CANCELLED): Rule("required", "the engine stopped for a cancel request"),
    (RUNNING, QUEUED): Rule("required", "transient error (backoff), deferred, worker died"),
}


def _own_effects(source: str, target: str, now: Any) -> dict[str, Any]:
    """A deferral ends when the job starts; the first claim is stamped once, in the same
    guarded UPDATE (``COALESCE``: a later attempt's claim keeps the first one); a new
    attempt starts before its provider call (canvas.jobs.slots)."""
    if (source, target) != (QUEUED, RUNNING):
        return {}
    return {
        "not_before": None,
        "deferred_for": "",
        "slot_state": SlotState.BEFORE,
        "first_claimed_at": Coalesce(F("first_claimed_at"), Value(now)),
    }


def _changed(job: Job, source: str, target: str, durable: bool, with_results: bool) -> None:
    """Announce the job to its board after commit; record its webhooks (job.succeeded /
    failed, sent after commit) and tell its batch (canvas.batches) of a new state."""
    announce.job_after_commit(job, durable=durable, with_results=with_results)
    webhooks.job_finished(job)
    if job.batch_id is not None and source != target:
        job_changed.send(sender=Job, job=job)


# The shared machinery (foundation.leased_work): the conditional UPDATE, the version bump,
# the claim/requeue/finish effects and the lease. Finished jobs never change state again
# (checked there); a retry is a NEW job (queue.retry_job).
JOBS: Lifecycle[Job] = Lifecycle(
    noun="job",
    model=Job,
    transitions=TRANSITIONS,
    finished=frozenset(FINISHED_STATES),
    lease_seconds=config.lease_seconds,
    reserved=frozenset({"state", "version", "announce_after"}),
    own_effects=_own_effects,
    logger=logger,
)
rule_for = JOBS.rule_for


def transition(
    job_id: Any,
    source: str,
    target: str,
    *,
    owner: str = "",
    where: dict[str, Any] | None = None,
    durable: bool = True,
    with_results: bool = False,
    **fields: Any,
) -> Job | None:
    """Move job ``job_id`` from ``source`` to ``target`` if it is still in ``source``
    (and still owned by ``owner`` where the rule needs an owner); returns the updated row,
    or None when the guard no longer holds.

    ``where`` adds guards (e.g. ``{"cancel_requested": False}``); ``fields`` are the
    caller's own changes (error, notes, progress…). The job is announced to its board
    after the surrounding transaction commits (canvas.jobs.announce): ``durable`` changes
    are re-sent by a sweeper if that announcement is lost (progress passes False: the next
    message supersedes it); ``with_results`` sends the job's stored results first.
    """
    deadline = {"announce_after": announce.resend_deadline()} if durable else {}
    return JOBS.transition(
        job_id,
        source,
        target,
        owner=owner,
        where=where,
        effects=deadline,
        on_change=lambda job: _changed(job, source, target, durable, with_results),
        **fields,
    )


def create(**fields: Any) -> Job:
    """Store a new queued job (version 1) and announce it after commit. A job joining a
    batch one by one (a retry) is told to the batch like a change (``job_changed``)."""

    def created(job: Job) -> None:
        announce.job_after_commit(job)
        if job.batch_id is not None:
            job_changed.send(sender=Job, job=job, created=True)

    return JOBS.create(fields, created, initial={"announce_after": announce.resend_deadline()})


def create_many(jobs: list[Job]) -> list[Job]:
    """Store many new queued jobs (version 1) in one INSERT and announce them after commit.

    What ``create`` does for one job, for a batch: ``bulk_create`` skips ``save()`` and its
    signals, and nothing here relies on them — each job still carries ``announce_after``
    (the sweeper re-sends a lost announcement), and the after-commit send goes out for
    every job (canvas.jobs.announce.jobs_after_commit). The caller wakes the workers.
    """
    deadline = announce.resend_deadline()
    for job in jobs:
        if job.state != QUEUED or job.version != 1:
            raise IllegalTransition("a new job is always queued, version 1")
        job.announce_after = deadline
    with transaction.atomic():
        created = Job.objects.bulk_create(jobs)
        announce.jobs_after_commit(created)
    return created


def noted(job: Job, text: str) -> list[dict[str, str]]:
    """``job``'s notes with ``text`` added (what a designer may want to know: retries,
    interruptions, a paused provider)."""
    return [*(job.notes or []), {"at": timezone.now().isoformat(), "text": text}]


# --- Leases ---------------------------------------------------------------------------------


lease_from_now = JOBS.lease_from_now
renew_lease = JOBS.renew_lease  # no version bump, no message: only recovery reads leases


def wake_workers_after_commit() -> None:
    """Tell the workers a job became claimable (queued, due again, released), once the
    transaction that made it so commits: the "canvas.jobs.wake" task of canvas.jobs.tasks."""
    run_after_commit("canvas.jobs.wake")
