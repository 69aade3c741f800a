"""Review: decisions on candidates, triage tiers and promotion, comments, unread counts, inbox.

Callers have checked the caller already (canvas.permissions for members, ``require_link``
for guests); functions here take a ``Principal`` only to record who did it. Every write
broadcasts after commit, through ``broadcast_review_after_commit``, to the board's sockets
(relayed as-is by BoardConsumer.board_job) and to guest sockets on the board (which filter
by what their link shows). Message payloads are built only by the ``*_message`` functions
below. Documented in docs/review.md.

Tiers: generation → refinement → upres → final. Undecided candidates are in "generation",
or "refinement" when they refine an earlier candidate; ``promote`` queues an upscale of the
top X% by rating and moves them to "upres"; the upscale's results start in "upres" and move
to "final" when approved.
"""

from __future__ import annotations

import logging
import math
import re
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from canvas import protocol
from canvas.jobs.announce import JOB_EVENT
from canvas.models import Board, Iteration, IterationStatus, Job, JobMode, JobPriority
from canvas.models.review import (
    Comment,
    CommentRead,
    CommentTarget,
    Decision,
    DecisionEvent,
    DecisionStatus,
    Tier,
)
from canvas.permissions import Perm, Principal, role_allows, roles_for, visible_boards
from canvas.services import naming
from foundation.errors import AppError, NotFound

logger = logging.getLogger(__name__)

REVIEW_EVENT = "share.review"  # dispatched to GuestShareConsumer.share_review
MAX_COMMENT = 5000
MENTION = re.compile(r"(?<![\w.@])@([\w][\w.+-]{0,149})")
CANDIDATE_STATUSES = (IterationStatus.STAGED, IterationStatus.APPLIED)


class InvalidReview(AppError):
    code = "invalid_review"


class CommentNotFound(NotFound):
    code = "comment_not_found"
    default_message = "That comment does not exist on this board (it may have been deleted)."


# --- Messages -----------------------------------------------------------------------------


def _who(user: Any, guest_name: str = "") -> dict[str, Any]:
    from canvas.services.documents import display_name

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
        "decided_by": _who(decision.decided_by, decision.guest_name),
        "decided_at": decision.decided_at.isoformat(),
    }
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
        "author": _who(comment.author, comment.guest_name),
        "mentions": sorted(u.get_username() for u in comment.mentions.all()),
        "resolved": comment.resolved_at is not None,
        "resolved_at": comment.resolved_at.isoformat() if comment.resolved_at else None,
        "resolved_by": comment.resolved_by_id,
        "created_at": comment.created_at.isoformat(),
    }


def anchor_of(comment: Comment) -> dict[str, Any]:
    if comment.target == CommentTarget.POINT:
        return {"x": comment.x, "y": comment.y}
    if comment.target == CommentTarget.AREA:
        return {"x": comment.x, "y": comment.y, "width": comment.width, "height": comment.height}
    if comment.target == CommentTarget.ASSET:
        return {"asset": str(comment.asset_id)}
    return {"iteration": str(comment.iteration_id)}


def broadcast_review_after_commit(
    board_id: Any, message: dict[str, Any], *, guest_message: dict[str, Any], about: dict[str, Any]
) -> None:
    """Send ``message`` to the board's members and ``guest_message`` to its guest sockets.

    ``about`` tells guest sockets what the message concerns ({"kind": "decision" |
    "comment", "iteration": id?, "asset": id?, "target": ...}) so each filters by its link.
    """
    from canvas import realtime
    from canvas.services.sharing import share_board_group

    team_event = {"type": JOB_EVENT, "message": message}
    guest_event = {"type": REVIEW_EVENT, "message": guest_message, "about": about}

    def send() -> None:
        realtime.send_group_now(realtime.board_group(board_id), team_event)
        realtime.send_group_now(share_board_group(board_id), guest_event)

    transaction.on_commit(send)


# --- Decisions ------------------------------------------------------------------------------


def default_tier(iteration: Iteration) -> str:
    job = iteration.job
    if job.mode == JobMode.UPSCALE and job.parent_iteration_id:
        return Tier.UPRES
    return Tier.REFINEMENT if iteration.parent_id else Tier.GENERATION


def current_decision(iteration: Iteration) -> Decision | None:
    return Decision.objects.filter(iteration=iteration).first()


def set_decision(iteration: Iteration, principal: Principal, **fields: Any) -> Decision:
    """Change any of status / rating / starred / tier; unspecified fields are kept.

    Rules: rating is 1–5 or None (cleared); guests may set only the status; approving an
    upscale result of a promoted candidate moves it to "final".
    """
    allowed = {"status", "rating", "starred", "tier"}
    fields = {key: value for key, value in fields.items() if key in allowed}
    if principal.is_guest and set(fields) - {"status"}:
        raise InvalidReview("Guests can approve, reject or ask for changes; nothing else.")
    if not fields:
        raise InvalidReview("Send at least one of status, rating, starred or tier.")
    if "status" in fields and fields["status"] not in DecisionStatus.values:
        raise InvalidReview(
            "status must be approved, rejected, needs_changes, or empty to clear it."
        )
    if "rating" in fields and fields["rating"] is not None:
        rating = fields["rating"]
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise InvalidReview("A rating is a whole number from 1 to 5 (or null to clear it).")
    if "tier" in fields and fields["tier"] not in Tier.values:
        raise InvalidReview(f"tier must be one of {', '.join(Tier.values)}.")
    if iteration.status == IterationStatus.DISCARDED:
        raise InvalidReview("This result was discarded; restore it before deciding on it.")
    with transaction.atomic():
        decision = Decision.objects.select_for_update().filter(iteration=iteration).first()
        if decision is None:
            decision = Decision(
                iteration=iteration,
                board_id=iteration.board_id,
                tier=default_tier(iteration),
                decided_at=timezone.now(),
            )
        before = {k: getattr(decision, k) for k in allowed}
        for key, value in fields.items():
            setattr(decision, key, bool(value) if key == "starred" else value)
        if (
            decision.status == DecisionStatus.APPROVED
            and "tier" not in fields
            and decision.tier == Tier.UPRES
            and iteration.job.mode == JobMode.UPSCALE
        ):
            decision.tier = Tier.FINAL
        changes = {
            k: [before[k], getattr(decision, k)]
            for k in allowed
            if before[k] != getattr(decision, k)
        }
        decision.decided_by = principal.user
        decision.decided_by_link = principal.link
        decision.guest_name = principal.guest_name if principal.is_guest else ""
        decision.decided_at = timezone.now()
        decision.save()
        DecisionEvent.objects.create(
            iteration=iteration,
            board_id=iteration.board_id,
            changes=changes,
            status=decision.status,
            rating=decision.rating,
            starred=decision.starred,
            tier=decision.tier,
            decided_by=principal.user,
            decided_by_link=principal.link,
            guest_name=decision.guest_name,
        )
        if principal.is_guest:
            from canvas.models.sharing import AuditAction
            from canvas.services.sharing import record_audit

            record_audit(
                principal.link,
                AuditAction.DECISION,
                actor_label=principal.guest_name,
                details={"iteration": str(iteration.pk), "status": decision.status},
            )
        broadcast_review_after_commit(
            iteration.board_id,
            protocol.decision_message(decision_payload(decision)),
            guest_message=protocol.decision_message(decision_payload(decision, public=True)),
            about={
                "kind": "decision",
                "iteration": str(iteration.pk),
                "link": str(principal.link.pk) if principal.link else None,
            },
        )
    return decision


def decision_history(iteration: Iteration) -> list[dict[str, Any]]:
    return [
        {
            "changes": event.changes,
            "status": event.status,
            "rating": event.rating,
            "starred": event.starred,
            "tier": event.tier,
            "by": _who(event.decided_by, event.guest_name),
            "at": event.at.isoformat(),
        }
        for event in DecisionEvent.objects.filter(iteration=iteration).select_related("decided_by")
    ]


# --- The review list ------------------------------------------------------------------------


def _root(iteration: Iteration, by_id: dict[Any, Iteration]) -> Iteration:
    seen = set()
    node = iteration
    while node.parent_id and node.parent_id in by_id and node.pk not in seen:
        seen.add(node.pk)
        node = by_id[node.parent_id]
    return node


def candidate_payload(iteration: Iteration, decision: Decision | None) -> dict[str, Any]:
    from assets.presenters import canvas_asset

    return {
        "id": str(iteration.pk),
        "job": str(iteration.job_id),
        "mode": iteration.job.mode,
        "parent": str(iteration.parent_id) if iteration.parent_id else None,
        "number": iteration.index + 1,
        "region": iteration.region,
        "status": iteration.status,
        "asset": canvas_asset(iteration.asset),
        "source_asset": (
            canvas_asset(iteration.source_asset) if iteration.source_asset is not None else None
        ),
        "created_at": iteration.created_at.isoformat(),
        "tier": decision.tier if decision else default_tier(iteration),
        "decision": decision_payload(decision) if decision else None,
    }


def review_list(
    board: Board,
    *,
    status: str | None = None,
    rating_gte: int | None = None,
    starred: bool | None = None,
    tier: str | None = None,
) -> dict[str, Any]:
    """Candidates (staged and applied) grouped by job — one job's variations together —
    newest job first, each group titled in words (canvas.services.naming).

    ``tiers`` counts every candidate (filters do not change it) by the tier it is shown
    with, so the counts add up to ``total``. ``status="undecided"`` selects candidates with
    no verdict yet.
    """
    iterations = list(
        Iteration.objects.filter(board=board, status__in=CANDIDATE_STATUSES)
        .select_related("job", "asset__blob", "source_asset__blob")
        .order_by("-created_at", "index")
    )
    decisions = {d.iteration_id: d for d in Decision.objects.filter(board=board)}
    by_id = {it.pk: it for it in iterations}
    items = naming.board_items(board.pk)
    groups: dict[Any, dict[str, Any]] = {}
    tiers: dict[str, int] = dict.fromkeys(Tier.values, 0)
    for it in iterations:
        decision = decisions.get(it.pk)
        entry = candidate_payload(it, decision)
        tiers[entry["tier"]] += 1
        if it.job_id not in groups:
            groups[it.job_id] = job_group(it, by_id, items)
        group = groups[it.job_id]
        group["total"] += 1
        if _matches(entry, decision, status, rating_gte, starred, tier):
            group["candidates"].append(entry)
    shown = [g for g in groups.values() if g["candidates"]]
    for group in shown:
        group["candidates"].sort(key=lambda c: c["number"])
    return {"board": str(board.pk), "groups": shown, "tiers": tiers, "total": len(iterations)}


def job_group(first: Iteration, by_id: dict[Any, Iteration], items: list[Any]) -> dict[str, Any]:
    """A review group: one job's results, titled by what its region is of."""
    from assets.presenters import canvas_asset

    job = first.job
    parent = by_id.get(job.parent_iteration_id or first.parent_id)
    if job.mode == JobMode.UPSCALE:
        kind = "upscale"
    else:
        kind = "refinement" if first.parent_id else "variations"
    return {
        "job": str(job.pk),
        "root": str(_root(first, by_id).pk),
        "kind": kind,
        "mode": job.mode,
        "title": naming.group_title(items, first),
        "prompt": naming.job_prompt(first),
        "parent": str(parent.pk) if parent else None,
        "parent_label": (
            naming.result_name(parent.index + 1, naming.group_title(items, parent))
            if parent
            else None
        ),
        "region": first.region,
        "source_asset": (
            canvas_asset(first.source_asset) if first.source_asset is not None else None
        ),
        "created_at": first.created_at.isoformat(),
        "total": 0,
        "candidates": [],
    }


def _matches(
    entry: dict[str, Any],
    decision: Decision | None,
    status: str | None,
    rating_gte: int | None,
    starred: bool | None,
    tier: str | None,
) -> bool:
    if status:
        current = decision.status if decision else ""
        if (status == "undecided" and current) or (status != "undecided" and current != status):
            return False
    if rating_gte is not None and not (decision and (decision.rating or 0) >= rating_gte):
        return False
    if starred is not None and bool(decision and decision.starred) != starred:
        return False
    return not (tier and entry["tier"] != tier)


# --- Promotion ------------------------------------------------------------------------------


def promote(
    board: Board, user: Any, *, percent: float = 10, from_tier: str | None = None, scale: int = 2
) -> list[tuple[Iteration, Job]]:
    """Queue an upscale (bulk priority) of the top ``percent`` of rated candidates.

    Ranking: rating, then starred, then newest. At least one is promoted when any candidate
    in ``from_tier`` is rated. Promoted candidates move to tier "upres".
    """
    if not 0 < percent <= 100:
        raise InvalidReview("percent must be more than 0 and at most 100.")
    if from_tier is not None and from_tier not in Tier.values:
        raise InvalidReview(f"from_tier must be one of {', '.join(Tier.values)}.")
    if from_tier in (Tier.UPRES, Tier.FINAL):
        raise InvalidReview("Only generation or refinement candidates can be promoted to upres.")
    rated = [
        d
        for d in Decision.objects.filter(
            board=board, rating__isnull=False, iteration__status__in=CANDIDATE_STATUSES
        )
        .exclude(status=DecisionStatus.REJECTED)
        .select_related("iteration__job", "iteration__asset__blob")
        if (d.tier == from_tier if from_tier else d.tier in (Tier.GENERATION, Tier.REFINEMENT))
    ]
    if not rated:
        raise InvalidReview(
            "No rated candidates to promote. Rate some candidates (1–5) first, then promote."
        )
    rated.sort(key=lambda d: (d.rating or 0, d.starred, d.iteration.created_at), reverse=True)
    count = max(1, math.floor(len(rated) * percent / 100))
    from canvas.jobs.queue import check_with_engine, submit_job

    results = []
    with transaction.atomic():
        for decision in rated[:count]:
            iteration = decision.iteration
            spec = upscale_spec(iteration, scale)
            check_with_engine(spec)
            job = submit_job(
                board,
                user,
                {"mode": JobMode.UPSCALE},
                priority=JobPriority.BULK,
                parent_iteration=iteration,
                validated_spec=spec,
            )
            set_decision(iteration, Principal(user=user), tier=Tier.UPRES)
            results.append((iteration, job))
    logger.info("promoted %d of %d rated candidates on board %s", count, len(rated), board.pk)
    return results


def upscale_spec(iteration: Iteration, scale: int) -> dict[str, Any]:
    """An upscale of the candidate image itself (not of whatever the board shows now)."""
    import random

    from canvas.jobs.queue import DEFAULT_ENGINE

    region = {k: float(iteration.region.get(k, 0)) for k in ("x", "y", "width", "height")}
    if region["width"] <= 0 or region["height"] <= 0:
        blob = iteration.asset.blob
        region.update(width=float(blob.width), height=float(blob.height))
    return {
        "mode": JobMode.UPSCALE.value,
        "engine": iteration.job.engine or DEFAULT_ENGINE,
        "prompt": "",
        "negative_prompt": "",
        "strength": 0.0,
        "seed": random.randrange(protocol.SEED_LIMIT),
        "seed_mode": "random",
        "count": 1,
        "output_size": None,
        "scale": scale,
        "anchors": [],
        "region": region,
        "mask": None,
        "params": {"promoted_from": str(iteration.pk)},
        "layers": [
            {
                "item_id": str(iteration.applied_item_id or iteration.pk),
                "asset_id": str(iteration.asset_id),
                **region,
                "rotation": 0.0,
                "opacity": 1.0,
                "z": 0.0,
            }
        ],
    }


# --- Comments -------------------------------------------------------------------------------


def board_members(board: Board) -> dict[str, Any]:
    """Users with a role on ``board``, by lower-cased username."""
    User = get_user_model()
    candidates = User.objects.filter(
        Q(board_memberships__board=board) | Q(team_memberships__team_id=board.team_id),
        is_active=True,
    ).distinct()
    from canvas.permissions import role_for

    return {u.get_username().lower(): u for u in candidates if role_for(u, board) is not None}


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
        for field in ("target", "x", "y", "width", "height", "asset_id", "iteration_id"):
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
            from canvas.models.sharing import AuditAction
            from canvas.services.sharing import record_audit

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
        from assets.models import Asset

        comment.asset = Asset.objects.filter(pk=_uuid(data.get("asset")), board=board).first()
        if comment.asset is None:
            raise InvalidReview("That asset is not on this board.")
    if target == CommentTarget.ITERATION:
        comment.iteration = Iteration.objects.filter(
            pk=_uuid(data.get("iteration")), board=board
        ).first()
        if comment.iteration is None:
            raise InvalidReview("That candidate is not on this board.")


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


def guest_comment_payload(comment: Comment) -> dict[str, Any]:
    """What guests see of a comment: no user ids, no e-mail addresses, no mentions."""
    data = comment_payload(comment)
    data["author"] = {"id": None, "name": data["author"]["name"], "guest": data["author"]["guest"]}
    data.pop("mentions")
    data.pop("resolved_by")
    return data


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
    from canvas.models.sharing import ShareScope
    from canvas.permissions import link_asset_ids, link_shows_iteration

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


def mark_read(board: Board, user: Any) -> None:
    CommentRead.objects.update_or_create(
        user=user, board=board, defaults={"read_at": timezone.now()}
    )


def unread_counts(user: Any, boards: list[Board] | None = None) -> dict[str, int]:
    """Comments by others since the user last read each board, for boards with any."""
    boards = boards if boards is not None else list(visible_boards(user))
    reads = dict(
        CommentRead.objects.filter(user=user, board__in=boards).values_list("board_id", "read_at")
    )
    counts: dict[str, int] = {}
    for board in boards:
        qs = Comment.objects.filter(board=board).exclude(author=user)
        if board.pk in reads:
            qs = qs.filter(created_at__gt=reads[board.pk])
        n = qs.count()
        if n:
            counts[str(board.pk)] = n
    return counts


# --- Inbox ----------------------------------------------------------------------------------


def inbox(user: Any) -> list[dict[str, Any]]:
    """Boards where the user may review, with the candidates nobody has decided on yet."""
    boards = list(visible_boards(user).filter(archived_at__isnull=True).select_related("team"))
    roles = roles_for(user, boards)
    out = []
    for board in boards:
        if not role_allows(roles.get(board.pk), Perm.REVIEW):
            continue
        waiting = list(
            Iteration.objects.filter(board=board, status__in=CANDIDATE_STATUSES)
            .filter(Q(decision__isnull=True) | Q(decision__status=""))
            .select_related("job", "asset__blob", "source_asset__blob")
            .order_by("-created_at")[:200]
        )
        if waiting:
            out.append(
                {
                    "board": {"id": str(board.pk), "name": board.name},
                    "role": roles[board.pk].value,
                    "waiting": len(waiting),
                    "candidates": [candidate_payload(it, None) for it in waiting],
                }
            )
    return out
