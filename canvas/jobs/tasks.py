"""Background tasks of the job queue (registered with foundation.background).

- "canvas.jobs.wake": a job became claimable. Wakes this process's worker pool; with the
  Celery dispatcher (no pool in the web process) it claims and runs one job instead.
- "canvas.jobs.work": claim and run at most one job (what a Celery worker executes).

Both are idempotent: a wake with nothing to do claims nothing, and ``claim_next`` hands a
job to one worker only. With the inline dispatcher (tests) a wake does nothing; tests
drive ``claim_next`` and ``execute`` themselves.
"""

from __future__ import annotations

import uuid

from canvas.jobs.workers import run_one, wake_local_pool
from foundation import config, knobs
from foundation.background import dispatch_now, task
from foundation.leased_work import worker_name


@task("canvas.jobs.wake")
def wake() -> bool:
    if wake_local_pool():
        return False
    if config.read(knobs.DISPATCHER) == "celery":
        return work()
    return False


@task("canvas.jobs.work")
def work() -> bool:
    # One name per claim: two threads of one worker process must never share an owner.
    ran = run_one(worker_name(f"task-{uuid.uuid4().hex[:12]}"))
    if ran and config.read(knobs.DISPATCHER) == "celery":
        # The job that ended freed a slot, a user's cap and an engine's cap: a job that an
        # earlier message found capped may be claimable now, and nobody else will say so.
        dispatch_now("canvas.jobs.work")
    return ran
