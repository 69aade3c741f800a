"""Put jobs whose worker died back in the queue, or fail them when out of attempts.

A running job belongs to the worker named in ``worker_id`` only while its lease is valid;
the runner renews the lease from a heartbeat thread while it works
(``ANCHORBOARD_JOB_HEARTBEAT_SECONDS``, a lease is three heartbeats by default). A job is
*abandoned* when its lease expired,
or when its worker ran on this host in a process that no longer exists (found at once at
worker start, without waiting for the lease). Abandoned jobs go back to the queue with a
note (the interrupted start already counts as an attempt), or fail with "interrupted N
times" once ``max_attempts`` starts are used up. Queued jobs need no recovery: they simply
run once a worker is up.

This module only finds abandoned jobs and moves them (through canvas.jobs.lifecycle); it
never runs one.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from canvas.jobs import lifecycle
from canvas.jobs.claim_caps import serialise_claims
from canvas.jobs.lifecycle import wake_workers_after_commit
from canvas.models.jobs import JobState

logger = logging.getLogger(__name__)

_abandoned = lifecycle.JOBS.abandoned  # running jobs whose lease expired or worker died


def recover_abandoned_jobs() -> list[str]:
    """Requeue or fail every abandoned running job; returns their ids.

    Cheap when there is nothing to do (one indexed read, no lock), so every worker runs
    it at every upkeep tick.
    """
    now = timezone.now()
    if not _abandoned(now):
        return []
    recovered: list[str] = []
    with transaction.atomic():
        serialise_claims()  # no claim can hand out a job while we look at leases
        for job in _abandoned(now):
            note = {"at": now.isoformat()}
            changes: dict = {}
            if job.cancel_requested:
                target = JobState.CANCELLED
                changes = {"progress_message": "Cancelled"}
                note["text"] = "The worker stopped while the job was being cancelled."
            elif job.attempts < job.max_attempts:
                target = JobState.QUEUED
                changes = {"progress_message": "Interrupted; waiting to run again"}
                note["text"] = (
                    f"Attempt {job.attempts} of {job.max_attempts} was interrupted "
                    "(the worker stopped); running it again."
                )
            else:
                message = (
                    f"The job was interrupted {job.attempts} times (the worker stopped each "
                    "time) and was not tried again. Retry it, or try a smaller region."
                )
                target = JobState.FAILED
                changes = {
                    "error_code": "interrupted",
                    "error_message": message,
                    "progress_message": "Failed",
                }
                note["text"] = message
            # Guarded by the owner and the lease we judged: a worker that renewed its lease
            # in the meantime is alive and keeps its job.
            updated = lifecycle.transition(
                job.pk,
                JobState.RUNNING,
                target,
                owner=job.worker_id,
                where={"lease_expires_at": job.lease_expires_at},
                # The dead attempt may have stored results it never got to announce.
                with_results=True,
                notes=[*(job.notes or []), note],
                **changes,
            )
            if updated is not None:
                recovered.append(str(job.pk))
                logger.warning("job %s recovered from %s: %s", job.pk, job.worker_id, note["text"])
        if recovered:
            wake_workers_after_commit()
    return recovered
