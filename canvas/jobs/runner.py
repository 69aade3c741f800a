"""Run one claimed job to its end: composite, engine, results, final state.

``execute(job_id, worker_id)`` is called by a worker that won ``claim_next``. It rebuilds
the region from the layer snapshot taken at submit time (not the live board), runs the
engine through a ``JobProgress``, has canvas.jobs.results paste inpaint results back
through the mask and store every result once as a staged ``Iteration`` (its files before,
its rows in the same transaction as ``succeeded``), and records how the job ended:

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

from django.db import transaction
from django.utils import timezone

from assets.services import schedule_previews
from canvas.engines import JobCancelled, PermanentEngineError, TransientEngineError, get_engine
from canvas.engines.providers import resilience
from canvas.jobs import announce, config, deferrals, lifecycle, results, slots
from canvas.jobs.inputs import build_request, composite_region, load_anchors, load_mask
from canvas.jobs.lifecycle import wake_workers_after_commit
from canvas.jobs.progress import JobProgress, LeaseLost
from canvas.jobs.video_results import store_video_results
from canvas.models.jobs import Iteration, Job, JobMode, JobState
from foundation.errors import AppError

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 600.0


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
        # The engine's message was written before this decision: it may promise a retry.
        message = resilience.gave_up(exc.message, job.attempts)
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
    the claim's mark was cleared right after the claim committed). A first attempt of an
    image job cannot have announced a result yet: its rows commit with its final state
    (``results.record`` in the finishing transaction), so nothing is read for it."""
    if job.attempts > 1:
        return True
    if job.mode != JobMode.VIDEO:
        return False
    return Job.objects.filter(pk=job.pk, announce_after__isnull=False).exists()


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
    # The board and the author come with the row: the results' assets name both.
    job = Job.objects.select_related("board", "created_by").filter(pk=job_id).first()
    if job is None or job.state != JobState.RUNNING or job.worker_id != worker_id:
        return None  # finished, cancelled or recovered elsewhere: never run it twice
    if job.attempts > 1 and _finish_from_earlier_attempt(job, worker_id):
        return JobState.SUCCEEDED
    started = time.monotonic()
    progress = JobProgress.for_job(job, worker_id)
    try:
        with progress:
            # The claim already said "Preparing the region" (canvas.jobs.queue.claim_next).
            engine = get_engine(job.engine)
            source = composite_region(job)
            # Stored while the engine runs (a video job stores its own, with the clip).
            source_file = results.SourceFile(source) if job.mode != JobMode.VIDEO else None
            mask = load_mask(job, source.size)
            request = build_request(job, source, mask, load_anchors(job))
            # Checks the request; while a provider's circuit is open, picks the board's
            # fallback engine or raises ProviderDeferred (canvas/engines/providers).
            engine = resilience.route_engine(job, request, engine)
            if progress.cancelled():
                raise JobCancelled()
            # Only the call holds one of its provider's slots (canvas.jobs.slots).
            with slots.provider_call(job.pk, worker_id, engine.name, progress):
                outputs = engine.run(request, progress)
            if not outputs:
                raise PermanentEngineError("The engine returned no images.", code="no_results")
            progress.set(0.92, "Saving results")  # throttled like any progress
            files = None
            if job.mode == JobMode.VIDEO:
                store_video_results(job, source, outputs, results.provenance)
            else:
                files = results.store_files(job, source, mask, outputs, source_file=source_file)
        resend = _results_need_resending(job)
        previews: list[Any] = []
        with transaction.atomic():  # the results and the state that announces them, at once
            results.record(job, files, previews)
            ok = _finish(
                job.pk,
                worker_id,
                JobState.SUCCEEDED,
                with_results=resend,
                progress=1.0,
                progress_message="Done",
            )
            schedule_previews(previews)  # after commit, after the announcements above
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
