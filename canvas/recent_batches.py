"""The batches most recently committed on each board, kept in this process, presented.

Before a socket is acknowledged revision r it is sent every batch below r it has not seen
yet (BoardConsumer._deliver_up_to). Under load those are nearly always batches committed a
moment ago, whose broadcast is still queued for that socket; reading them from the
operation log cost a query per acknowledgement on the one database thread every socket
shares. So committed batches are kept here for a while: put in by canvas.boards.operations
once its transaction commits, and by sockets for batches other processes announce.

The operation log in the database stays the source of truth: ``frames_between`` answers
only when it holds every batch asked for, and callers read the log otherwise. Nothing here
is changed after commit, so what it returns is exactly what the live broadcast carried.

With several web processes a socket's acknowledgement often needs a batch that another
process committed a moment ago and whose event is still on its way through the channel
layer. ``wait_for`` lets the socket wait for it briefly instead of reading the log: on
PostgreSQL + Redis those log reads (one per acknowledgement, each on a fresh connection on
the one database thread of the process) were the queue behind 20 editors' ack p95 of 3 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from canvas import protocol

KEEP_PER_BOARD = 512  # batches per board (seconds of a busy board's history)
KEEP_BOARDS = 256  # boards, least recently written dropped first


class Kept:
    """One batch, who sent it (socket channel and batch id: that socket acknowledges it
    instead of being sent it) and its client frame once someone has encoded it."""

    __slots__ = ("batch", "batch_id", "encoder", "sender", "text")

    def __init__(
        self, batch: protocol.Wire, encoder: Callable[[], str] | None, origin: tuple[str, str]
    ) -> None:
        self.batch = batch
        self.encoder = encoder  # the fan-out's memoised encoding of the same batch, if any
        self.sender, self.batch_id = origin
        self.text: str | None = None

    def frame(self, encode: Callable[[protocol.Wire], str]) -> str:
        if self.text is None:
            self.text = self.encoder() if self.encoder is not None else encode(self.batch)
        return self.text


class _Waiter:
    """A socket waiting until every batch ``after < revision <= upto`` is kept."""

    __slots__ = ("after", "future", "loop", "upto")

    def __init__(self, after: int, upto: int) -> None:
        self.after = after
        self.upto = upto
        self.loop = asyncio.get_running_loop()
        self.future: asyncio.Future[None] = self.loop.create_future()

    def wake(self) -> None:
        def settle() -> None:
            if not self.future.done():
                self.future.set_result(None)

        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
            self.loop.call_soon_threadsafe(settle)


_lock = threading.Lock()
_boards: OrderedDict[str, OrderedDict[int, Kept]] = OrderedDict()
_waiters: dict[str, list[_Waiter]] = {}


def remember(
    board_id: Any,
    batches: Sequence[protocol.Wire],
    frame: Callable[[], str] | None = None,
    origins: Sequence[tuple[str, str]] | None = None,
) -> None:
    """Keep committed, presented batches (``applied_batch`` payloads) of ``board_id``;
    ``frame`` (one batch only) is how the fan-out encodes it, shared rather than redone;
    ``origins`` the (sender channel, batch id) of each batch."""
    key = str(board_id)
    with _lock:
        kept = _boards.get(key)
        if kept is None:
            kept = _boards[key] = OrderedDict()
            while len(_boards) > KEEP_BOARDS:
                _boards.popitem(last=False)
        else:
            _boards.move_to_end(key)
        for batch, origin in zip(batches, origins or [("", "")] * len(batches), strict=True):
            if batch["revision"] not in kept:
                kept[batch["revision"]] = Kept(batch, frame, origin)
        while len(kept) > KEEP_PER_BOARD:
            kept.popitem(last=False)
        waiting = _waiters.get(key)
        if waiting:
            ready = [w for w in waiting if _complete(kept, w.after, w.upto)]
            for waiter in ready:
                waiting.remove(waiter)
                waiter.wake()


def _complete(kept: OrderedDict[int, Kept], after: int, upto: int) -> bool:
    return all(revision in kept for revision in range(after + 1, upto + 1))


async def wait_for(board_id: Any, after: int, upto: int, timeout: float) -> bool:
    """Wait at most ``timeout`` s until every batch ``after < revision <= upto`` of the
    board is kept here; True when they are. For batches already committed whose events are
    still on their way to this process (a caller that gets False reads the log)."""
    if upto - after > KEEP_PER_BOARD:
        return False
    key = str(board_id)
    with _lock:
        kept = _boards.get(key)
        if kept is not None and _complete(kept, after, upto):
            return True
        if kept and after + 1 < min(kept):
            return False  # dropped, or before this process heard of the board: never coming
        waiter = _Waiter(after, upto)
        _waiters.setdefault(key, []).append(waiter)
    try:
        await asyncio.wait_for(waiter.future, timeout)
        return True
    except TimeoutError:
        return False
    finally:
        with _lock:
            waiting = _waiters.get(key, [])
            if waiter in waiting:
                waiting.remove(waiter)
            if not waiting:
                _waiters.pop(key, None)


def between(board_id: Any, after: int, upto: int) -> list[Kept] | None:
    """Every kept batch with ``after < revision <= upto``, oldest first; None when one of
    them is not kept here."""
    if upto - after > KEEP_PER_BOARD:
        return None
    with _lock:
        kept = _boards.get(str(board_id))
        if kept is None:
            return None
        found = [kept.get(revision) for revision in range(after + 1, upto + 1)]
    if any(entry is None for entry in found):
        return None
    return [entry for entry in found if entry is not None]


def latest(board_id: Any) -> int | None:
    """The highest revision of the board kept here (committed by this process or heard of
    by it), None when none is."""
    with _lock:
        kept = _boards.get(str(board_id))
        return max(kept) if kept else None


def frames_between(
    board_id: Any, after: int, upto: int, encode: Callable[[protocol.Wire], str]
) -> list[str] | None:
    """The client frames of every batch with ``after < revision <= upto``, oldest first,
    each encoded once for every socket; None when one of them is not kept here."""
    entries = between(board_id, after, upto)
    return None if entries is None else [entry.frame(encode) for entry in entries]
