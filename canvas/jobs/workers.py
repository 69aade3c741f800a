"""Worker threads that claim and run jobs: the embedded pool and ``run_workers``.

Each worker loops: claim the next job (canvas.jobs.queue.claim_next) → run it
(canvas.jobs.runner.execute) → repeat; when nothing is claimable it waits until woken
(the "canvas.jobs.wake" task, sent after a submit/retry/resume commits) or for the poll
interval, which picks up retries whose backoff ended and leases that expired. A
housekeeping thread of the pool runs the process's upkeep every poll period (recovery,
re-sending lost job announcements: canvas.jobs.upkeep), even while every worker is busy.

Workers share nothing with the websocket server but the database and the channel layer,
so the same loop runs inside ``manage.py serve`` or in any number of separate
``manage.py run_workers`` processes.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

from canvas.jobs import config, upkeep
from canvas.jobs.queue import claim_next
from canvas.jobs.runner import execute
from canvas.models.jobs import Job, JobState
from foundation import knobs
from foundation.config import read
from foundation.leased_work import worker_name

logger = logging.getLogger(__name__)

_pool: WorkerPool | None = None
_pool_lock = threading.Lock()


def run_one(worker_id: str) -> bool:
    """Claim and run at most one job; True if one ran."""
    claim = claim_next(worker_id)
    if claim is None:
        return False
    execute(claim.job_id, worker_id)
    return True


class WorkerPool:
    """``size`` worker threads in this process. ``start()`` / ``stop()``; wake with ``wake()``."""

    def __init__(self, size: int, *, name: str = "jobs") -> None:
        self.size = max(1, size)
        self.name = name
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._pending_wakes = 0
        self._threads: list[threading.Thread] = []
        self._housekeeper: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def start(self) -> None:
        self._tend()  # recover at once: a restart finds its own dead jobs immediately
        for slot in range(self.size):
            thread = threading.Thread(
                target=self._loop,
                args=(worker_name(f"{self.name}{slot}"),),
                name=f"anchorboard-{self.name}-{slot}",
                daemon=True,
            )
            self._threads.append(thread)
            thread.start()
        self._housekeeper = threading.Thread(
            target=self._housekeeping, name=f"anchorboard-{self.name}-upkeep", daemon=True
        )
        self._housekeeper.start()
        logger.info("started %d job workers", self.size)

    def stop(self, timeout: float | None = None) -> None:
        """Stop taking new jobs and wait for running ones (``timeout`` None: as long as needed)."""
        self._stop.set()
        self.wake(all_workers=True)
        for thread in self._threads:
            thread.join(timeout)
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        if self._housekeeper is not None:
            self._housekeeper.join(timeout)

    def wake(self, *, all_workers: bool = False) -> None:
        with self._wake:
            self._pending_wakes += self.size if all_workers else 1
            if all_workers:
                self._wake.notify_all()
            else:
                self._wake.notify()

    def _tend(self) -> None:
        try:
            upkeep.tick()
        except Exception:  # a database hiccup: log, try again next period
            logger.exception("job upkeep failed")
        finally:
            close_old_connections()

    def _housekeeping(self) -> None:
        while not self._stop.wait(config.poll_seconds()):
            self._tend()

    def _idle_wait(self) -> None:
        with self._wake:
            if self._pending_wakes == 0 and not self._stop.is_set():
                self._wake.wait(config.poll_seconds())
            self._pending_wakes = max(0, self._pending_wakes - 1)

    def _loop(self, worker_id: str) -> None:
        while not self._stop.is_set():
            ran = False
            try:
                ran = run_one(worker_id)
            except Exception:  # a broken claim must not kill the worker; log and go on
                logger.exception("job worker %s: claim or run failed", worker_id)
            finally:
                close_old_connections()
            if not ran:
                self._idle_wait()

    def idle(self) -> bool:
        """True when nothing this pool could run is queued or running (for --exit-when-idle)."""
        return not Job.objects.filter(
            state__in=[JobState.QUEUED, JobState.RUNNING], board__queue_paused=False
        ).exists()


def start_embedded_workers(size: int | None = None) -> WorkerPool | None:
    """Start this process's pool (``ANCHORBOARD_EMBEDDED_WORKERS`` threads) once.

    Does nothing unless the dispatcher is ``embedded``: with Celery the workers run elsewhere.
    """

    if read(knobs.DISPATCHER) != "embedded" or (size or 1) < 1:
        return None
    global _pool
    with _pool_lock:
        if _pool is None or not _pool.running:
            _pool = WorkerPool(size or read(knobs.EMBEDDED_WORKERS))
            _pool.start()
        return _pool


def stop_embedded_workers(timeout: float | None = 30) -> None:
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.stop(timeout)


def wake_local_pool() -> bool:
    """Wake one idle worker of this process's pool; False if no pool runs here."""
    pool = _pool
    if pool is None or not pool.running:
        return False
    pool.wake()
    return True
