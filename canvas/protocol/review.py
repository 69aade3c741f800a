"""Review messages relayed on the board and guest sockets: ``decision`` and ``comment``
(docs/review.md "Live messages").

The payloads are built from rows by canvas.review (``decision_payload``,
``comment_payload`` and their guest versions, which leave out what guests may not see:
ratings, stars, tiers, user ids, mentions); this module declares their shape and wraps them
in messages. It must not touch the database or the channel layer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from canvas.models.review import CommentTarget, DecisionStatus, Tier
from canvas.protocol.types import OneOf, ProtocolModel, Wire, absent

DecisionStatusName = Annotated[str, OneOf.of(DecisionStatus, title="DecisionStatus")]
TierName = Annotated[str, OneOf.of(Tier, title="Tier")]
CommentTargetName = Annotated[str, OneOf.of(CommentTarget, title="CommentTarget")]


class Who(ProtocolModel):
    """Who decided or wrote: a team member (``id``) or a share-link guest (no ``id`` for
    guests' eyes)."""

    id: int | None = absent()
    name: str
    guest: bool
    system: bool = absent("Only on decisions the board's drift triage made (no person).")


class Decision(ProtocolModel):
    """A candidate's verdict; guests see neither ``rating``, ``starred`` nor ``tier``."""

    iteration: str
    status: DecisionStatusName
    rating: int | None = absent()
    starred: bool = absent()
    tier: TierName = absent()
    decided_by: Who
    decided_at: str
    reason: str = absent("Only on automatic decisions: the drift flag that made it.")


class CommentAnchor(ProtocolModel):
    """Where a comment is pinned: a point, an area, an asset or a candidate; a point on a
    video item may also name the item and a moment of its clip (``item``, ``time``), and a
    video candidate a moment of its clip (``iteration``, ``time``)."""

    x: float = absent()
    y: float = absent()
    width: float = absent()
    height: float = absent()
    asset: str = absent()
    iteration: str = absent()
    item: str = absent("A point on a video item: the item (with ``time``).")
    time: float = absent(
        "Seconds into the clip of the video item (with ``item``) or of the video candidate "
        "(with ``iteration``), 0 … its duration."
    )


class ReviewComment(ProtocolModel):
    """A comment; guests see neither ``mentions`` nor ``resolved_by``."""

    id: str
    board: str
    parent: str | None
    target: CommentTargetName
    anchor: CommentAnchor
    body: str
    author: Who
    mentions: list[str] = absent()
    resolved: bool
    resolved_at: str | None
    resolved_by: int | None = absent()
    created_at: str


class DecisionMessage(ProtocolModel):
    type: Literal["decision"]
    decision: Decision


class CommentMessage(ProtocolModel):
    """A comment was added, resolved or reopened: upsert by ``id``."""

    type: Literal["comment"]
    comment: ReviewComment


def decision_message(decision: Wire) -> Wire:
    return {"type": "decision", "decision": decision}


def comment_message(comment: Wire) -> Wire:
    return {"type": "comment", "comment": comment}
