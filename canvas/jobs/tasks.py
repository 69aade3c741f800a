"""Background tasks of the job queue (registered with anchorboard.background).

- "canvas.jobs.wake": a job became claimable. Wakes this process's worker pool; with the
  Celery dispatcher (no pool in the web process) it claims and runs one job instead.
- "canvas.jobs.work": claim and run at most one job (what a Celery worker executes).

Both are idempotent: a wake with nothing to do claims nothing, and ``claim_next`` hands a
job to one worker only. With the inline dispatcher (tests) a wake does nothing; tests
drive ``claim_next`` and ``execute`` themselves.
"""

from __future__ import annotations

from django.conf import settings

from anchorboard.background import task


@task("canvas.jobs.wake")
def wake() -> None:
    from canvas.jobs.workers import wake_local_pool

    if wake_local_pool():
        return
    if settings.ANCHORBOARD_DISPATCHER == "celery":
        work()


@task("canvas.jobs.work")
def work() -> bool:
    from canvas.jobs.recovery import worker_name
    from canvas.jobs.workers import run_one

    return run_one(worker_name("task"))
