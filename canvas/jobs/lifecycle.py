"""A job's state changes, written once: the table of allowed transitions and the one
function that performs them.

Every change of a ``Job`` row after it was created goes through ``transition``: the
conditional UPDATE (guarded by the state the caller expects and, where a worker owns the
job, by that worker's id), the ``version`` bump, and the announcement to the board after
commit (canvas.jobs.announce). Queue, runner, progress reporter and recovery call it; none
of them writes ``state`` or ``version`` itself, so a new kind of change is one line in the
table, not a seventh copy of "update, bump, broadcast".

A guard that no longer holds (the job was cancelled, recovered or finished by someone
else meanwhile) is a lost race, not an error: ``transition`` returns None and the caller
stops quietly. Asking for a change the table does not allow (a finished job back to
running, a worker ending a job without naming itself) is a programming error and raises
``IllegalTransition``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from canvas.jobs import announce, config
from canvas.jobs.signals import job_changed
from canvas.models.jobs import FINISHED_STATES, Job, JobState
from canvas.webhooks import dispatch as webhooks
from foundation.background import run_after_commit

logger = logging.getLogger(__name__)

QUEUED, RUNNING = JobState.QUEUED, JobState.RUNNING
SUCCEEDED, FAILED, CANCELLED = JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED


class IllegalTransition(RuntimeError):
    """A caller asked for a state change the lifecycle does not allow (a bug, not a race)."""


@dataclass(frozen=True)
class Rule:
    """One allowed (from, to) pair.

    ``owner``: "claims" – the change hands the job to the worker named (claim);
    "required" – only the worker that owns the job may make it (every way out of running:
    the runner itself, or recovery naming the dead owner); "optional" – a worker's own
    progress names it, a person's cancel request does not; "none" – nobody owns a queued job.
    """

    owner: str
    uses: str


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
# Finished jobs never change state again; a retry is a NEW job (queue.retry_job).
assert not any(source in FINISHED_STATES for source, _ in TRANSITIONS)

# Fields only this module writes.
_RESERVED = frozenset({"state", "version", "announce_after"})


def rule_for(source: str, target: str) -> Rule:
    """The rule for ``source`` → ``target``; raises IllegalTransition when there is none."""
    try:
        return TRANSITIONS[(source, target)]
    except KeyError:
        raise IllegalTransition(f"a job cannot go from {source} to {target}") from None


def _effects(source: str, target: str, owner: str, now) -> dict[str, Any]:
    """What every change of this kind sets, besides the caller's own fields."""
    if (source, target) == (QUEUED, RUNNING):
        return {
            "worker_id": owner,
            "started_at": now,
            "lease_expires_at": lease_from_now(),
            "attempts": F("attempts") + 1,
            "progress": 0,
            "progress_message": "Starting",
            "not_before": None,
            "deferred_for": "",
        }
    if (source, target) == (RUNNING, QUEUED):
        return {"worker_id": "", "lease_expires_at": None, "progress": 0}
    if target in FINISHED_STATES:
        return {"finished_at": now, "lease_expires_at": None}
    return {}


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
    rule = rule_for(source, target)
    if rule.owner in ("required", "claims") and not owner:
        raise IllegalTransition(f"{source} → {target} must name the worker ({rule.uses})")
    if rule.owner == "none" and owner:
        raise IllegalTransition(f"{source} → {target} has no owner ({rule.uses})")
    reserved = _RESERVED & fields.keys()
    if reserved:
        raise IllegalTransition(f"only the lifecycle writes {', '.join(sorted(reserved))}")
    now = timezone.now()
    guard: dict[str, Any] = {"pk": job_id, "state": source, **(where or {})}
    if owner and rule.owner != "claims":
        guard["worker_id"] = owner
    changes = {**_effects(source, target, owner, now), **fields}
    changes.update(state=target, version=F("version") + 1)
    if durable:
        changes["announce_after"] = announce.resend_deadline()
    with transaction.atomic():
        if not Job.objects.filter(**guard).update(**changes):
            return None
        # Read inside the transaction: our UPDATE holds the row, so this is exactly the
        # version we wrote, and the message announces that version and nothing later.
        job = Job.objects.get(pk=job_id)
        announce.job_after_commit(job, durable=durable, with_results=with_results)
        webhooks.job_finished(job)  # job.succeeded/failed: recorded here, sent after commit
        if job.batch_id is not None and source != target:
            job_changed.send(sender=Job, job=job)  # the batch's counts (canvas.batches)
    if source != target:
        logger.info("job %s: %s → %s (v%d)", job_id, source, target, job.version)
    return job


def create(**fields: Any) -> Job:
    """Store a new queued job (version 1) and announce it after commit."""
    if _RESERVED & fields.keys():
        raise IllegalTransition("a new job is always queued, version 1")
    with transaction.atomic():
        job = Job.objects.create(state=QUEUED, announce_after=announce.resend_deadline(), **fields)
        announce.job_after_commit(job)
    return job


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


def lease_from_now() -> Any:
    """When a lease taken or renewed now expires."""
    return timezone.now() + timedelta(seconds=config.lease_seconds())


def renew_lease(job_id: Any, owner: str) -> bool:
    """Extend ``owner``'s lease on its running job; False if the job is no longer its own.

    Not a change clients see (no version bump, no message): only recovery reads leases.
    """
    return bool(
        Job.objects.filter(pk=job_id, state=RUNNING, worker_id=owner).update(
            lease_expires_at=lease_from_now()
        )
    )


def wake_workers_after_commit() -> None:
    """Tell the workers a job became claimable (queued, due again, released), once the
    transaction that made it so commits: the "canvas.jobs.wake" task of canvas.jobs.tasks."""
    run_after_commit("canvas.jobs.wake")
