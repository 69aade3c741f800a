"""Recovery in seconds: heartbeats keep a live worker's lease, every upkeep tick requeues
what a dead one left (canvas/jobs/progress.py, recovery.py, upkeep.py, workers.py).

These assert the mechanism, not wall-clock latencies (bench/recovery_bench.py
measures those): a lease is a few heartbeats, the heartbeat renews it while the engine is
busy, and recovery runs at every tick — so a dead worker's job waits at most one lease
plus one poll period.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from canvas.jobs import config, queue, upkeep
from canvas.jobs.progress import JobProgress
from canvas.jobs.workers import WorkerPool
from canvas.models import Job, JobState
from tests.jobs import engines
from tests.topology.harness import wait_until


def test_a_lease_is_three_heartbeats_and_a_heartbeat_at_most_a_third_of_a_lease(settings):
    settings.ANCHORBOARD_JOB_HEARTBEAT_SECONDS = 2
    settings.ANCHORBOARD_JOB_LEASE_SECONDS = None
    assert (config.heartbeat_seconds(), config.lease_seconds()) == (2, 6)
    settings.ANCHORBOARD_JOB_LEASE_SECONDS = 3  # a shorter lease pulls the heartbeat down
    assert (config.heartbeat_seconds(), config.lease_seconds()) == (1, 3)


@pytest.mark.django_db
def test_an_expired_lease_is_requeued_at_the_next_tick_and_a_live_one_never(submit):
    live, dead = submit(), submit()
    queue.claim_next("other-host:1:live")
    queue.claim_next("other-host:2:dead")
    Job.objects.filter(pk=dead.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    recovered, _ = upkeep.tick()
    assert recovered == [str(dead.pk)]
    states = dict(Job.objects.values_list("pk", "state"))
    assert states == {live.pk: JobState.RUNNING, dead.pk: JobState.QUEUED}
    assert upkeep.tick() == ([], 0)  # nothing abandoned: nothing done


@pytest.mark.django_db
def test_a_worker_that_renewed_after_recovery_looked_keeps_its_job(submit, monkeypatch):
    from canvas.jobs import lifecycle, recovery

    job = submit()
    queue.claim_next("other-host:1:0")
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    looked = recovery._abandoned

    def renew_in_between(now):
        found = looked(now)
        assert lifecycle.renew_lease(job.pk, "other-host:1:0")  # its heartbeat arrives
        return found

    monkeypatch.setattr(recovery, "_abandoned", renew_in_between)
    assert recovery.recover_abandoned_jobs() == []
    assert Job.objects.get(pk=job.pk).state == JobState.RUNNING


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_the_lease_while_the_engine_is_busy(submit, settings):
    settings.ANCHORBOARD_JOB_LEASE_SECONDS = 30
    settings.ANCHORBOARD_JOB_HEARTBEAT_SECONDS = 0.2
    job = submit()
    queue.claim_next("w1")
    seen: set = set()

    def renewed_twice() -> bool:
        seen.add(Job.objects.values_list("lease_expires_at", flat=True).get(pk=job.pk))
        return len(seen) >= 3

    # Inside the reporter an engine may block for minutes without calling it: only the
    # heartbeat thread writes, and it must keep the lease.
    with JobProgress(job.pk, "w1"):
        wait_until(renewed_twice, timeout=30, every=0.3, what="two renewals of the lease")
    assert Job.objects.get(pk=job.pk).state == JobState.RUNNING


@pytest.mark.django_db(transaction=True)
def test_the_pool_recovers_a_dead_workers_job_while_all_its_workers_are_busy(submit, settings):
    settings.ANCHORBOARD_JOB_POLL_SECONDS = 0.2
    busy = submit(engine="test-gate")
    orphan = submit()
    pool = WorkerPool(1, name="test")
    pool.start()
    try:
        assert engines.STARTED.wait(60), "the pool's worker never started"
        # Another host's worker holds the second job and stops heartbeating.
        assert queue.claim_next("other-host:9:0").job_id == orphan.pk
        expired = timezone.now() - timedelta(seconds=1)
        assert Job.objects.filter(pk=orphan.pk).update(lease_expires_at=expired) == 1
        wait_until(
            lambda: Job.objects.get(pk=orphan.pk).state == JobState.QUEUED,
            timeout=30,
            what="the housekeeping thread to requeue the orphan",
        )
        # Requeued while the pool's only worker was still busy: not a worker's doing.
        assert Job.objects.get(pk=busy.pk).state == JobState.RUNNING
    finally:
        engines.GATE.set()
        pool.stop()
