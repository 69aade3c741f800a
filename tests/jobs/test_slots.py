"""Provider slots (canvas.jobs.slots): a provider's limit holds its calls, not its jobs,
across processes; a dead worker's slot comes back through recovery."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from canvas.jobs import queue, recovery, slots
from canvas.models import Job, JobState
from canvas.models.jobs import SlotState
from foundation.leased_work import host_name
from tests.jobs.conftest import REGION, add_image
from tests.jobs.test_restart import _env, _run

ROOT = Path(__file__).resolve().parents[2]


def _submit(board, owner, seed: int):
    if seed == 1:
        add_image(board, owner)
    spec = {"mode": "img2img", "engine": "test-echo", "region": REGION, "seed": seed}
    return queue.submit_job(board, owner, spec)


@pytest.mark.django_db
def test_a_killed_workers_slot_comes_back_through_recovery(board, owner, settings):
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 10
    settings.ANCHORBOARD_PROVIDER_LIMITS = {"test": "1"}
    for seed in (1, 2):
        _submit(board, owner, seed)
    dead = f"{host_name()}:999999999:0"  # a worker process on this host that is gone
    first = queue.claim_next(dead)
    assert slots.try_take(first.job_id, dead, "test-echo")
    second = queue.claim_next("alive")
    assert second is not None  # claimed and prepared beside the call
    assert not slots.try_take(second.job_id, "alive", "test-echo")  # the dead one holds it
    assert recovery.recover_abandoned_jobs() == [str(first.job_id)]
    assert Job.objects.get(pk=first.job_id).state == JobState.QUEUED
    assert slots.try_take(second.job_id, "alive", "test-echo")
    assert Job.objects.get(pk=second.job_id).slot_state == SlotState.CALLING


@pytest.mark.django_db
def test_a_hung_workers_slot_is_held_until_its_lease_is_recovered(board, owner, settings):
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 10
    settings.ANCHORBOARD_PROVIDER_LIMITS = {"test": "1"}
    for seed in (1, 2):
        _submit(board, owner, seed)
    hung = queue.claim_next("elsewhere:1:0")  # another host: only its lease tells
    assert slots.try_take(hung.job_id, "elsewhere:1:0", "test-echo")
    waiting = queue.claim_next("alive")
    expired = Job.objects.get(pk=hung.job_id).lease_expires_at.replace(year=2000)
    Job.objects.filter(pk=hung.job_id).update(lease_expires_at=expired)
    # An expired lease alone does not free the slot: a hung call may still wake up.
    assert not slots.try_take(waiting.job_id, "alive", "test-echo")
    assert recovery.recover_abandoned_jobs() == [str(hung.job_id)]
    assert slots.try_take(waiting.job_id, "alive", "test-echo")


@pytest.mark.django_db
def test_a_provider_without_limits_writes_nothing(board, owner, settings):
    settings.ANCHORBOARD_PROVIDER_LIMITS = {}
    _submit(board, owner, 1)
    claim = queue.claim_next("w")
    assert slots.try_take(claim.job_id, "w", "test-echo")
    assert Job.objects.get(pk=claim.job_id).slot_state == SlotState.BEFORE


@pytest.mark.slow
def test_two_worker_processes_never_call_a_provider_more_than_its_limit(tmp_path):
    """Two run_workers processes × 3 threads, provider limit 2 (so 3 jobs claimed at a
    time): a call that finds 2 calls running stays until the third job is seen waiting
    for its slot, so a broken limit would let that job call as the third."""
    calls = tmp_path / "calls.json"
    env = _env(
        tmp_path,
        ANCHORBOARD_PROVIDER_LIMITS="test-counted=2",
        ANCHORBOARD_TEST_CALLS_FILE=str(calls),
        ANCHORBOARD_TEST_CALLS_LIMIT="2",
        ANCHORBOARD_JOB_USER_CONCURRENCY="10",
    )
    _run(["manage.py", "migrate", "-v", "0"], env)
    _run(["-m", "tests.jobs.slots_helper", "seed", "12"], env)
    command = [sys.executable, "manage.py", "run_workers", "--workers", "3"]
    command += ["--import", "tests.jobs.engines", "--exit-when-idle"]
    logs = [(tmp_path / f"worker{n}.log").open("w") for n in range(2)]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log) for log in logs]
    try:
        for worker in workers:
            assert worker.wait(timeout=300) == 0, (tmp_path / "worker0.log").read_text()[-3000:]
    finally:
        for worker, log in zip(workers, logs, strict=True):
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            log.close()
    recorded = json.loads(calls.read_text())
    assert recorded["calls"] == 12 and recorded["now"] == 0
    assert recorded["max"] == 2  # never 3, and the two slots were used together
    assert recorded.get("waiter_seen")  # a prepared job waited while both slots were busy
    states = json.loads(_run(["-m", "tests.jobs.slots_helper", "states"], env).splitlines()[-1])
    assert states == ["succeeded"] * 12
