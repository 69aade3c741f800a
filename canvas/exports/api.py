"""Export endpoints of the JSON API (/api/v1/): ask for an export, watch it, list them.

``POST /boards/{id}/exports`` checks the caller's role (view: an export holds nothing a
viewer cannot already download file by file), calls canvas.exports.services and answers
202 ``{"export": id}``; ``GET /exports/{id}`` answers the state, progress and, when ready,
a ``download_url`` signed for the caller (canvas.exports.links); ``POST
/exports/{id}/cancel`` stops a queued or running one (its requester, or the board's owner).
An export on a board the caller cannot see is the same 404 as a missing id. Share-link
guests list the board's ready exports through ``GET /share/{token}/exports`` when the link
allows downloads.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Body, Query, Router, Schema, Status

from canvas.exports import links, services
from canvas.exports.guests import guest_visible
from canvas.exports.links import ExportNotFound
from canvas.exports.models import Export
from canvas.exports.payloads import export_payload
from canvas.members.api_auth import api_user
from canvas.permissions import (
    DOWNLOAD,
    Perm,
    get_board_for,
    require,
    require_link,
    role_for,
)
from canvas.sharing import auth as sharing_auth
from foundation.api_errors import ErrorOut
from foundation.api_pagination import Page, PageParams, paginate

router = Router(tags=["exports"])

ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    410: ErrorOut,
    429: ErrorOut,
}


class ExportAccepted(Schema):
    export: uuid.UUID


class ExportErrorOut(Schema):
    code: str
    message: str


class ExportOut(Schema):
    id: uuid.UUID
    board: uuid.UUID
    kind: str
    state: str
    version: int
    progress: float
    progress_message: str
    error: ExportErrorOut | None
    file_name: str
    size: int | None
    requested_by: str | None
    created_at: str
    finished_at: str | None
    expires_at: str | None
    download_url: str | None


def _for_member(export: Export, user: Any) -> dict[str, Any]:
    url = links.member_url(export.pk, user.pk) if export.downloadable() else None
    return export_payload(export, url)


def _visible_export(request: HttpRequest, export_id: str) -> tuple[Export, Any]:
    user = api_user(request)
    export = services.get_export(export_id)
    if role_for(user, export.board) is None:
        raise ExportNotFound()  # the same answer as a missing id
    require(user, export.board, Perm.VIEW)
    return export, user


@router.post(
    "/boards/{board_id}/exports",
    response={202: ExportAccepted, **ERRORS},
    summary="Ask for an export",
)
def create_export(
    request: HttpRequest, board_id: str, payload: Body[dict[str, Any]]
) -> Status[dict[str, Any]]:
    """``{"kind": "psd|png|tiff16|zip|pdf", "items": [ids] | "frame": id | "batch": id,
    "options": {...}}``. Checked before anything is queued (400 ``invalid_export`` or
    ``export_kind_not_available`` with a sentence); then it runs in the background: poll
    ``GET /exports/{id}`` or listen on the board socket (``export`` messages)."""
    user = api_user(request)
    board, _ = get_board_for(user, board_id, Perm.VIEW)
    export = services.request_export(board, user, payload)
    return Status(202, {"export": export.pk})


@router.get("/exports/{export_id}", response={200: ExportOut, **ERRORS}, summary="An export")
def get_export(request: HttpRequest, export_id: str) -> dict[str, Any]:
    """State (queued, running, ready, failed), progress, and a ``download_url`` when ready:
    signed for you, it works for ``ANCHORBOARD_EXPORT_LINK_SECONDS`` (read the export again
    for a fresh one). An expired export has no link (export it again)."""
    export, user = _visible_export(request, export_id)
    return _for_member(export, user)


@router.post(
    "/exports/{export_id}/cancel", response={200: ExportOut, **ERRORS}, summary="Cancel an export"
)
def cancel_export(request: HttpRequest, export_id: str) -> dict[str, Any]:
    """Stop a queued or running export: it ends ``failed`` with ``export_cancelled``; a
    running one's worker stops at its next progress step and deletes its partial files.
    409 ``export_finished`` when it already ended; 403 for someone else's export (only the
    requester or the board's owner may cancel it)."""
    export, user = _visible_export(request, export_id)
    return _for_member(services.cancel_export(export, user), user)


@router.get(
    "/boards/{board_id}/exports", response={200: Page[ExportOut], **ERRORS}, summary="Exports"
)
def list_exports(request: HttpRequest, board_id: str, paging: Query[PageParams]) -> dict[str, Any]:
    """The board's exports, newest first, whoever asked for them."""
    user = api_user(request)
    board, _ = get_board_for(user, board_id, Perm.VIEW)
    return paginate(
        request,
        services.board_exports(board),
        paging,
        lambda page: [_for_member(export, user) for export in page],
    )


@router.get(
    "/share/{token}/exports",
    response={200: list[ExportOut], **ERRORS},
    auth=None,
    summary="A share link's exports",
)
def guest_exports(request: HttpRequest, token: str) -> list[dict[str, Any]]:
    """The board's ready exports a guest may download: needs the link's download
    permission (403 without). A link limited to one frame lists that frame's exports; a
    link to selected candidates lists none."""
    principal = sharing_auth.authorize(request, token)
    link = principal.link
    require_link(link, DOWNLOAD)
    return [
        export_payload(export, links.guest_url(export.pk, token))
        for export in guest_visible(link)
        if export.downloadable()
    ]
