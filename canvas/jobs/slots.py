"""Provider slots: at most C calls to a provider at once, across every worker process.

``ANCHORBOARD_PROVIDER_LIMITS`` (``gemini=4/60``) says how many calls a provider takes at
once and how many it takes a minute. A job holds one of its provider's slots only while
it calls the provider — the engine's ``run``, a task API's polling included — and not
while it is claimed, composited, stored or finished: those ~0.1–0.5 s of our own work per
job would otherwise leave the provider idle. The worker pool is larger than C, so while
the slots are busy the next jobs are claimed and prepared, and each waits here for the
next free slot.

The accounting lives on the job rows (``slot_state``, ``slot_provider``,
``slot_wanted_at``, ``slot_taken_at``; canvas.models.jobs), so it holds across processes
and machines and needs nothing but the database:

- a job **takes** a slot in one short transaction serialised per provider (PostgreSQL: a
  transaction-scoped advisory lock on the provider's name; SQLite: the IMMEDIATE
  transaction's write lock): its provider's running jobs in ``calling`` are counted and,
  below C, it becomes ``calling`` itself (guarded by its worker, like every write of a
  running job). So C is never exceeded, whichever process asks.
- a slot is **released** by the job's own write after the call (``called``), and in any
  case by the job leaving ``running``: only running jobs count. A killed or hung worker's
  slot therefore comes back through the existing lease and recovery (canvas.jobs.recovery:
  its job is requeued once its lease expires or its pid is gone), never sooner, so a hung
  call that wakes up cannot be joined by a C+1th one while its lease holds.
- **waiters** take turns by priority (interactive before bulk), then by when they began
  waiting (the claim order, which already was fair between people and batches): a job
  takes a free slot only if no better-ranked waiter of its provider is still waiting.
  Waiters whose lease expired (dead) are not in the way.
- the **per-minute** limit counts the slots taken in the last minute (``slot_taken_at``).

A waiting job is woken at once by a release in its own process and otherwise looks again
every ``WAIT_SECONDS`` (a release in another process); it stops waiting when cancelled,
out of time, or no longer its worker's (``LeaseLost``). A provider without limits costs
nothing here: no write, no lock.

This module only guards provider calls; claiming (canvas.jobs.queue) decides which jobs
run and keeps a few more than C of a provider claimed (``config.provider_claim_limit``).
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from canvas.engines import JobCancelled, get_engine
from canvas.jobs import config
from canvas.jobs.progress import LeaseLost
from canvas.models.jobs import Job, JobState, SlotState

logger = logging.getLogger(__name__)

# How often a waiting job looks again when no release in its own process woke it.
WAIT_SECONDS = 0.1
_released = threading.Condition()


def provider_of(name: str) -> str:
    """The provider an engine calls: its ``provider`` attribute (the circuit breaker's
    name), else the engine name's first word (``gemini`` for ``gemini-2.5-flash-image``),
    as the price table reads it."""
    try:
        provider = getattr(get_engine(name), "provider", "")
    except Exception:
        provider = ""
    return str(provider or name.split("-", 1)[0])


def _lock(provider: str) -> None:
    """Serialise the slot takes of one provider (PostgreSQL); SQLite's IMMEDIATE
    transaction already holds the database's write lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            key = zlib.crc32(provider.encode()) - 2**31  # a signed 32-bit key
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x4A0C, key])


def _running(provider: str):
    return Job.objects.filter(state=JobState.RUNNING, slot_provider=provider)


def _ahead(job: Mapping[str, Any], provider: str, now: Any) -> int:
    """Live waiters of ``provider`` ranked before ``job``: higher priority, or the same
    priority and waiting longer."""
    waiters = (
        _running(provider)
        .filter(slot_state=SlotState.WAITING, lease_expires_at__gt=now)
        .exclude(pk=job["id"])
        .values_list("priority", "slot_wanted_at")
    )
    mine = (-job["priority"], job["slot_wanted_at"] or now)
    return sum(1 for priority, wanted in waiters if (-priority, wanted or now) < mine)


def calls_last_minute(provider: str, now: Any) -> int:
    """Slots of ``provider`` taken in the minute before ``now`` (its per-minute limit)."""
    return Job.objects.filter(
        slot_taken_at__gt=now - timedelta(minutes=1), slot_provider=provider
    ).count()


def _attempt(job_id: Any, owner: str, provider: str, limits: tuple[int, int | None]) -> bool:
    """Take a slot if one is free for this job now; else wait in line. True if taken.

    Raises LeaseLost when the job is no longer running for ``owner``.
    """
    parallel, per_minute = limits
    now = timezone.now()
    with transaction.atomic():
        _lock(provider)
        mine = Job.objects.filter(pk=job_id, state=JobState.RUNNING, worker_id=owner)
        job = mine.values("id", "priority", "slot_state", "slot_provider", "slot_wanted_at").first()
        if job is None:
            raise LeaseLost()
        if job["slot_state"] == SlotState.CALLING and job["slot_provider"] == provider:
            return True  # taken already (asked twice)
        if job["slot_state"] != SlotState.WAITING or job["slot_provider"] != provider:
            job["slot_wanted_at"] = now  # joins the line now
        ahead = _ahead(job, provider, now)
        held = _running(provider).filter(slot_state=SlotState.CALLING).count()
        free = held + ahead < parallel
        if free and per_minute is not None:
            free = calls_last_minute(provider, now) + ahead < per_minute
        if free:
            mine.update(slot_state=SlotState.CALLING, slot_provider=provider, slot_taken_at=now)
            return True
        if job["slot_state"] != SlotState.WAITING or job["slot_provider"] != provider:
            mine.update(slot_state=SlotState.WAITING, slot_provider=provider, slot_wanted_at=now)
    return False


def try_take(job_id: Any, owner: str, engine_name: str) -> bool:
    """One attempt to take a slot of ``engine_name``'s provider for running job ``job_id``
    (True: it holds one now, or its provider has no limits; False: it waits in line)."""
    provider, limits = _limits(engine_name)
    return limits is None or _attempt(job_id, owner, provider, limits)


def release(job_id: Any, owner: str) -> None:
    """The job's provider call is over: its slot is free for the next (any process)."""
    try:
        Job.objects.filter(pk=job_id, worker_id=owner, slot_state=SlotState.CALLING).update(
            slot_state=SlotState.CALLED
        )
    except Exception:  # the job's end releases it anyway (only running jobs count)
        logger.exception("job %s: could not release its provider slot", job_id)
    with _released:
        _released.notify_all()


def _limits(engine_name: str) -> tuple[str, tuple[int, int | None] | None]:
    provider = provider_of(engine_name)
    return provider, config.provider_limits().get(provider)


@contextmanager
def provider_call(job_id: Any, owner: str, engine_name: str, progress: Any) -> Iterator[None]:
    """Hold a slot of ``engine_name``'s provider for the body (the engine's run).

    Waits for a free slot first (see the module docstring); ``progress`` is the job's
    ``JobProgress``: a cancel, the time limit or a lost lease ends the wait (JobCancelled,
    LeaseLost). Providers without limits pass straight through.
    """
    provider, limits = _limits(engine_name)
    if limits is None:
        yield
        return
    waited = time.monotonic()
    while not _attempt(job_id, owner, provider, limits):
        if progress.cancelled():
            raise JobCancelled()
        with _released:
            _released.wait(WAIT_SECONDS)
    waited = time.monotonic() - waited
    if waited > 1:
        logger.info("job %s waited %.1fs for a %s slot", job_id, waited, provider)
    try:
        yield
    finally:
        release(job_id, owner)
