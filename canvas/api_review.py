"""Review and sharing endpoints of the JSON API (/api/v1/). Guide: docs/review.md.

Members (signed in): decisions, the review list, promotion, comments, unread counts, the
inbox (view to read; review to decide and promote; comment to comment; manage for share
links). Guests: ``/share/{token}/…`` with no account, where the token from the URL is
checked on every request by canvas.sharing.auth and what the link allows by
canvas.permissions. Each endpoint parses, checks, calls one domain function
(canvas.review / canvas.sharing) and shapes the reply.

Nothing here changes rows directly or decides permissions by hand.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.responses import NinjaJSONEncoder

from canvas.jobs.payloads import job_payload
from canvas.members.api_auth import api_user
from canvas.models import Board, ShareAuditEvent, ShareLink
from canvas.permissions import (
    Perm,
    Principal,
    get_board_for,
    link_shows_iteration,
    require,
    require_link,
)
from canvas.protocol.types import CleanText
from canvas.review import candidates, comments, decisions, payloads, promotion
from canvas.review import inbox as review_inbox
from canvas.services import iterations as iteration_services
from canvas.sharing import audit, guests
from canvas.sharing import auth as sharing_auth
from canvas.sharing import links as sharing_links
from canvas.sharing.views import GUEST_HEADERS
from foundation.api_errors import ErrorOut, error_response
from foundation.errors import AppError, NotFound

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


# --- Schemas --------------------------------------------------------------------------------


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


class PromoteIn(Schema):
    percent: float = Field(10, description="Top share of rated candidates, 0–100.")
    from_tier: Literal["generation", "refinement"] | None = None
    scale: int = Field(2, description="Upscale factor.")


class CommentIn(Schema):
    body: CleanText
    target: Literal["point", "area", "asset", "iteration"] | None = None
    x: float | None = None
    y: float | None = None
    width: float | None = None
    height: float | None = None
    asset: uuid.UUID | None = None
    iteration: uuid.UUID | None = None
    parent: uuid.UUID | None = Field(None, description="Reply in this comment's thread.")


class GuestCommentIn(CommentIn):
    name: CleanText = Field("", max_length=100, description="Needed on a guest's first comment.")
    email: CleanText = Field("", max_length=254)


class ShareLinkIn(Schema):
    scope: Literal["board", "frame", "selection"] = "board"
    frame_id: uuid.UUID | None = None
    iteration_ids: list[uuid.UUID] = Field(default_factory=list)
    permissions: list[Literal["view", "comment", "approve", "download"]] = Field(["view"])
    expires_at: datetime | None = None
    expires_in_days: int | None = Field(None, description="Default 14.")
    password: CleanText | None = None
    visibility: Literal["final_only", "all_candidates"] = "final_only"
    show_metadata: bool = False
    show_presence: bool = False
    show_decisions: bool = Field(False, description="Show the team's verdicts to the client.")
    label: CleanText = Field("", max_length=200)


class ShareLinkChange(Schema):
    permissions: list[Literal["view", "comment", "approve", "download"]] | None = None
    expires_at: datetime | None = None
    expires_in_days: int | None = None
    password: CleanText | None = Field(None, description='"" removes the password.')
    visibility: Literal["final_only", "all_candidates"] | None = None
    show_metadata: bool | None = None
    show_presence: bool | None = None
    show_decisions: bool | None = None
    label: CleanText | None = Field(None, max_length=200)


class PasswordIn(Schema):
    password: CleanText = Field(..., max_length=200)


class GuestIn(Schema):
    name: CleanText = Field(..., min_length=1, max_length=100)
    email: CleanText = Field("", max_length=254)


# --- Helpers --------------------------------------------------------------------------------


def _iteration_for(request: HttpRequest, iteration_id: uuid.UUID, perm: Perm):
    iteration = iteration_services.get_iteration(iteration_id)
    require(api_user(request), iteration.board, perm)
    return iteration


def _decision_fields(payload: DecisionIn) -> Json:
    fields = payload.dict(exclude_unset=True)
    if fields.pop("clear_rating", False):
        fields["rating"] = None
    return {k: v for k, v in fields.items() if v is not None or k == "rating"}


def _link_for(board: Board, link_id: uuid.UUID) -> ShareLink:
    link = ShareLink.objects.select_related("board").filter(pk=link_id, board=board).first()
    if link is None:
        raise NotFound("That share link does not exist on this board.", code="share_link_not_found")
    return link


def _comment_data(payload: CommentIn) -> Json:
    data = payload.dict()
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in data.items()}


# --- Decisions and the review list -----------------------------------------------------------


@router.put(
    "/iterations/{iteration_id}/decision",
    response={200: Json, **ERRORS},
    summary="Decide on a candidate (status, rating, star, tier)",
)
def put_decision(request: HttpRequest, iteration_id: uuid.UUID, payload: DecisionIn) -> Json:
    iteration = _iteration_for(request, iteration_id, Perm.REVIEW)
    decision = decisions.set_decision(
        iteration, Principal(user=api_user(request)), **_decision_fields(payload)
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


# --- Comments -------------------------------------------------------------------------------


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
    comment = comments.add_comment(board, Principal(user=api_user(request)), _comment_data(payload))
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


# --- Inbox ----------------------------------------------------------------------------------


@router.get("/inbox", response={200: list[Json], **ERRORS}, summary="Candidates awaiting me")
def inbox(request: HttpRequest) -> list[Json]:
    return review_inbox.inbox(api_user(request))


# --- Share links (administration) -----------------------------------------------------------


@router.get(
    "/boards/{board_id}/share-links",
    response={200: list[Json], **ERRORS},
    summary="A board's share links (tokens are never shown again)",
)
def list_links(request: HttpRequest, board_id: uuid.UUID) -> list[Json]:
    board, _ = get_board_for(api_user(request), board_id, Perm.MANAGE)
    links = ShareLink.objects.filter(board=board).order_by("-created_at")
    return [sharing_links.link_payload(link) for link in links]


@router.post(
    "/boards/{board_id}/share-links",
    response={201: Json, **ERRORS},
    summary="Create a share link; the response holds the token, once",
)
def create_link(request: HttpRequest, board_id: uuid.UUID, payload: ShareLinkIn) -> Status[Json]:
    board, _ = get_board_for(api_user(request), board_id, Perm.MANAGE)
    options = payload.dict()
    options["iteration_ids"] = [str(i) for i in options["iteration_ids"]]
    link, token = sharing_links.create_link(board, api_user(request), **options)
    body = sharing_links.link_payload(link)
    body["token"] = token
    body["url"] = request.build_absolute_uri(f"/s/{token}/")
    return Status(201, body)


@router.patch(
    "/boards/{board_id}/share-links/{uuid:link_id}",
    response={200: Json, **ERRORS},
    summary="Change a share link's settings",
)
def update_link(
    request: HttpRequest, board_id: uuid.UUID, link_id: uuid.UUID, payload: ShareLinkChange
) -> Json:
    board, _ = get_board_for(api_user(request), board_id, Perm.MANAGE)
    link = _link_for(board, link_id)
    changes = payload.dict(exclude_unset=True)
    return sharing_links.link_payload(sharing_links.update_link(link, api_user(request), changes))


@router.post(
    "/boards/{board_id}/share-links/{uuid:link_id}/revoke",
    response={200: Json, **ERRORS},
    summary="Revoke a share link (open guest pages and sockets stop working)",
)
def revoke_link(request: HttpRequest, board_id: uuid.UUID, link_id: uuid.UUID) -> Json:
    board, _ = get_board_for(api_user(request), board_id, Perm.MANAGE)
    return sharing_links.link_payload(
        sharing_links.revoke_link(_link_for(board, link_id), api_user(request))
    )


@router.post(
    "/boards/{board_id}/share-links/revoke-all",
    response={200: Json, **ERRORS},
    summary="Revoke every share link of a board",
)
def revoke_all(request: HttpRequest, board_id: uuid.UUID) -> Json:
    board, _ = get_board_for(api_user(request), board_id, Perm.MANAGE)
    return {"revoked": sharing_links.revoke_all(board, api_user(request))}


@router.get(
    "/boards/{board_id}/share-links/{uuid:link_id}/audit",
    response={200: list[Json], **ERRORS},
    summary="What happened to a share link, newest first",
)
def link_audit(request: HttpRequest, board_id: uuid.UUID, link_id: uuid.UUID) -> list[Json]:
    board, _ = get_board_for(api_user(request), board_id, Perm.MANAGE)
    link = _link_for(board, link_id)
    events = ShareAuditEvent.objects.filter(link=link).order_by("-at", "-id")[:500]
    return [audit.audit_payload(e) for e in events]


# --- Guests (/share/{token}/…, no account) ---------------------------------------------------


def guest_endpoint(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer a guest endpoint, success or AppError, with the share-page privacy headers.

    The token is in the URL, so no response may leak it through Referer, be indexed, or
    sit in a shared cache; errors (expired, revoked, rate-limited) included.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            result = view(request, *args, **kwargs)
        except AppError as exc:
            logger.info("%s guest API -> %s %s", request.method, exc.status, exc.code)
            retry_after = getattr(exc, "retry_after", None)
            response: HttpResponse = error_response(
                exc.status,
                exc.code,
                exc.message,
                {"Retry-After": str(retry_after)} if retry_after else None,
            )
        else:
            if isinstance(result, HttpResponse):
                response = result
            else:
                status, body = (
                    (result.status_code, result.value)
                    if isinstance(result, Status)
                    else (200, result)
                )
                response = JsonResponse(body, status=status, safe=False, encoder=NinjaJSONEncoder)
        for name, value in GUEST_HEADERS.items():
            response[name] = value
        return response

    return wrapper


@router.post(
    "/share/{token}/unlock",
    auth=None,
    response={200: Json, **ERRORS},
    summary="Enter a link's password (sets a signed cookie)",
)
@guest_endpoint
def guest_unlock(request: HttpRequest, token: str, payload: PasswordIn) -> HttpResponse:
    response = JsonResponse({"ok": True})
    sharing_auth.unlock(request, token, payload.password, response)
    return response


@router.get(
    "/share/{token}/board",
    auth=None,
    response={200: Json, **ERRORS},
    summary="What the link shows: items and candidates",
)
@guest_endpoint
def guest_board(request: HttpRequest, token: str) -> Json:
    principal = sharing_auth.authorize(request, token)
    link = principal.link
    return {
        "board": {"id": str(link.board_id), "name": link.board.name},
        "link": {
            "label": link.label,
            "permissions": list(link.permissions),
            "visibility": link.visibility,
            "show_metadata": link.show_metadata,
            "show_decisions": link.show_decisions,
            "expires_at": link.expires_at,
        },
        "guest": {"name": principal.guest_name} if principal.guest_name else None,
        **guests.guest_snapshot(link, token),
    }


@router.post(
    "/share/{token}/guest",
    auth=None,
    response={200: Json, **ERRORS},
    summary="Tell the team who you are (kept in your browser session)",
)
@guest_endpoint
def guest_identify(request: HttpRequest, token: str, payload: GuestIn) -> Json:
    principal = sharing_auth.authorize(request, token)
    sharing_auth.remember_guest(request, principal.link, payload.name.strip(), payload.email)
    return {"name": payload.name.strip()}


@router.get(
    "/share/{token}/comments",
    auth=None,
    response={200: list[Json], **ERRORS},
    summary="Comments on what the link shows",
)
@guest_endpoint
def guest_list_comments(request: HttpRequest, token: str) -> list[Json]:
    principal = sharing_auth.authorize(request, token)
    require_link(principal.link, Perm.COMMENT)
    return comments.guest_comments(principal.link)


@router.post(
    "/share/{token}/comments",
    auth=None,
    response={201: Json, **ERRORS},
    summary="Comment as a guest (name needed the first time)",
)
@guest_endpoint
def guest_add_comment(request: HttpRequest, token: str, payload: GuestCommentIn) -> Status[Json]:
    principal = sharing_auth.authorize(request, token)
    link = principal.link
    require_link(link, Perm.COMMENT)
    if payload.name.strip():
        sharing_auth.remember_guest(request, link, payload.name.strip(), payload.email)
        principal = Principal(link=link, guest_name=payload.name.strip(), guest_email=payload.email)
    data = _comment_data(payload)
    if not data.get("parent") and not comments.comment_visible_to_link(
        link, data.get("target") or "", data.get("iteration"), data.get("asset")
    ):
        raise NotFound("You can comment only on what this link shows.", code="not_shown_by_link")
    if data.get("parent"):
        parent = comments.get_comment(link.board, data["parent"])
        if not comments.comment_visible_to_link(
            link, parent.target, parent.iteration_id, parent.asset_id
        ):
            raise comments.CommentNotFound()
    sharing_auth.check_guest_comment_allowed(link, sharing_auth.client_ip(request))
    comment = comments.add_comment(link.board, principal, data)
    return Status(201, payloads.guest_comment_payload(comment))


@router.put(
    "/share/{token}/iterations/{iteration_id}/decision",
    auth=None,
    response={200: Json, **ERRORS},
    summary="Approve, reject or ask for changes as a guest",
)
@guest_endpoint
def guest_decide(
    request: HttpRequest, token: str, iteration_id: uuid.UUID, payload: DecisionIn
) -> Json:
    principal = sharing_auth.authorize(request, token)
    link = principal.link
    require_link(link, Perm.REVIEW)
    if not link_shows_iteration(link, iteration_id):
        raise NotFound("This link does not show that candidate.", code="not_shown_by_link")
    iteration = iteration_services.get_iteration(iteration_id)
    if principal.guest_name == "":
        principal = Principal(link=link, guest_name="Guest")
    decision = decisions.set_decision(iteration, principal, **_decision_fields(payload))
    return payloads.decision_payload(decision, public=True)
