"""Retrying a batch's job (canvas.jobs.queue.retry_job): the new job stays in the batch —
it replaces the old one in the counts, reopens a batch that had ended, and the batch ends
(and says so) once more when it has run."""

from __future__ import annotations

import pytest

from canvas.batches import progress, runs
from canvas.jobs import queue, runner
from canvas.models import BatchState, Job, JobPriority, JobState
from tests.batches.conftest import raw_batch

pytestmark = pytest.mark.django_db


def run_all(worker="retry-test"):
    while (claim := queue.claim_next(worker)) is not None:
        runner.execute(claim.job_id, worker)


def failed_job_of(batch):
    """Claim the batch's first job and let it fail for good (as the runner ends a job
    whose engine refused it)."""
    claim = queue.claim_next("w")
    from canvas.jobs import lifecycle

    lifecycle.transition(
        claim.job_id, JobState.RUNNING, JobState.FAILED, owner="w", error_code="engine_error"
    )
    job = Job.objects.get(pk=claim.job_id)
    assert job.batch_id == batch.pk and job.state == JobState.FAILED
    return job


def test_a_retried_job_of_an_ended_batch_reopens_it_and_takes_the_old_ones_place(
    board, owner, sent, django_capture_on_commit_callbacks
):
    batch, _ = runs.start_batch(board, owner, raw_batch())
    failed = failed_job_of(batch)
    run_all()
    batch.refresh_from_db()
    assert batch.state == BatchState.COMPLETED and batch.finished_at is not None
    assert progress.counts(batch.pk)["failed"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        retry = queue.retry_job(failed, owner)
    assert retry.batch_id == batch.pk and retry.retried_from_id == failed.pk
    assert retry.priority == JobPriority.BULK and retry.spec == failed.spec
    batch.refresh_from_db()
    assert batch.state == BatchState.RUNNING and batch.finished_at is None
    numbers = progress.counts(batch.pk)
    assert numbers == {"queued": 1, "running": 0, "succeeded": 3, "failed": 0, "cancelled": 0}
    assert sum(numbers.values()) == batch.jobs_total == 4
    # The team's batches page reads a page of batches at once, with the same replacement.
    assert progress.counts_for_many([batch.pk]) == {batch.pk: numbers}
    # The board heard at once (the reopening is forced through the throttle).
    assert sent[-1][1]["batch"]["state"] == "running"
    assert sent[-1][1]["batch"]["counts"]["queued"] == 1
    # Only the batch's own rows: GET /boards/{id}/jobs?batch= lists both runs.
    assert Job.objects.filter(batch=batch).count() == 5

    run_all()
    batch.refresh_from_db()
    assert batch.state == BatchState.COMPLETED and batch.finished_at is not None
    assert progress.batch_payload(batch)["done"] == 4
    # A cell is retried once: the old job again is a conflict (retry the newer one).
    with pytest.raises(queue.JobStateConflict, match="already retried"):
        queue.retry_job(Job.objects.get(pk=failed.pk), owner)


def test_a_retry_in_a_paused_batch_waits_with_it(board, owner):
    batch, _ = runs.start_batch(board, owner, raw_batch())
    failed = failed_job_of(batch)
    runs.pause_batch(batch)
    retry = queue.retry_job(failed, owner)
    batch.refresh_from_db()
    assert batch.state == BatchState.PAUSED and retry.batch_id == batch.pk
    assert queue.claim_next("w") is None
    runs.resume_batch(batch)
    run_all()
    batch.refresh_from_db()
    assert batch.state == BatchState.COMPLETED
    assert Job.objects.get(pk=retry.pk).state == JobState.SUCCEEDED


def test_a_retry_in_a_cancelled_batch_runs(board, owner):
    batch, _ = runs.start_batch(board, owner, raw_batch())
    runs.cancel_batch(batch)
    batch.refresh_from_db()
    assert batch.state == BatchState.CANCELLED and batch.finished_at is not None
    cancelled = Job.objects.filter(batch=batch).order_by("position").first()
    retry = queue.retry_job(cancelled, owner)
    batch.refresh_from_db()
    assert batch.state == BatchState.RUNNING and batch.finished_at is None
    run_all()
    assert Job.objects.get(pk=retry.pk).state == JobState.SUCCEEDED
    batch.refresh_from_db()
    assert batch.state == BatchState.COMPLETED
    assert progress.counts(batch.pk) == {
        "queued": 0, "running": 0, "succeeded": 1, "failed": 0, "cancelled": 3
    }  # fmt: skip


def test_a_job_outside_any_batch_retries_as_before(board, owner):
    from tests.jobs.conftest import REGION

    job = queue.submit_job(board, owner, {"mode": "img2img", "engine": "test-echo",
                                          "region": REGION})  # fmt: skip
    queue.cancel_job(job)
    job.refresh_from_db()
    first, second = queue.retry_job(job, owner), queue.retry_job(job, owner)
    assert first.batch_id is None and second.batch_id is None
