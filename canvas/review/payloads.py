"""What review messages carry, and how they reach members and guests.

The payloads of decisions and comments (a guest's version leaves out the team's ratings,
stars and ids), and ``broadcast_review_after_commit``, the one way a review change is sent:
after commit, to the board's member sockets and to its guest sockets (which filter by what
their link shows). Nothing here writes rows.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from canvas import realtime
from canvas.jobs.announce import JOB_EVENT
from canvas.members.services import display_name
from canvas.models.review import (
    Comment,
    CommentTarget,
    Decision,
    DecisionEvent,
)
from canvas.sharing.groups import share_board_group

logger = logging.getLogger(__name__)


REVIEW_EVENT = "share.review"  # dispatched to GuestShareConsumer.share_review


SYSTEM_NAME = "Drift check"  # who an automatic decision (the board's drift triage) is by


def who(user: Any, guest_name: str = "", *, automatic: bool = False) -> dict[str, Any]:
    if automatic:
        return {"id": None, "name": SYSTEM_NAME, "guest": False, "system": True}
    if user is not None:
        return {"id": user.pk, "name": display_name(user), "guest": False}
    return {"id": None, "name": guest_name or "Guest", "guest": True}


def decision_payload(decision: Decision, *, public: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "iteration": str(decision.iteration_id),
        "status": decision.status,
        "rating": decision.rating,
        "starred": decision.starred,
        "tier": decision.tier,
        "decided_by": who(decision.decided_by, decision.guest_name, automatic=decision.automatic),
        "decided_at": decision.decided_at.isoformat(),
    }
    if decision.automatic:
        data["reason"] = decision.reason
    if public:  # guests see the verdict and a name, not the team's ratings, stars or ids
        for key in ("rating", "starred", "tier"):
            data.pop(key)
        data["decided_by"] = {k: v for k, v in data["decided_by"].items() if k != "id"}
    return data


def guest_event_payload(event: DecisionEvent) -> dict[str, Any]:
    """A guest's own verdict from the history, shaped like a public decision payload."""
    return {
        "iteration": str(event.iteration_id),
        "status": event.status,
        "decided_by": {"name": event.guest_name or "Guest", "guest": True},
        "decided_at": event.at.isoformat(),
    }


def comment_payload(comment: Comment) -> dict[str, Any]:
    return {
        "id": str(comment.pk),
        "board": str(comment.board_id),
        "parent": str(comment.parent_id) if comment.parent_id else None,
        "target": comment.target,
        "anchor": anchor_of(comment),
        "body": comment.body,
        "author": who(comment.author, comment.guest_name),
        "mentions": sorted(u.get_username() for u in comment.mentions.all()),
        "resolved": comment.resolved_at is not None,
        "resolved_at": comment.resolved_at.isoformat() if comment.resolved_at else None,
        "resolved_by": comment.resolved_by_id,
        "created_at": comment.created_at.isoformat(),
    }


def anchor_of(comment: Comment) -> dict[str, Any]:
    if comment.target == CommentTarget.POINT:
        if comment.time is not None and comment.item_id:
            return {
                "x": comment.x,
                "y": comment.y,
                "item": str(comment.item_id),
                "time": comment.time,
            }
        return {"x": comment.x, "y": comment.y}
    if comment.target == CommentTarget.AREA:
        return {"x": comment.x, "y": comment.y, "width": comment.width, "height": comment.height}
    if comment.target == CommentTarget.ASSET:
        return {"asset": str(comment.asset_id)}
    if comment.time is not None:  # a moment of a video candidate's clip
        return {"iteration": str(comment.iteration_id), "time": comment.time}
    return {"iteration": str(comment.iteration_id)}


def broadcast_review_after_commit(
    board_id: Any, message: dict[str, Any], *, guest_message: dict[str, Any], about: dict[str, Any]
) -> None:
    """Send ``message`` to the board's members and ``guest_message`` to its guest sockets.

    ``about`` tells guest sockets what the message concerns ({"kind": "decision" |
    "comment", "iteration": id?, "asset": id?, "target": ...}) so each filters by its link.
    """
    broadcast_after_commit(board_id, message, [(guest_message, about)])


def broadcast_after_commit(
    board_id: Any, message: dict[str, Any], guest_messages: list[tuple[dict[str, Any], Any]]
) -> None:
    """``message`` to the board's members, then each ``(guest message, about)`` to its guest
    sockets (each filters by its link), once the transaction commits."""
    team_event = {"type": JOB_EVENT, "message": message}
    guest_events = [
        {"type": REVIEW_EVENT, "message": guest_message, "about": about}
        for guest_message, about in guest_messages
    ]

    def send() -> None:
        realtime.send_group_now(realtime.board_group(board_id), team_event)
        for guest_event in guest_events:
            realtime.send_group_now(share_board_group(board_id), guest_event)

    transaction.on_commit(send)


def guest_comment_payload(comment: Comment) -> dict[str, Any]:
    """What guests see of a comment: no user ids, no e-mail addresses, no mentions."""
    data = comment_payload(comment)
    data["author"] = {"id": None, "name": data["author"]["name"], "guest": data["author"]["guest"]}
    data.pop("mentions")
    data.pop("resolved_by")
    return data
