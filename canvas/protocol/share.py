"""The share-link guest socket, ``/ws/share/<token>/`` (docs/review.md "Share links").

Guests may ``sync`` (a snapshot of what their link shows) and ``ping``. ``ops`` and
``presence`` are declared too, so a guest's attempt gets a clear ``read_only`` answer from
the permission check instead of ``bad_message``. What a guest receives: their own welcome
(with the link's ``share`` settings), their snapshot (with the ``candidates`` the link
shows), ``decision`` / ``comment`` messages with guest payloads, presence when the link
shows it, ``pong`` and ``error``. Payloads come from canvas.sharing; this module
must not touch the database or the channel layer.
"""

from __future__ import annotations

from typing import Any, Literal

from canvas.protocol.board import AssetData, ItemData, WelcomeMessage
from canvas.protocol.governance import Consistency
from canvas.protocol.review import Decision
from canvas.protocol.types import ProtocolModel, Wire, absent

# --- Client → server -------------------------------------------------------------------------


class GuestSyncMessage(ProtocolModel):
    """Ask for the link's snapshot (``since`` is ignored: guests always get a snapshot)."""

    type: Literal["sync"]


class GuestPingMessage(ProtocolModel):
    type: Literal["ping"]


class GuestEditMessage(ProtocolModel):
    """An ``ops`` batch or a ``presence`` update from a guest: always refused (read-only)."""

    type: Literal["ops", "presence"]
    batch_id: str | None = None


# --- Server → client -------------------------------------------------------------------------


class ShareInfo(ProtocolModel):
    permissions: list[str]
    """``view`` plus any of ``comment``, ``approve``, ``download``."""
    visibility: str
    show_presence: bool


class GuestWelcomeMessage(WelcomeMessage):
    """``role`` is ``guest`` and ``can_edit`` false, whatever the link allows."""

    share: ShareInfo


class GuestClip(ProtocolModel):
    """A video result's clip for the guest's review grid: the share link's copy without
    metadata (HTTP Range), docs/video.md "Share links"."""

    url: str
    mime: str
    duration: float | None


class GuestCandidate(ProtocolModel):
    id: str
    number: int
    """The result's number in its job (1-based): "Result 2"."""
    region: dict[str, Any]
    asset: AssetData
    status: str
    created_at: str
    decision: Decision | None
    """The team's verdict only if the link shows decisions; else the guest's own (approve)."""
    source_asset: AssetData = absent("Only when the link shows all candidates.")
    provenance: dict[str, Any] = absent("Only when the link shows metadata.")
    seed: int | None = absent("Only when the link shows metadata.")
    consistency: Consistency | None = absent(
        "Only when the link shares the team's decisions; null until scored."
    )
    clip: GuestClip | None = None
    """A video result's clip (null for a still)."""


class GuestPongMessage(ProtocolModel):
    """A guest's keep-alive answer: guests get whole snapshots, never revisions to follow."""

    type: Literal["pong"]


class GuestSnapshotMessage(ProtocolModel):
    """What a guest's page draws: the items the link shows (locked, guest file URLs) and the
    candidates it shows."""

    type: Literal["snapshot"]
    revision: int
    items: list[ItemData]
    candidates: list[GuestCandidate]


# --- Builders --------------------------------------------------------------------------------


def guest_welcome(
    welcome: Wire, *, permissions: list[str], visibility: str, show_presence: bool
) -> Wire:
    share = {"permissions": permissions, "visibility": visibility, "show_presence": show_presence}
    return {**welcome, "share": share}


def guest_pong() -> Wire:
    return {"type": "pong"}


def guest_snapshot(revision: int, items: list[Wire], candidates: list[Wire]) -> Wire:
    return {"type": "snapshot", "revision": revision, "items": items, "candidates": candidates}
