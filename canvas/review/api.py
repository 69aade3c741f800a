"""Review endpoints of the JSON API (/api/v1/): decisions, the review list, promotion,
comments, unread counts, the inbox. Guide: docs/review.md.

Signed-in members only: view to read; review to decide and promote; comment to comment
(canvas.permissions). Each endpoint parses, checks, calls one domain function of
canvas.review and shapes the reply; nothing here changes rows directly or decides
permissions by hand. Guests reach review through canvas.sharing.api.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from canvas.boards import iterations as iteration_services
from canvas.jobs.payloads import job_payload
from canvas.members.api_auth import api_user
from canvas.permissions import (
    Perm,
    Principal,
    get_board_for,
    require,
)
from canvas.protocol.types import CleanText
from canvas.review import candidates, comments, decisions, drift, payloads, promotion
from canvas.review import inbox as review_inbox
from foundation.api_errors import ErrorOut

logger = logging.getLogger(__name__)


router = Router(tags=["review"])


ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    410: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


Json = dict[str, Any]


class DecisionIn(Schema):
    """Send only what changes: ``{"rating": 4}`` keeps status, star and tier."""

    status: Literal["approved", "rejected", "needs_changes", ""] | None = Field(
        None, description='"" clears the verdict.'
    )
    rating: int | None = Field(None, description="1–5; send null with clear_rating to clear.")
    clear_rating: bool = False
    starred: bool | None = None
    tier: Literal["generation", "refinement", "upres", "final"] | None = None


class ReviewFilters(Schema):
    status: Literal["approved", "rejected", "needs_changes", "undecided"] | None = None
    rating_gte: int | None = Field(None, ge=1, le=5)
    starred: bool | None = None
    tier: Literal["generation", "refinement", "upres", "final"] | None = None
    drift: Literal["drifted", "consistent", "unscored"] | None = Field(
        None,
        description="By the candidate's latest consistency check: flagged (drifted), "
        "checked and not flagged (consistent), or not scored yet (unscored).",
    )
    sort: Literal["job", "drift"] = Field(
        "job",
        description='"job": groups newest first, candidates by number; "drift": least '
        "consistent first (drifted, then lowest score, unscored last) within each group, "
        "groups by their least consistent candidate.",
    )


class PromoteIn(Schema):
    percent: float = Field(10, description="Top share of rated candidates, 0–100.")
    from_tier: Literal["generation", "refinement"] | None = None
    scale: int | None = Field(
        None, description="Upscale factor; default the board's brand kit's, else 2."
    )


class DriftTriageIn(Schema):
    drift_triage: Literal["off", "route", "reject"] = Field(
        ...,
        description='What happens to a result flagged as it lands: "off" (people decide), '
        '"route" (marked Needs changes), "reject" (rejected, the flag as the reason).',
    )


class CommentIn(Schema):
    body: CleanText
    target: Literal["point", "area", "asset", "iteration"] | None = None
    x: float | None = None
    y: float | None = None
    width: float | None = None
    height: float | None = None
    asset: uuid.UUID | None = None
    iteration: uuid.UUID | None = None
    item: uuid.UUID | None = Field(None, description="A point's video item (with time).")
    time: float | None = Field(
        None, description="Seconds into the video item's clip (a point on a video item)."
    )
    parent: uuid.UUID | None = Field(None, description="Reply in this comment's thread.")


def _iteration_for(request: HttpRequest, iteration_id: uuid.UUID, perm: Perm):
    iteration = iteration_services.get_iteration(iteration_id)
    require(api_user(request), iteration.board, perm)
    return iteration


def decision_fields(payload: DecisionIn) -> Json:
    fields = payload.dict(exclude_unset=True)
    if fields.pop("clear_rating", False):
        fields["rating"] = None
    return {k: v for k, v in fields.items() if v is not None or k == "rating"}


def comment_data(payload: CommentIn) -> Json:
    data = payload.dict()
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in data.items()}


@router.put(
    "/iterations/{iteration_id}/decision",
    response={200: Json, **ERRORS},
    summary="Decide on a candidate (status, rating, star, tier)",
)
def put_decision(request: HttpRequest, iteration_id: uuid.UUID, payload: DecisionIn) -> Json:
    iteration = _iteration_for(request, iteration_id, Perm.REVIEW)
    decision = decisions.set_decision(
        iteration, Principal(user=api_user(request)), **decision_fields(payload)
    )
    return payloads.decision_payload(decision)


@router.get(
    "/iterations/{iteration_id}/decision/history",
    response={200: list[Json], **ERRORS},
    summary="Every change to a candidate's decision, oldest first",
)
def decision_history(request: HttpRequest, iteration_id: uuid.UUID) -> list[Json]:
    return decisions.decision_history(_iteration_for(request, iteration_id, Perm.VIEW))


@router.get(
    "/boards/{board_id}/review",
    response={200: Json, **ERRORS},
    summary="Candidates grouped by job, titled, with decisions and tier counts; filterable",
)
def review_list(request: HttpRequest, board_id: uuid.UUID, filters: Query[ReviewFilters]) -> Json:
    board, _ = get_board_for(api_user(request), board_id, Perm.VIEW)
    return candidates.review_list(board, **filters.dict())


@router.post(
    "/boards/{board_id}/promote",
    response={201: Json, **ERRORS},
    summary="Queue upscales of the top X% by rating and move them to upres",
)
def promote(request: HttpRequest, board_id: uuid.UUID, payload: PromoteIn) -> Status[Json]:
    board, _ = get_board_for(api_user(request), board_id, Perm.REVIEW)
    promoted = promotion.promote(
        board,
        api_user(request),
        percent=payload.percent,
        from_tier=payload.from_tier,
        scale=payload.scale,
    )
    return Status(
        201,
        {"promoted": [{"iteration": str(it.pk), "job": job_payload(job)} for it, job in promoted]},
    )


@router.put(
    "/boards/{board_id}/drift-triage",
    response={200: Json, **ERRORS},
    summary="Auto-route or auto-reject results the drift check flags (off by default)",
)
def put_drift_triage(request: HttpRequest, board_id: uuid.UUID, payload: DriftTriageIn) -> Json:
    board, _ = get_board_for(api_user(request), board_id, Perm.MANAGE)
    board = drift.set_triage(board, payload.drift_triage)
    # Results already on the board are not triaged by the setting; say how many would be.
    return {
        "board": str(board.pk),
        "drift_triage": board.drift_triage,
        "untriaged": drift.untriaged(board),
    }


@router.post(
    "/boards/{board_id}/drift-triage/apply",
    response={200: Json, **ERRORS},
    summary="Apply the board's drift triage to the flagged results already on it",
)
def apply_drift_triage(request: HttpRequest, board_id: uuid.UUID) -> Json:
    board, _ = get_board_for(api_user(request), board_id, Perm.MANAGE)
    made = drift.triage_existing(board)
    return {"board": str(board.pk), "drift_triage": board.drift_triage, "decided": len(made)}


@router.get(
    "/boards/{board_id}/comments", response={200: list[Json], **ERRORS}, summary="All comments"
)
def list_comments(request: HttpRequest, board_id: uuid.UUID) -> list[Json]:
    board, _ = get_board_for(api_user(request), board_id, Perm.VIEW)
    return [payloads.comment_payload(c) for c in comments.list_comments(board)]


@router.post(
    "/boards/{board_id}/comments", response={201: Json, **ERRORS}, summary="Comment or reply"
)
def add_comment(request: HttpRequest, board_id: uuid.UUID, payload: CommentIn) -> Status[Json]:
    board, _ = get_board_for(api_user(request), board_id, Perm.COMMENT)
    comment = comments.add_comment(board, Principal(user=api_user(request)), comment_data(payload))
    return Status(201, payloads.comment_payload(comment))


def _set_resolved(request: HttpRequest, board_id: uuid.UUID, comment_id: uuid.UUID, value: bool):
    board, _ = get_board_for(api_user(request), board_id, Perm.COMMENT)
    comment = comments.get_comment(board, comment_id)
    return payloads.comment_payload(comments.set_resolved(comment, api_user(request), value))


@router.post(
    "/boards/{board_id}/comments/{comment_id}/resolve",
    response={200: Json, **ERRORS},
    summary="Resolve a thread",
)
def resolve_comment(request: HttpRequest, board_id: uuid.UUID, comment_id: uuid.UUID) -> Json:
    return _set_resolved(request, board_id, comment_id, True)


@router.post(
    "/boards/{board_id}/comments/{comment_id}/reopen",
    response={200: Json, **ERRORS},
    summary="Reopen a resolved thread",
)
def reopen_comment(request: HttpRequest, board_id: uuid.UUID, comment_id: uuid.UUID) -> Json:
    return _set_resolved(request, board_id, comment_id, False)


@router.post(
    "/boards/{board_id}/comments/read",
    response={204: None, **ERRORS},
    summary="Mark the board's comments as read",
)
def mark_read(request: HttpRequest, board_id: uuid.UUID) -> Status[None]:
    board, _ = get_board_for(api_user(request), board_id, Perm.VIEW)
    review_inbox.mark_read(board, api_user(request))
    return Status(204, None)


@router.get(
    "/comments/unread",
    response={200: dict[str, int], **ERRORS},
    summary="Unread comments per board ({board id: count}, boards with none left out)",
)
def unread(request: HttpRequest) -> dict[str, int]:
    return review_inbox.unread_counts(api_user(request))


@router.get("/inbox", response={200: list[Json], **ERRORS}, summary="Candidates awaiting me")
def inbox(request: HttpRequest) -> list[Json]:
    return review_inbox.inbox(api_user(request))
