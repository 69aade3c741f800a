"""The board writer: applies the batches board sockets send, several per transaction.

Why it exists (measured in bench/README.md, "realtime_bench.py"): sockets used to apply
each batch through ``database_sync_to_async``, on the one thread every socket of the
process shares, and Channels closes and reopens the database connection around each such
call (``close_old_connections`` with ``CONN_MAX_AGE = 0``). On SQLite that alone cost
~13 ms per batch against ~1 ms on an open connection, so a board topped out at 4–11
batches/s and 20 editors dragging at once waited a minute for their acknowledgements.

So every socket hands its batch to a *lane*: a thread that owns a long-lived connection of
its own and applies, in one transaction, all batches that queued up for a board while it
was busy (canvas.boards.operations.apply_batches: revisions stay gapless and in arrival
order, each batch all or nothing, each with its own log row, broadcast and
acknowledgement). Under load a transaction carries many batches, so the cost per batch
falls as the load rises instead of the queue growing. A board always uses the same lane, so
its batches keep their order; SQLite has one lane (it serialises writers anyway),
PostgreSQL four (``ANCHORBOARD_BOARD_WRITER_LANES``) so busy boards do not wait for
each other.

The lane's connection is checked before use after an idle spell (``is_usable``: a
``SELECT 1`` on PostgreSQL), and after an operational or interface error it is closed and
the run retried once on a new connection, so a database restart costs one retry, not a dead
writer; the log's ``batch_id`` check makes that retry safe even if the first commit did
land. An idle
lane closes its connection. This module applies nothing itself and checks no role: the
socket checks the role before it calls ``apply``.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import queue
import threading
import time
import zlib
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from canvas.boards.operations import BatchRequest, BatchResult, apply_batches
from canvas.models import Board
from foundation import config, knobs
from foundation.errors import AppError, BoardNotFound

logger = logging.getLogger(__name__)

LANE_PREFIX = "anchorboard-board-writer-"  # thread names, and connection names on PostgreSQL
MAX_RUN_BATCHES = 100  # batches per transaction at most
MAX_RUN_OPS = 2000  # operations per transaction at most (a batch may hold 500)
CHECK_AFTER_IDLE_SECONDS = 5.0  # ping the connection before use after this long unused
CLOSE_AFTER_IDLE_SECONDS = 60.0  # an idle lane holds no connection
STOP_TIMEOUT_SECONDS = 30.0
EXIT_STOP_TIMEOUT_SECONDS = 10.0


@dataclass
class _Job:
    board_id: str
    request: BatchRequest
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


_STOP = object()


class _Lane(threading.Thread):
    """One writer thread with its own database connection and queue."""

    def __init__(self, number: int) -> None:
        super().__init__(name=f"{LANE_PREFIX}{number}", daemon=True)
        self.jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.last_used = 0.0

    def run(self) -> None:
        try:
            while self._serve_once():
                pass
        finally:
            connections.close_all()

    def _serve_once(self) -> bool:
        """Apply one run of queued batches; False once told to stop."""
        try:
            first = self.jobs.get(timeout=CLOSE_AFTER_IDLE_SECONDS)
        except queue.Empty:
            connections.close_all()
            return True
        if first is _STOP:
            return False
        run, stopping = [first], False
        ops = len(first.request.ops)
        while len(run) < MAX_RUN_BATCHES and ops < MAX_RUN_OPS:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                break
            if job is _STOP:
                stopping = True
                break
            run.append(job)
            ops += len(job.request.ops)
        by_board: dict[str, list[_Job]] = {}
        for job in run:  # boards are independent; each keeps its arrival order
            by_board.setdefault(job.board_id, []).append(job)
        for board_id, jobs in by_board.items():
            self._apply(board_id, jobs)
        return not stopping

    def _apply(self, board_id: str, jobs: list[_Job]) -> None:
        try:
            outcomes: list[Any] = self._on_fresh_connection(
                lambda: apply_batches(board_id, [job.request for job in jobs])
            )
        except Board.DoesNotExist:
            outcomes = [BoardNotFound() for _ in jobs]  # deleted while its sockets were open
        except Exception as exc:
            if len(jobs) > 1:  # one poisoned batch must not fail the ones queued with it
                for job in jobs:
                    self._apply(board_id, [job])
                return
            if not isinstance(exc, AppError):
                logger.exception("board %s: a batch could not be applied", board_id)
            outcomes = [exc]
        for job, outcome in zip(jobs, outcomes, strict=True):
            _settle(job, outcome)

    def _on_fresh_connection(self, work: Any) -> Any:
        connection = connections[DEFAULT_DB_ALIAS]
        now = time.monotonic()
        idle = now - self.last_used > CHECK_AFTER_IDLE_SECONDS
        if idle and connection.connection is not None and not connection.is_usable():
            connection.close()
        self.last_used = now
        try:
            return work()
        except (OperationalError, InterfaceError) as exc:
            # Most likely the server ended the connection (a restart, an idle timeout); by
            # now Django may even have opened a new one. Once more on a surely new one:
            # socket batches carry a batch_id, so a first attempt that did commit is
            # answered from the log rather than applied twice.
            logger.warning("board writer: %s; retrying on a new connection", exc)
            connection.close()
            return work()


@receiver(connection_created)
def _name_lane_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On PostgreSQL a lane's connection says whose it is (``pg_stat_activity``)."""
    name = threading.current_thread().name
    if name.startswith(LANE_PREFIX) and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('application_name', %s, false)", [name])


def _settle(job: _Job, outcome: Any) -> None:
    def settle() -> None:
        if job.future.done():  # the socket went away meanwhile
            return
        if isinstance(outcome, BaseException):
            job.future.set_exception(outcome)
        else:
            job.future.set_result(outcome)

    # RuntimeError: the loop has closed (shutdown), so nobody is waiting any more.
    with contextlib.suppress(RuntimeError):
        job.loop.call_soon_threadsafe(settle)


_lanes: list[_Lane] = []
_exit_hook: list[bool] = []
_lanes_lock = threading.Lock()


def lane_count() -> int:
    configured = config.read(knobs.BOARD_WRITER_LANES)
    if configured > 0:
        return configured
    return 1 if connections[DEFAULT_DB_ALIAS].vendor == "sqlite" else 4


def _lane_for(board_id: str) -> _Lane:
    with _lanes_lock:
        if not _lanes:
            if not _exit_hook:
                # Whatever runs the server (``serve``, daphne, a test), queued batches are
                # applied and connections closed before the interpreter tears down.
                atexit.register(stop, EXIT_STOP_TIMEOUT_SECONDS)
                _exit_hook.append(True)
            for number in range(lane_count()):
                lane = _Lane(number)
                lane.start()
                _lanes.append(lane)
        return _lanes[zlib.crc32(board_id.encode()) % len(_lanes)]


def submit(board_id: Any, request: BatchRequest) -> asyncio.Future[BatchResult]:
    """Queue one batch on the board's lane (from the event loop) and return at once: the
    future gets its BatchResult, or the AppError that refused it. Batches submitted for a
    board apply in the order they were submitted."""
    loop = asyncio.get_running_loop()
    job = _Job(str(board_id), request, loop, loop.create_future())
    _lane_for(job.board_id).jobs.put(job)
    return job.future


async def apply(board_id: Any, request: BatchRequest) -> BatchResult:
    """Apply one batch on the board's lane; raises the AppError that refused it."""
    return await submit(board_id, request)


def stop(timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """Apply what is queued, then end the lanes and close their connections.

    Called when the server stops and after each test. Lanes are daemon threads, so a lane
    stuck on a locked database can never keep the process from exiting either.
    """
    with _lanes_lock:
        lanes = list(_lanes)
        _lanes.clear()
    for lane in lanes:
        lane.jobs.put(_STOP)
    deadline = time.monotonic() + timeout
    for lane in lanes:
        lane.join(max(0.0, deadline - time.monotonic()))
        if lane.is_alive():
            logger.warning("%s did not stop within %.0f s", lane.name, timeout)
