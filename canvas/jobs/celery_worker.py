"""The sweeper inside every Celery worker: finds work no message announced.

With the Celery dispatcher a job runs when a "canvas.jobs.wake"/"canvas.jobs.work"
message reaches a worker. Messages alone miss four cases, which this thread covers:

- a retry whose backoff (``not_before``) has just ended: nobody sends a message then;
- a job whose worker was killed: its lease expires (or its pid is gone on this host) and
  ``recover_abandoned_jobs`` puts it back in the queue;
- a message that found nothing to claim because a per-user or per-engine cap was full;
  when the cap frees up, a claimable job waits without a message;
- messages lost with the broker (Redis restarted without persistence).

Every ``ANCHORBOARD_JOB_POLL_SECONDS`` the sweeper runs the process's upkeep (recovery,
re-sending job announcements that were lost: canvas.jobs.upkeep), looks for claimable
jobs and, if this worker has idle slots and the broker does not already hold enough
messages, sends one "canvas.jobs.work" per idle slot. It runs in each worker (no
``celery beat``): with N workers the same sweep happens N times per period, which is
harmless because claims and recovery are serialised in the database.

The sweeper never claims or runs a job itself; it only sends messages and does upkeep.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import close_old_connections
from django.utils import timezone

from assets.services import requeue_pending_derivatives
from canvas.jobs import config, upkeep
from canvas.jobs.claim_heads import due
from foundation.background import celery_app, dispatch_now

logger = logging.getLogger(__name__)

_sweeper: Sweeper | None = None
_lock = threading.Lock()


def claimable_now(limit: int) -> int:
    """How many queued jobs are due on running boards, outside paused batches (at most
    ``limit``; caps ignored): a paused batch of 500 must not make every idle slot send a
    message per sweep that claims nothing."""
    if limit <= 0:
        return 0
    return due(timezone.now()).order_by()[:limit].count()


def busy_slots() -> int:
    """Tasks this worker has taken from the broker and not finished (running or reserved)."""
    from celery.worker import state

    return len(state.reserved_requests)


def waiting_messages() -> int:
    """Messages already waiting in the broker's default queue (0 when it cannot tell)."""
    app = celery_app()
    try:
        with app.connection_for_write() as conn:
            queue = app.conf.task_default_queue or "celery"
            return int(conn.default_channel.queue_declare(queue, passive=True).message_count)
    except Exception:  # an unknown count must not stop the sweep
        return 0


class Sweeper:
    """A daemon thread: ``start()``, ``stop()``; ``tick()`` is one sweep (tests call it)."""

    def __init__(
        self,
        concurrency: int,
        *,
        busy: Callable[[], int] = busy_slots,
        waiting: Callable[[], int] = waiting_messages,
        send: Callable[[], None] | None = None,
    ) -> None:
        self.concurrency = max(1, concurrency)
        self._busy = busy
        self._waiting = waiting
        self._send = send or _send_work
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        _requeue_pending_previews()
        self._thread = threading.Thread(target=self._loop, name="anchorboard-sweeper", daemon=True)
        self._thread.start()
        logger.info("job sweeper started (%d slots)", self.concurrency)

    def stop(self, timeout: float | None = 10) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a database or broker hiccup: log, try again next period
                logger.exception("job sweeper: sweep failed")
            finally:
                close_old_connections()
            self._stop.wait(config.poll_seconds())

    def tick(self) -> int:
        """Upkeep, then announce claimable jobs to idle slots; returns messages sent."""
        upkeep.tick()
        idle = self.concurrency - self._busy()
        if idle <= 0 or self._stop.is_set():
            return 0
        wanted = claimable_now(idle) - self._waiting()
        for _ in range(max(0, wanted)):
            self._send()
        return max(0, wanted)


def _requeue_pending_previews() -> None:
    # Preview tasks whose message died with a worker or the broker; building is idempotent.
    try:
        requeue_pending_derivatives()
    except Exception:
        logger.exception("job sweeper: could not requeue pending previews")
    finally:
        close_old_connections()


def _send_work() -> None:
    dispatch_now("canvas.jobs.work")


def start_sweeper(concurrency: int) -> Sweeper:
    """Start this worker process's sweeper once (called on Celery's ``worker_ready``)."""
    global _sweeper
    with _lock:
        if _sweeper is None or _sweeper.stopped:
            _sweeper = Sweeper(concurrency)
            _sweeper.start()
        return _sweeper


def stop_sweeper() -> None:
    global _sweeper
    with _lock:
        sweeper, _sweeper = _sweeper, None
    if sweeper is not None:
        sweeper.stop()
