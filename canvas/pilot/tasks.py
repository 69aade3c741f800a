"""What moves pilot runs on, in every topology (embedded workers or Celery on other
machines): nothing here waits.

- the upkeep chore ``pilot.advance`` (canvas.jobs.upkeep.add_chore): every worker process's
  tick advances every active run (one indexed read when there is none);
- the background task ``canvas.pilot.advance``: asked for after a run is started and after
  each of its jobs ends, so a run moves on without waiting for the next tick;
- the ``job_changed`` receiver: when a job of a run's latency batch ends, the next held
  job is released in the same transaction (canvas.pilot.latency.top_up), so the test keeps
  C jobs going whichever worker ended the last one.

Two processes doing any of this at once is harmless (canvas.pilot.machine: guarded steps;
top_up locks the batch row).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import Q
from django.dispatch import receiver

from canvas.jobs.signals import job_changed
from canvas.jobs.upkeep import add_chore
from canvas.models import Job
from canvas.pilot import latency, machine
from canvas.pilot.models import PILOT_ACTIVE_STATES, PilotRun
from foundation.background import run_after_commit, task

logger = logging.getLogger(__name__)

ADVANCE_TASK = "canvas.pilot.advance"


@task(ADVANCE_TASK)
def advance(run_id: Any) -> str | None:
    try:
        return machine.advance(run_id)
    except Exception:  # the next tick tries again; a pilot never breaks its caller
        logger.exception("advancing pilot %s failed", run_id)
        return None


def advance_all() -> None:
    for run_id in machine.active_runs():
        advance(run_id)


add_chore("pilot.advance", advance_all)


@receiver(job_changed, dispatch_uid="canvas.pilot.tasks.job_changed")
def _on_job_changed(sender: Any, job: Job, created: bool = False, **kwargs: Any) -> None:
    """A job of a batch changed state (inside its transaction): if it is one of an active
    pilot's jobs and it ended, release the next held job and advance the run after commit."""
    if created or not job.is_finished:
        return
    run = (
        PilotRun.objects.filter(
            Q(latency_batch_id=job.batch_id) | Q(consistency_batch_id=job.batch_id),
            state__in=PILOT_ACTIVE_STATES,
        )
        .values("pk", "latency_batch_id", "settings")
        .first()
    )
    if run is None:
        return
    if run["latency_batch_id"] == job.batch_id:
        settings = run["settings"]
        latency.top_up(job.batch_id, settings["concurrency"], settings["burst"])
    run_after_commit(ADVANCE_TASK, str(run["pk"]))
