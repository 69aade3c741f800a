"""Comments: pinned to a point, an area, an asset or a candidate; mentions, replies, resolving.

A point comment on a video item may carry a moment of its clip (``item`` and ``time`` in
seconds, from the scrub position): only on a live video item of the board, within
[0, the clip's duration] (``_set_time``). A comment on a video candidate (a result whose
provenance has ``video``) may carry a ``time`` the same way, within that clip.

Members and guests comment through the same functions (a guest's name instead of a user);
each write is broadcast after commit. Which comments a share link shows is decided here
(``comment_visible_to_link``), from what the link shows (canvas.permissions).
"""

from __future__ import annotations

import logging
import math
import re
import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from assets.models import Asset
from canvas import protocol
from canvas.members.services import board_members
from canvas.models import Board, Item, ItemKind, Iteration
from canvas.models.review import (
    Comment,
    CommentTarget,
)
from canvas.models.sharing import AuditAction, ShareScope
from canvas.permissions import Principal, link_asset_ids, link_shows_iteration
from canvas.review.decisions import InvalidReview
from canvas.review.payloads import (
    broadcast_review_after_commit,
    comment_payload,
    guest_comment_payload,
)
from canvas.sharing.audit import record_audit
from foundation.errors import NotFound

logger = logging.getLogger(__name__)


MAX_COMMENT = 5000


MENTION = re.compile(r"(?<![\w.@])@([\w][\w.+-]{0,149})")


class CommentNotFound(NotFound):
    code = "comment_not_found"
    default_message = "That comment does not exist on this board (it may have been deleted)."


def parse_mentions(board: Board, body: str) -> list[Any]:
    names = {m.group(1).rstrip(".").lower() for m in MENTION.finditer(body)}
    if not names:
        return []
    members = board_members(board)
    unknown = sorted(names - set(members))
    if unknown:
        raise InvalidReview(
            f"@{unknown[0]} is not a member of this board, so they cannot be mentioned. "
            "Check the spelling or ask an owner to add them."
        )
    return [members[name] for name in sorted(names)]


def add_comment(board: Board, principal: Principal, data: dict[str, Any]) -> Comment:
    """Store a comment or reply; ``data`` has body, target, anchor fields, parent."""
    body = (data.get("body") or "").strip()
    if not body:
        raise InvalidReview("Write something before sending the comment.")
    if len(body) > MAX_COMMENT:
        raise InvalidReview(f"Comments can be at most {MAX_COMMENT} characters long.")
    comment = Comment(board=board, body=body)
    parent_id = data.get("parent")
    if parent_id:
        parent = get_comment(board, parent_id)
        if parent.parent is not None:  # threads are one level deep: join the root's thread
            parent = parent.parent
        comment.parent = parent
        for field in (
            "target",
            "x",
            "y",
            "width",
            "height",
            "asset_id",
            "iteration_id",
            "item_id",
            "time",
        ):
            setattr(comment, field, getattr(parent, field))
    else:
        _set_anchor(board, comment, data)
    if principal.is_guest:
        if not principal.guest_name:
            raise InvalidReview(
                "Tell us your name before commenting, so the team knows who wrote it.",
                code="guest_name_required",
            )
        comment.share_link = principal.link
        comment.guest_name = principal.guest_name
        comment.guest_email = principal.guest_email
        mentions: list[Any] = []  # guests cannot notify team members by name
    else:
        comment.author = principal.user
        mentions = parse_mentions(board, body)
    with transaction.atomic():
        comment.save()
        if mentions:
            comment.mentions.set(mentions)
        if principal.is_guest:
            record_audit(
                principal.link,
                AuditAction.COMMENT,
                actor_label=principal.guest_name,
                details={"comment": str(comment.pk)},
            )
        _broadcast_comment(comment)
    return comment


def _set_anchor(board: Board, comment: Comment, data: dict[str, Any]) -> None:
    target = data.get("target")
    if target not in CommentTarget.values:
        raise InvalidReview("Pin the comment to a point, an area, an asset or a candidate.")
    comment.target = target
    try:
        if target in (CommentTarget.POINT, CommentTarget.AREA):
            comment.x, comment.y = float(data["x"]), float(data["y"])
            if not all(math.isfinite(v) for v in (comment.x, comment.y)):
                raise ValueError
        if target == CommentTarget.AREA:
            comment.width, comment.height = float(data["width"]), float(data["height"])
            if not (comment.width > 0 and comment.height > 0) or not all(
                math.isfinite(v) for v in (comment.width, comment.height)
            ):
                raise ValueError
    except (KeyError, TypeError, ValueError):
        raise InvalidReview(
            "A point needs numbers x and y; an area also needs a positive width and height."
        ) from None
    if target == CommentTarget.ASSET:
        comment.asset = Asset.objects.filter(pk=_uuid(data.get("asset")), board=board).first()
        if comment.asset is None:
            raise InvalidReview("That asset is not on this board.")
    if target == CommentTarget.ITERATION:
        comment.iteration = Iteration.objects.filter(
            pk=_uuid(data.get("iteration")), board=board
        ).first()
        if comment.iteration is None:
            raise InvalidReview("That candidate is not on this board.")
    _set_time(board, comment, data)


def _set_time(board: Board, comment: Comment, data: dict[str, Any]) -> None:
    """A moment of a clip, when the comment asks for one (docs/review.md): a point on a
    video item (``item`` and ``time``) or a video candidate (``time``)."""
    time, item_id = data.get("time"), data.get("item")
    if time is None and not item_id:
        return
    if comment.target == CommentTarget.ITERATION and comment.iteration is not None:
        if item_id:
            raise InvalidReview("A comment on a candidate's clip takes the time, not an item.")
        video = (comment.iteration.provenance or {}).get("video") or {}
        if not video:
            raise InvalidReview(
                "A time can only be pinned on a video candidate: that candidate is a still."
            )
        comment.time = _seconds(time, video)
        return
    if time is None:
        raise InvalidReview("A comment on a video item needs the time (seconds) it is about.")
    if comment.target != CommentTarget.POINT:
        raise InvalidReview(
            "A time can only be pinned with a point on a video item, or on a video candidate."
        )
    item = Item.objects.filter(pk=_uuid(item_id), board=board, deleted=False).first()
    if item is None or item.kind != ItemKind.VIDEO:
        raise InvalidReview(
            "A time can only be pinned on a video clip: that item is not a video on this board."
        )
    comment.item, comment.time = item, _seconds(time, (item.props or {}).get("video") or {})


def _seconds(time: Any, video: dict[str, Any]) -> float:
    """``time`` as seconds within [0, the clip's duration], or a sentence saying why not."""
    duration = float(video.get("duration") or 0.0)
    try:
        seconds = float(time)
    except (TypeError, ValueError):
        seconds = math.nan
    if not (math.isfinite(seconds) and 0 <= seconds <= duration):
        raise InvalidReview(
            f"The time must be between 0 and {duration:g} seconds (the clip's length); "
            f"got {time!r}."
        )
    return seconds


def _uuid(value: Any) -> uuid.UUID:
    """A UUID, or the nil UUID (which matches no row) for anything that is not one."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.UUID(int=0)


def get_comment(board: Board, comment_id: Any) -> Comment:
    comment = Comment.objects.filter(pk=_uuid(comment_id), board=board).first()
    if comment is None:
        raise CommentNotFound()
    return comment


def set_resolved(comment: Comment, user: Any, resolved: bool) -> Comment:
    if comment.parent_id:
        raise InvalidReview("Resolve the thread from its first comment.")
    with transaction.atomic():
        comment.resolved_at = timezone.now() if resolved else None
        comment.resolved_by = user if resolved else None
        comment.save(update_fields=["resolved_at", "resolved_by"])
        _broadcast_comment(comment)
    return comment


def _broadcast_comment(comment: Comment) -> None:
    message = protocol.comment_message(comment_payload(comment))
    guest = protocol.comment_message(guest_comment_payload(comment))
    broadcast_review_after_commit(
        comment.board_id,
        message,
        guest_message=guest,
        about={
            "kind": "comment",
            "target": comment.target,
            "iteration": str(comment.iteration_id) if comment.iteration_id else None,
            "asset": str(comment.asset_id) if comment.asset_id else None,
        },
    )


def list_comments(board: Board, *, include_resolved: bool = True) -> list[Comment]:
    qs = (
        Comment.objects.filter(board=board)
        .select_related("author")
        .prefetch_related("mentions")
        .order_by("created_at")
    )
    if not include_resolved:
        qs = qs.filter(
            Q(resolved_at__isnull=True, parent__isnull=True)
            | Q(parent__resolved_at__isnull=True, parent__isnull=False)
        )
    return list(qs)


def comment_visible_to_link(link: Any, target: str, iteration_id: Any, asset_id: Any) -> bool:
    if target == CommentTarget.ITERATION:
        return bool(iteration_id) and link_shows_iteration(link, iteration_id)
    if target == CommentTarget.ASSET:
        return bool(asset_id) and _uuid(asset_id) in link_asset_ids(link)
    return link.scope != ShareScope.SELECTION


def guest_comments(link: Any) -> list[dict[str, Any]]:
    return [
        guest_comment_payload(c)
        for c in list_comments(link.board)
        if comment_visible_to_link(link, c.target, c.iteration_id, c.asset_id)
    ]
