"""Share-link endpoints of the JSON API (/api/v1/): link administration (manage role) and
the guest endpoints ``/share/{token}/…`` (no account). Guide: docs/review.md.

The token from the URL is checked on every guest request by canvas.sharing.auth and what
the link allows by canvas.permissions; guest answers carry the share pages' privacy
headers, errors included. Each endpoint parses, checks, calls one domain function
(canvas.sharing, canvas.review) and shapes the reply.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Router, Schema, Status
from ninja.responses import NinjaJSONEncoder

from canvas.boards import iterations as iteration_services
from canvas.members.api_auth import api_user
from canvas.models import Board, ShareAuditEvent, ShareLink
from canvas.permissions import (
    Perm,
    Principal,
    get_board_for,
    link_shows_item,
    link_shows_iteration,
    require_link,
)
from canvas.protocol.types import CleanText
from canvas.review import comments, decisions, payloads
from canvas.review.api import ERRORS, CommentIn, DecisionIn, Json, comment_data, decision_fields
from canvas.sharing import audit, guests
from canvas.sharing import auth as sharing_auth
from canvas.sharing import links as sharing_links
from canvas.sharing.views import GUEST_HEADERS
from foundation.api_errors import error_response
from foundation.errors import AppError, NotFound

logger = logging.getLogger(__name__)


router = Router(tags=["review"])


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


def _link_for(board: Board, link_id: uuid.UUID) -> ShareLink:
    link = ShareLink.objects.select_related("board").filter(pk=link_id, board=board).first()
    if link is None:
        raise NotFound("That share link does not exist on this board.", code="share_link_not_found")
    return link


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
    data = comment_data(payload)
    if not data.get("parent") and not comments.comment_visible_to_link(
        link, data.get("target") or "", data.get("iteration"), data.get("asset")
    ):
        raise NotFound("You can comment only on what this link shows.", code="not_shown_by_link")
    if not data.get("parent") and data.get("item") and not link_shows_item(link, data["item"]):
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
    decision = decisions.set_decision(iteration, principal, **decision_fields(payload))
    return payloads.decision_payload(decision, public=True)
