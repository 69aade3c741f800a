"""This process's webhook senders, and the sweep that finds due retries.

Deliveries never run on a thread that runs jobs or the dispatcher's shared pool: the
"canvas.webhooks.deliver" task (and the sweep) only hand delivery ids to ``Sender``, a
small pool of threads of its own (``ANCHORBOARD_WEBHOOK_SENDERS``), and return. An
endpoint that hangs for the whole 10 s of an attempt holds one of these threads, never a
job worker, a Celery slot or the task pool that wakes job workers.

``sweep()`` is called from every worker process's upkeep (canvas.jobs.upkeep, each poll
period; it works at most every ``SWEEP_SECONDS``): it hands over the deliveries whose
next attempt is due (retries after their backoff, deliveries whose sender died, those
whose after-commit message was lost), and once an hour prunes the log
(canvas.webhooks.retention: 30 days). Several processes sweeping at once is harmless:
each attempt is claimed in the database.

With the ``inline`` dispatcher (tests) deliveries are attempted at once, in the caller's
thread, so tests see their outcome deterministically.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable
from typing import Any

from django.db import close_old_connections
from django.utils import timezone

from canvas.webhooks import delivery, retention
from canvas.webhooks.models import DeliveryState, WebhookDelivery
from foundation import config, knobs

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 5.0
SWEEP_LIMIT = 200

_lock = threading.Lock()
_sender: Sender | None = None
_last_sweep = 0.0
_last_prune = 0.0


class Sender:
    """``size`` daemon threads that attempt queued deliveries; an id already queued here is
    not queued twice.

    Daemon threads on purpose: a process that stops (server shutdown, Celery warm
    shutdown) must not wait for a backlog of attempts to a dead endpoint. An attempt cut
    off mid-way is due again when its lease ends (canvas.webhooks.delivery), and the ones
    still queued are found by the next sweep of any worker process.
    """

    def __init__(self, size: int) -> None:
        self._work: queue.Queue[str | None] = queue.Queue()
        self._queued: set[str] = set()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._loop, name=f"anchorboard-webhook-{n}", daemon=True)
            for n in range(max(1, size))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, ids: Iterable[Any]) -> int:
        added = 0
        for raw in ids:
            key = str(raw)
            with self._lock:
                if key in self._queued:
                    continue
                self._queued.add(key)
            self._work.put(key)
            added += 1
        return added

    def queued(self) -> set[str]:
        with self._lock:
            return set(self._queued)

    def _loop(self) -> None:
        while (key := self._work.get()) is not None:
            try:
                delivery.attempt(key)
            except Exception:  # a database hiccup: the lease makes it due again
                logger.exception("webhook delivery %s: attempt failed", key)
            finally:
                with self._lock:
                    self._queued.discard(key)
                close_old_connections()

    def shutdown(self, wait: bool = True) -> None:
        """Stop after what is queued (tests); ``wait`` joins the threads."""
        for _ in self._threads:
            self._work.put(None)
        if wait:
            for thread in self._threads:
                thread.join()


def sender() -> Sender:
    """This process's sender, started on first use."""
    global _sender
    with _lock:
        if _sender is None:
            _sender = Sender(config.read(knobs.WEBHOOK_SENDERS))
        return _sender


def stop_sender(wait: bool = True) -> None:
    global _sender
    with _lock:
        current, _sender = _sender, None
    if current is not None:
        current.shutdown(wait)


def hand_over(ids: Iterable[Any]) -> None:
    """Attempt these deliveries off the caller's thread (inline dispatcher: right here)."""
    if config.read(knobs.DISPATCHER) == "inline":
        for key in ids:
            delivery.attempt(key)
        return
    sender().submit(ids)


def due_ids(limit: int = SWEEP_LIMIT) -> list[str]:
    """Pending deliveries whose next attempt is due, oldest first."""
    rows = (
        WebhookDelivery.objects.filter(
            state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return [str(pk) for pk in rows]


def sweep(*, force: bool = False) -> int:
    """Hand due deliveries to this process's sender; at most every SWEEP_SECONDS unless
    ``force``. Returns how many were handed over. Never raises into the caller's upkeep."""
    global _last_sweep, _last_prune
    now = time.monotonic()
    if not force and now - _last_sweep < SWEEP_SECONDS:
        return 0
    _last_sweep = now
    try:
        if now - _last_prune >= retention.PRUNE_SECONDS:
            _last_prune = now
            retention.prune()
        ids = due_ids()
        if not ids:
            return 0
        if config.read(knobs.DISPATCHER) == "inline":
            hand_over(ids)
            return len(ids)
        return sender().submit(ids)
    except Exception:
        logger.exception("webhook sweep failed")
        return 0
