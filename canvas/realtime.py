"""Channel-layer plumbing for boards: group names and broadcasts that run after commit.

Domain code calls ``broadcast_applied_after_commit`` inside its transaction; the message
goes out only once the transaction has committed, so no client ever sees a change that was
rolled back. Any change to who may see a board (board members, team members, a team's
default role) tells that board's sockets to re-check access, through model signals, so a
removed member stops receiving the board even if they never send anything again.
Consumers call the ``*_now`` helpers from async code. This module builds no message
payloads itself (canvas.protocol does) and makes no permission decisions
(canvas.permissions does). A failed broadcast is logged, never raised: the write it
reports has already committed, and clients recover through catch-up.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from canvas.models import Board, BoardMember, Team, TeamMembership

logger = logging.getLogger(__name__)

# Event types dispatched to BoardConsumer methods (dots become underscores).
APPLIED_EVENT = "board.applied"
PRESENCE_EVENT = "board.presence"
ACCESS_EVENT = "board.access"

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
    board_id: Any, batch: dict[str, Any], sender_channel: str | None
) -> None:
    """Send a committed batch to everyone on the board except ``sender_channel``."""
    event = {
        "type": APPLIED_EVENT,
        "revision": batch["revision"],
        "batch": batch,
        "sender": sender_channel or "",
    }
    group = board_group(board_id)
    transaction.on_commit(lambda: _send_group_sync(group, event))


def access_changed_after_commit(board_ids: Any) -> None:
    """Make every socket on these boards re-check its user's role once this commits."""
    ids = [str(board_id) for board_id in board_ids]

    def send() -> None:
        for board_id in ids:
            _send_group_sync(board_group(board_id), {"type": ACCESS_EVENT})

    if ids:
        transaction.on_commit(send)


def _send_group_sync(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        logger.warning("could not send %s to %s", event.get("type"), group, exc_info=True)


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
        self.capacity = float(burst if burst is not None else settings_value("BURST", 200))
        self.rate = float(per_second if per_second is not None else settings_value("RATE", 60))
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


def settings_value(name: str, default: float) -> float:
    return float(getattr(settings, f"ANCHORBOARD_WS_MESSAGE_{name}", default))


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
