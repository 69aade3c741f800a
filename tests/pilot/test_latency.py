"""The latency test's pacing with the server's own engine: at most C jobs queued or running
at once, one released per ended job; steady moves a released job's submit time to its
release, a burst keeps every job's submit at the start; the report's numbers equal the
job table's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from canvas.models import Job, JobState
from canvas.pilot import consistency, machine, runs
from canvas.pilot.latency import HELD
from canvas.pilot.models import PilotRun, PilotStage
from tests.pilot.conftest import run_jobs


def to_latency(studio, monkeypatch, **fields) -> PilotRun:
    monkeypatch.setattr(consistency, "SCORE_WAIT", timedelta(0))  # scores are not the point
    body = {"board": str(studio.board.pk), "engine": "local", **fields}
    run = runs.start_pilot(studio.board, studio.lead, body)
    machine.advance(run.pk)
    run_jobs()
    machine.advance(run.pk)
    run.refresh_from_db()
    assert run.stage == PilotStage.LATENCY
    return run


def run_one() -> None:
    from canvas.jobs import queue, runner

    claim = queue.claim_next("pilot-test-worker")
    assert claim is not None
    runner.execute(claim.job_id, "pilot-test-worker")


@pytest.mark.django_db
@pytest.mark.parametrize("burst", [False, True])
def test_c_at_a_time_steady_or_burst(studio, monkeypatch, burst):
    run = to_latency(studio, monkeypatch, jobs=5, concurrency=2, burst=burst)
    jobs = Job.objects.filter(batch_id=run.latency_batch_id).order_by("position")
    start = {j.pk: j.queued_at for j in jobs}
    while jobs.filter(state=JobState.QUEUED).exists():
        outstanding = jobs.filter(state__in=(JobState.QUEUED, JobState.RUNNING))
        assert outstanding.exclude(not_before=HELD).count() <= 2
        run_one()
    machine.advance(run.pk)
    run.refresh_from_db()
    assert run.stage == PilotStage.EXPORT
    ended = list(jobs.all())
    assert [j.state for j in ended] == [JobState.SUCCEEDED] * 5
    if burst:
        assert all(j.queued_at == start[j.pk] for j in ended)
    else:  # the third job was submitted when the first ended, not at the start
        assert ended[2].queued_at > start[ended[2].pk]
        assert ended[2].queued_at >= min(j.finished_at for j in ended[:2])
    numbers = run.report["tests"]["latency"]["numbers"]
    delivery = sorted((j.finished_at - j.queued_at).total_seconds() for j in ended)
    assert numbers["succeeded"] == 5 and numbers["failure_rate"] == 0
    assert numbers["delivery_max_seconds"] == pytest.approx(delivery[-1], abs=1e-3)
    assert numbers["delivery_p50_seconds"] == pytest.approx(delivery[2], abs=1e-3)
    assert numbers["max_running_observed"] == 1  # one test worker
    assert numbers["burst"] is burst and numbers["concurrency"] == 2
