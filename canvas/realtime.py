"""Channel-layer plumbing for boards: group names and broadcasts that run after commit.

Domain code calls ``broadcast_applied_after_commit`` inside its transaction; the message
goes out only once the transaction has committed, so no client ever sees a change that was
rolled back. Any change to who may see a board (board members, team members, a team's
default role) tells that board's sockets to re-check access, through model signals, so a
removed member stops receiving the board even if they never send anything again.
``send_group_now`` is the one way to send to a group from synchronous code, whatever the
thread: the server's event loop, a ``sync_to_async`` thread or a plain worker thread (see
its docstring for why this matters). This module builds no message payloads itself
(canvas.protocol does) and makes no permission decisions (canvas.permissions does). A
failed broadcast is logged, never raised: the write it reports has already committed, and
clients recover through catch-up.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from canvas.models import Board, BoardMember, Team, TeamMembership
from foundation import config, knobs

logger = logging.getLogger(__name__)

# Event types dispatched to BoardConsumer methods (dots become underscores).
APPLIED_EVENT = "board.applied"
PRESENCE_EVENT = "board.presence"
ACCESS_EVENT = "board.access"
# For one person only (``user``): the board socket relays ``message`` to that user's sockets.
PERSONAL_EVENT = "board.personal"
# Several events for one group in one channel-layer message, in order (``_drain``): every
# receiver unpacks it (canvas.boardsocket.fanout's rooms; ProtocolConsumer.realtime_bundle).
BUNDLE_EVENT = "realtime.bundle"
BUNDLE_MAX = 50  # events per bundle (an applied batch may carry 500 operations)

# Distinct, readable on white and on dark canvases.
PRESENCE_COLORS = (
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#42d4f4",
    "#f032e6",
    "#9a6324",
    "#469990",
    "#800000",
)


def board_group(board_id: Any) -> str:
    # Group names allow only ASCII alphanumerics, hyphens, underscores and periods.
    return f"board.{board_id}"


def presence_color(user_id: Any) -> str:
    """The same colour for a user on every board and every reconnect."""
    digest = hashlib.sha256(str(user_id).encode()).digest()
    return PRESENCE_COLORS[digest[0] % len(PRESENCE_COLORS)]


def broadcast_applied_after_commit(
    board_id: Any, batch: dict[str, Any], sender_channel: str | None, batch_id: str = ""
) -> None:
    """Send a committed batch to everyone on the board except ``sender_channel`` (which
    acknowledges ``batch_id`` instead, in revision order)."""
    event = {
        "type": APPLIED_EVENT,
        "board": str(board_id),
        "revision": batch["revision"],
        "batch": batch,
        "sender": sender_channel or "",
        "batch_id": batch_id,
    }
    group = board_group(board_id)
    transaction.on_commit(lambda: send_group_now(group, event))


def access_changed_after_commit(board_ids: Any) -> None:
    """Make every socket on these boards re-check its user's role once this commits."""
    ids = [str(board_id) for board_id in board_ids]

    def send() -> None:
        for board_id in ids:
            send_group_now(board_group(board_id), {"type": ACCESS_EVENT})

    if ids:
        transaction.on_commit(send)


# --- Sending from synchronous code ------------------------------------------------------------
#
# The server's event loop (Daphne's) owns every socket. In-memory channel layer queues are
# asyncio queues of that loop: a message put there from another thread's loop (what
# ``async_to_sync`` does in a plain worker thread) wakes nobody, and the socket only sees it
# when the server loop next wakes for something else — up to a second later. So a send from
# any thread is handed to the server loop, which sends it; sends from one process keep their
# order (one sender task per loop), and the caller never waits for the layer.

SEND_TIMEOUT_SECONDS = 10.0  # a send outside any server loop gives up after this
_server_loop: asyncio.AbstractEventLoop | None = None
_senders: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Queue[Any]] = (
    weakref.WeakKeyDictionary()
)


def bind_server_loop() -> None:
    """Record the running loop as the one that owns this process's sockets.

    Called by the board consumer (from the loop) when a socket connects; until then a
    process has no sockets and nothing needs marshalling.
    """
    global _server_loop
    _server_loop = asyncio.get_running_loop()


def send_group_now(group: str, event: dict[str, Any]) -> bool:
    """Send ``event`` to a channel-layer group from synchronous code, on any thread.

    Returns True when the event was sent or handed to the server loop's sender, False when
    there is no layer or the send failed (logged). Never raises and never blocks on the
    layer. Must not be called before the write the event reports has committed (use
    ``transaction.on_commit``).

    - on an event loop's thread: queued for that loop's sender task;
    - on another thread while the server loop runs (``sync_to_async`` threads, embedded job
      workers): handed to the server loop the same way (``call_soon_threadsafe``);
    - in a process without a running server loop (Celery worker, shell, synchronous tests,
      a server shutting down): sent on a short-lived loop of its own, waiting at most
      ``SEND_TIMEOUT_SECONDS``.
    """
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None:
        _sender_queue(running).put_nowait((layer, group, event))
        return True
    loop = _server_loop
    if loop is not None and loop.is_running():
        try:
            loop.call_soon_threadsafe(_enqueue_on, loop, (layer, group, event))
            return True
        except RuntimeError:  # closed between the check and the call
            pass
    try:
        # A loop of our own, not async_to_sync: in a sync_to_async thread that would wait
        # for the server loop, which may have stopped (shutdown) and would never answer.
        asyncio.run(asyncio.wait_for(layer.group_send(group, event), SEND_TIMEOUT_SECONDS))
    except Exception:
        logger.warning("could not send %s to %s", event.get("type"), group, exc_info=True)
        return False
    return True


def _enqueue_on(loop: asyncio.AbstractEventLoop, item: tuple[Any, str, dict[str, Any]]) -> None:
    _sender_queue(loop).put_nowait(item)


def _sender_queue(loop: asyncio.AbstractEventLoop) -> asyncio.Queue[Any]:
    """The loop's outgoing queue, with the one task that drains it in order."""
    queue = _senders.get(loop)
    if queue is None:
        queue = asyncio.Queue()
        _senders[loop] = queue
        loop.create_task(_drain(queue), name="anchorboard-group-sender")
    return queue


async def _drain(queue: asyncio.Queue[Any]) -> None:
    while True:
        items = [await queue.get()]
        while not queue.empty():  # whatever queued up while the last send was under way
            items.append(queue.get_nowait())
        for layer, group, event in bundled(items):
            try:
                await layer.group_send(group, event)
            except Exception:
                logger.warning("could not send %s to %s", event.get("type"), group, exc_info=True)


def bundled(items: list[tuple[Any, str, dict[str, Any]]]) -> list[tuple[Any, str, dict[str, Any]]]:
    """Consecutive events for the same group as one ``BUNDLE_EVENT`` (at most
    ``BUNDLE_MAX`` each), so a busy board costs one channel-layer message per send rather
    than one per batch; the order of events stays as it was."""
    out: list[tuple[Any, str, list[dict[str, Any]]]] = []
    for layer, group, event in items:
        last = out[-1] if out else None
        if last is not None and last[0] is layer and last[1] == group and len(last[2]) < BUNDLE_MAX:
            last[2].append(event)
        else:
            out.append((layer, group, [event]))
    return [
        (layer, group, events[0] if len(events) == 1 else bundle(events))
        for layer, group, events in out
    ]


def bundle(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": BUNDLE_EVENT, "events": events}


def unbundled(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The events a channel-layer message carries, in order (one, or a bundle's)."""
    if event.get("type") == BUNDLE_EVENT:
        return list(event["events"])
    return [event]


async def send_presence_now(board_id: Any, message: Mapping[str, Any], sender_channel: str) -> None:
    """Relay a presence message to the board's other sockets (not stored, not transactional)."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(
            board_group(board_id),
            {"type": PRESENCE_EVENT, "message": message, "sender": sender_channel},
        )


class MessageBudget:
    """How many messages one socket may send: a token bucket, checked per message.

    Bursts up to ``burst`` messages (a paste, a quick drag); sustained ``per_second``
    (cursor updates at display rate fit easily). Over budget, a message is refused with
    ``rate_limited`` rather than queued, so one socket cannot load the server for everyone.
    """

    def __init__(
        self,
        burst: int | None = None,
        per_second: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = float(burst if burst is not None else config.read(knobs.WS_MESSAGE_BURST))
        self.rate = float(
            per_second if per_second is not None else config.read(knobs.WS_MESSAGE_RATE)
        )
        self.clock = clock
        self.tokens = self.capacity
        self.updated = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


# --- Access changes --------------------------------------------------------------------------


@receiver([post_save, post_delete], sender=BoardMember)
def _board_member_changed(sender: Any, instance: BoardMember, **kwargs: Any) -> None:
    access_changed_after_commit([instance.board_id])


@receiver([post_save, post_delete], sender=TeamMembership)
def _team_member_changed(sender: Any, instance: TeamMembership, **kwargs: Any) -> None:
    access_changed_after_commit(
        Board.objects.filter(team_id=instance.team_id).values_list("pk", flat=True)
    )


@receiver(post_save, sender=Team)
def _team_changed(sender: Any, instance: Team, created: bool, **kwargs: Any) -> None:
    if not created:  # e.g. default_board_role changed
        access_changed_after_commit(
            Board.objects.filter(team_id=instance.pk).values_list("pk", flat=True)
        )
