"""Run one claimed job to its end: composite, engine, results, final state.

``execute(job_id, worker_id)`` is called by a worker that won ``claim_next``. It rebuilds
the region from the layer snapshot taken at submit time (not the live board), runs the
engine through a ``JobProgress``, pastes inpaint results back through the mask, stores
every result once as a staged ``Iteration`` and records how the job ended:

- success                    → succeeded
- ``JobCancelled``           → cancelled
- ``TransientEngineError``   → queued again after an exponential, jittered backoff, until
                               ``max_attempts`` starts; then failed
- ``PermanentEngineError`` / a refused request → failed with the engine's message
- anything else              → failed with ``internal_error`` (traceback in the log)

Running the same job twice stores its results once: results are keyed (job, index), and a
job that is no longer running for this worker is left alone. Only this module ends a
running attempt (through canvas.jobs.lifecycle); it never queues new jobs
(canvas.jobs.queue does).
"""

from __future__ import annotations

import logging
import random
import time
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from canvas.engines import JobCancelled, PermanentEngineError, TransientEngineError, get_engine
from canvas.engines.providers import resilience
from canvas.governance.hooks import results_landed
from canvas.jobs import adapters, announce, config, deferrals, lifecycle
from canvas.jobs.inputs import build_request, composite_region, load_anchors, load_mask
from canvas.jobs.lifecycle import wake_workers_after_commit
from canvas.jobs.progress import JobProgress, LeaseLost
from canvas.models.jobs import Iteration, Job, JobMode, JobState
from foundation.errors import AppError

logger = logging.getLogger(__name__)

PASTE_FEATHER = 4  # pixels of soft edge where an inpainted result meets the original
MAX_BACKOFF_SECONDS = 600.0


# --- Results --------------------------------------------------------------------------------


def _provenance(job: Job, result: Any, source_asset_id: Any) -> dict[str, Any]:
    spec = job.spec
    return {
        "job": str(job.id),
        "mode": job.mode,
        "engine": getattr(result, "engine", job.engine) or job.engine,
        "model": getattr(result, "model", ""),
        "prompt": spec.get("prompt", ""),
        "negative_prompt": spec.get("negative_prompt", ""),
        "params": {
            "strength": spec.get("strength"),
            "count": spec.get("count"),
            "scale": spec.get("scale"),
            "output_size": spec.get("output_size"),
            **(spec.get("params") or {}),
        },
        "seed": getattr(result, "seed", None),
        "region": spec.get("region"),
        "mask": spec.get("mask"),
        "anchors": [
            {"item_id": a["item_id"], "asset_id": a["asset_id"], "role": a["role"]}
            if not a.get("kit_reference")
            else {"kit_reference": a["kit_reference"], "blob": a["blob"], "role": a["role"]}
            for a in spec.get("anchors", [])
        ],
        "variables": spec.get("variables") or {},
        # Which brand kit version shaped this job (id, version, name), or None.
        "brand_kit": spec.get("brand_kit"),
        "source_assets": sorted({layer["asset_id"] for layer in spec.get("layers", [])}),
        "source_asset": str(source_asset_id) if source_asset_id else None,
        "timings": dict(getattr(result, "timings", {}) or {}),
    }


def store_results(job: Job, source: Image.Image, mask: Image.Image | None, results) -> int:
    """Store each result as a staged Iteration, once per (job, index). Returns new ones."""
    existing = set(Iteration.objects.filter(job=job).values_list("index", flat=True))
    if len(existing) >= len(results):
        return 0
    source_asset = adapters.store_image(job, source, f"job-{job.id}-source.png")
    created = 0
    for index, result in enumerate(results):
        if index in existing:
            continue
        image = result.image
        if job.mode == JobMode.INPAINT and mask is not None:
            image = adapters.paste_back(source, image, mask, PASTE_FEATHER)
        asset = adapters.store_image(job, image, f"job-{job.id}-{index + 1}.png")
        try:
            with transaction.atomic():
                stored = Iteration.objects.create(
                    board_id=job.board_id,
                    job=job,
                    index=index,
                    asset=asset,
                    source_asset=source_asset,
                    parent_id=job.parent_iteration_id,
                    region=job.spec.get("region", {}),
                    seed=getattr(result, "seed", None),
                    provenance=_provenance(job, result, source_asset.pk),
                )
                announce.result_after_commit(stored.pk, job.pk)
            created += 1
        except IntegrityError:  # another run of this job stored it first
            continue
    if created:
        results_landed(job.pk)  # consistency scores, in the background, after commit
    return created


# --- Endings --------------------------------------------------------------------------------


def _finish(job_id: Any, owner: str, state: str, **fields: Any) -> bool:
    """End this attempt if this worker still owns the job (announced after commit)."""
    return lifecycle.transition(job_id, JobState.RUNNING, state, owner=owner, **fields) is not None


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter on top of half the delay."""
    if retry_after is not None and retry_after > 0:
        return min(MAX_BACKOFF_SECONDS, retry_after)
    delay = min(MAX_BACKOFF_SECONDS, config.retry_base_seconds() * 2 ** max(0, attempt - 1))
    return delay / 2 + random.uniform(0, delay / 2)


def _transient(job: Job, worker_id: str, exc: Any) -> None:
    if job.attempts < job.max_attempts:
        delay = backoff_seconds(job.attempts, getattr(exc, "retry_after", None))
        text = f"Attempt {job.attempts} of {job.max_attempts} failed: {exc.message} Retrying."
        with transaction.atomic():
            if _finish(
                job.pk,
                worker_id,
                JobState.QUEUED,
                not_before=timezone.now() + timedelta(seconds=delay),
                progress_message=f"Waiting to retry ({exc.message})"[:200],
                notes=lifecycle.noted(job, text),
            ):
                wake_workers_after_commit()
        logger.warning("job %s: transient failure, retry in %.1fs: %s", job.pk, delay, exc)
    else:
        message = f"{exc.message} (gave up after {job.attempts} attempts)"
        _finish(
            job.pk,
            worker_id,
            JobState.FAILED,
            error_code=exc.code,
            error_message=message,
            progress_message="Failed",
        )
        logger.warning("job %s failed after %d attempts: %s", job.pk, job.attempts, exc)


def _results_need_resending(job: Job) -> bool:
    """Send the results again with the final state? Yes after an interrupted attempt, or
    when a result's own message could not be sent (it left its job marked for re-sending;
    the claim's mark was cleared right after the claim committed)."""
    return job.attempts > 1 or (
        Job.objects.filter(pk=job.pk, announce_after__isnull=False).exists()
    )


def _finish_from_earlier_attempt(job: Job, worker_id: str) -> bool:
    """A re-run of a job whose interrupted attempt stored results (it may have died between
    storing them and announcing them). If every result is stored, finish now, announcing
    them, instead of running the engine again; otherwise show the stored ones at once
    (the final state re-sends them too). True if the job is finished."""
    stored = Iteration.objects.filter(job=job).count()
    if stored < int(job.spec.get("count", 1)):
        if stored:
            announce.results_now(job.pk)
        return False
    logger.info("job %s: every result was stored by an earlier attempt", job.pk)
    return _finish(
        job.pk,
        worker_id,
        JobState.SUCCEEDED,
        with_results=True,
        progress=1.0,
        progress_message="Done",
    )


def execute(job_id: Any, worker_id: str) -> str | None:
    """Run a job claimed by ``worker_id``. Returns its final state, None if not ours."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.state != JobState.RUNNING or job.worker_id != worker_id:
        return None  # finished, cancelled or recovered elsewhere: never run it twice
    if job.attempts > 1 and _finish_from_earlier_attempt(job, worker_id):
        return JobState.SUCCEEDED
    started = time.monotonic()
    progress = JobProgress(job.pk, worker_id)
    try:
        with progress:
            progress.set(0.01, "Preparing the region", force=True)
            engine = get_engine(job.engine)
            source = composite_region(job)
            mask = load_mask(job, source.size)
            request = build_request(job, source, mask, load_anchors(job))
            # Checks the request; while a provider's circuit is open, picks the board's
            # fallback engine or raises ProviderDeferred (canvas/engines/providers).
            engine = resilience.route_engine(job, request, engine)
            if progress.cancelled():
                raise JobCancelled()
            results = engine.run(request, progress)
            if not results:
                raise PermanentEngineError("The engine returned no images.", code="no_results")
            progress.set(0.92, "Saving results", force=True)
            store_results(job, source, mask, results)
        ok = _finish(
            job.pk,
            worker_id,
            JobState.SUCCEEDED,
            with_results=_results_need_resending(job),
            progress=1.0,
            progress_message="Done",
        )
        logger.info("job %s succeeded in %.1fs", job.pk, time.monotonic() - started)
        return JobState.SUCCEEDED if ok else None
    except LeaseLost:
        logger.warning("job %s: lease lost, another worker or recovery took over", job.pk)
        return None
    except resilience.ProviderDeferred as exc:
        deferrals.defer(job, worker_id, exc)
    except JobCancelled:
        if progress.timed_out:
            minutes = config.time_limit_seconds() / 60
            _finish(
                job.pk,
                worker_id,
                JobState.FAILED,
                error_code="timed_out",
                error_message=(
                    f"The job ran longer than this server allows ({minutes:g} minutes) and "
                    "was stopped. Try a smaller region or fewer results."
                ),
                progress_message="Failed",
            )
            return JobState.FAILED
        _finish(job.pk, worker_id, JobState.CANCELLED, progress_message="Cancelled")
        return JobState.CANCELLED
    except TransientEngineError as exc:
        _transient(job, worker_id, exc)
    except (PermanentEngineError, AppError) as exc:
        # Retrying cannot help, or the request was refused (engine capabilities changed, …).
        _finish(
            job.pk,
            worker_id,
            JobState.FAILED,
            error_code=exc.code,
            error_message=exc.message,
            progress_message="Failed",
        )
        how = "failed permanently" if isinstance(exc, PermanentEngineError) else "refused"
        logger.warning("job %s %s: %s", job.pk, how, exc.message)
    except Exception:
        logger.exception("job %s crashed", job.pk)
        _finish(
            job.pk,
            worker_id,
            JobState.FAILED,
            error_code="internal_error",
            error_message=(
                "Something went wrong on the server while running this job. "
                "Try again; if it keeps failing, tell your administrator."
            ),
            progress_message="Failed",
        )
    return Job.objects.filter(pk=job.pk).values_list("state", flat=True).first()
