"""Workers and tasks: the pool runs claimed jobs; wake/work tasks by dispatcher."""

from __future__ import annotations

import pytest

from canvas.jobs.workers import WorkerPool, start_embedded_workers
from canvas.models import Job, JobState
from foundation.background import registered
from tests.jobs import engines


@pytest.mark.django_db
def test_work_task_runs_one_job(submit):
    job = submit()
    other = submit()
    assert registered("canvas.jobs.work")() is True
    job.refresh_from_db()
    other.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and other.state == JobState.QUEUED
    registered("canvas.jobs.work")()
    assert registered("canvas.jobs.work")() is False  # nothing left


@pytest.mark.django_db
def test_wake_runs_a_job_only_where_no_pool_can(submit, settings):
    job = submit()
    registered("canvas.jobs.wake")()  # inline dispatcher, no pool here: tests drive jobs
    job.refresh_from_db()
    assert job.state == JobState.QUEUED
    settings.ANCHORBOARD_DISPATCHER = "celery"  # a Celery worker has no pool: it works
    registered("canvas.jobs.wake")()
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED


def test_embedded_pool_only_with_the_embedded_dispatcher(settings):
    settings.ANCHORBOARD_DISPATCHER = "celery"
    assert start_embedded_workers() is None


@pytest.mark.django_db(transaction=True)
def test_pool_claims_and_finishes_a_job_before_stopping(submit):
    job = submit(engine="test-gate")
    engines.GATE.set()  # the engine finishes as soon as it starts
    pool = WorkerPool(1, name="test")
    pool.start()
    try:
        assert engines.STARTED.wait(60), "no worker picked up the job"
    finally:
        pool.stop()  # returns once the running job has finished
    assert not pool.running
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert job.worker_id == "" or job.worker_id.endswith(":test0")
    assert Job.objects.get(pk=job.pk).iterations.count() == 1
