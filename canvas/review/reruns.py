"""Re-running a batch's failures from its matrix: "re-run failed" and "re-run drifted with
the refine engine". Both queue jobs **in the same batch** (bulk priority, fair scheduling,
pause/cancel and progress as for its first jobs), announced after commit, in one
transaction per action.

- **Failed**: each failed job that was not retried yet is retried (canvas.jobs.queue.
  retry_job: a new job with the same spec — same seed, prompt and layer snapshot —
  ``retried_from`` the failed one, in the batch). The retry replaces it in the batch's
  counts (canvas.batches.progress.current_jobs), so the batch's size stays the same.
- **Drifted**: each result the drift check flagged that no refine job of the batch works
  on yet gets one refine job: the batch's **final engine** (the last of its ``engines``,
  with that choice's params, strength and scale; the board's kit's engine when the kit
  locks it) on the **result image itself** (its own layer snapshot, as an upscale of a
  candidate is built, canvas.review.promotion.result_layers), the cell's prompt, seed,
  anchors and ``variables`` (so its results land in the same cell), ``parent_iteration``
  the drifted result (a refinement in review and in the lineage). There is no separate
  "refine engine" setting: the batch's last engine is the one its spec names for finals.
  These jobs add to the batch's size. A job the engine refuses is counted, not queued.

A batch that had ended (completed or cancelled) runs again (state ``running``,
``finished_at`` cleared) and ends once more (canvas.batches.runs.reopen_for_retry). A
paused batch stays paused: the new jobs wait for resume. Callers
check the role (edit: these make jobs).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import transaction
from django.db.models import F

from canvas.batches import progress
from canvas.batches.runs import batch_job, reopen_for_retry
from canvas.batches.spec import BatchSpec
from canvas.engines.base import EngineError
from canvas.jobs import config, lifecycle
from canvas.jobs.queue import InvalidJob, check_with_engine, retry_job
from canvas.models import (
    Batch,
    Iteration,
    Job,
)
from canvas.review import matrix
from canvas.review.promotion import result_layers
from foundation.errors import AppError

logger = logging.getLogger(__name__)


def _author(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _queue(batch: Batch, jobs: list[Job]) -> None:
    """Write ``jobs`` (one INSERT) into the batch, which grows by them and runs again if it
    had ended (canvas.batches.runs.reopen_for_retry); wake workers, tell the board."""
    lifecycle.create_many(jobs)
    Batch.objects.filter(pk=batch.pk).update(jobs_total=F("jobs_total") + len(jobs))
    reopen_for_retry(batch.pk)
    lifecycle.wake_workers_after_commit()
    progress.send_after_commit(batch.pk, force=True)


def _lock(batch: Batch) -> None:
    """Two re-runs of one batch take turns, so the second sees the first's jobs (and a
    double click queues nothing twice)."""
    list(Batch.objects.select_for_update().filter(pk=batch.pk).values_list("pk"))


def _ensure_open(batch: Batch) -> None:
    if batch.board.is_archived:
        raise InvalidJob("This board is archived; restore it before running jobs.")


def rerun_failed(batch: Batch, user: Any) -> list[Job]:
    """Retry each failed, not yet retried job of the batch (same spec and seed) in one
    transaction: canvas.jobs.queue.retry_job, which keeps a batch's job in its batch."""
    _ensure_open(batch)
    with transaction.atomic():
        _lock(batch)
        failed = list(matrix.failed_jobs(batch).select_related("board").order_by("position"))
        jobs = [retry_job(job, user) for job in failed]
        if jobs:
            progress.send_after_commit(batch.pk, force=True)
    logger.info("batch %s: %d failed jobs re-run", batch.pk, len(jobs))
    return jobs


def refine_spec(batch: Batch, result: Iteration) -> dict[str, Any]:
    """The refine job of a drifted ``result``: the batch's final engine on the result image."""
    source = dict(result.job.spec or {})
    final = BatchSpec.model_validate(batch.spec).engines[-1]
    spec = {**source}
    if not source.get("engine_locked"):  # a kit that locks the engine keeps its engine
        spec["engine"] = final.name
        spec["params"] = dict(final.params)
        for name in ("strength", "scale"):
            value = getattr(final, name)
            if value is not None:
                spec[name] = value
    region = {k: float(result.region.get(k, 0)) for k in ("x", "y", "width", "height")}
    spec.update(
        region=region,
        seed=result.seed if result.seed is not None else source.get("seed"),
        seed_mode="fixed",
        count=1,
        layers=result_layers(result, region),
    )
    return spec


def refine_drifted(batch: Batch, user: Any) -> tuple[list[Job], int]:
    """Queue a refine job for every flagged result of the batch not being refined yet.
    Returns the jobs and how many the engine refused."""
    _ensure_open(batch)
    base = time.time()
    attempts = config.max_attempts()
    refused = 0
    with transaction.atomic():
        _lock(batch)
        grid = matrix.build(batch)
        jobs: list[Job] = []
        for result in matrix.drifted_unrefined(batch, grid):
            spec = refine_spec(batch, result)
            try:
                check_with_engine(spec)
            except (AppError, EngineError):
                refused += 1
                continue
            position = base + len(jobs) * 1e-6
            jobs.append(
                batch_job(batch, _author(user), spec, position, attempts, parent_iteration=result)
            )
        if jobs:
            _queue(batch, jobs)
    logger.info(
        "batch %s: %d drifted results sent to refine (%d refused)", batch.pk, len(jobs), refused
    )
    return jobs, refused
