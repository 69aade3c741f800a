"""Board endpoints of the JSON API: list, create, read, rename/archive, delete, duplicate.

Each endpoint parses, checks the caller's role through canvas.permissions, calls one
function of canvas.boards.lifecycle and shapes the reply with ``board_payload``. Required
permissions: view to read, edit to rename or duplicate, manage to archive or restore,
delete to delete. A board the caller has no role on is a 404, never a 403.

Nothing here may query permissions by hand or change rows directly.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from assets.presenters import level_url
from canvas.boards import lifecycle as board_services
from canvas.members.api_auth import api_user
from canvas.models import Board, Role
from canvas.permissions import Perm, get_board_for, require, roles_for
from canvas.protocol.types import CleanText
from foundation.api_errors import ErrorOut
from foundation.api_pagination import Page, PageParams, paginate

router = Router(tags=["boards"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class TeamOut(Schema):
    id: uuid.UUID
    name: str


class CoverOut(Schema):
    asset_id: uuid.UUID
    thumbnail_url: str | None


class BoardOut(Schema):
    id: uuid.UUID
    name: str
    team: TeamOut
    role: str = Field(description="The caller's role: owner, editor, reviewer or viewer.")
    created_at: datetime
    last_activity_at: datetime
    archived: bool
    revision: int
    cover: CoverOut | None
    item_count: int = Field(description="Live items on the board.")


class BoardFilters(Schema):
    team: uuid.UUID | None = Field(None, description="Only boards of this team.")
    archived: bool = Field(False, description="true: only archived boards; false: active ones.")
    q: CleanText = Field("", max_length=200, description="Part of the board name (any case).")


class BoardCreate(Schema):
    name: CleanText
    team: uuid.UUID | None = Field(
        None, description="Required when the caller is in more than one team."
    )


class BoardPatch(Schema):
    name: CleanText | None = Field(None, description="New name (needs edit).")
    archived: bool | None = Field(None, description="Archive or restore (needs manage).")


class BoardDuplicate(Schema):
    name: CleanText | None = Field(None, description='Defaults to "<name> (copy)".')


def cover_payload(board: Board) -> dict[str, Any] | None:
    """The board's cover image: its smallest preview, or null while previews are pending."""
    cover = board.cover
    if cover is None:
        return None
    levels = sorted(cover.blob.derivative_levels or [])
    return {
        "asset_id": cover.pk,
        "thumbnail_url": level_url(cover, levels[0]) if levels else None,
    }


def board_payload(board: Board, role: Role, item_count: int | None = None) -> dict[str, Any]:
    """The one JSON shape of a board; ``item_count`` comes from the list annotation if any."""
    if item_count is None:
        item_count = getattr(board, "item_count", None)
    if item_count is None:
        item_count = board_services.item_count(board)
    return {
        "id": board.pk,
        "name": board.name,
        "team": {"id": board.team.pk, "name": board.team.name},
        "role": role.value,
        "created_at": board.created_at,
        "last_activity_at": board.last_activity_at,
        "archived": board.is_archived,
        "revision": board.revision,
        "cover": cover_payload(board),
        "item_count": item_count,
    }


def board_payloads(user: Any, boards: list[Board]) -> list[dict[str, Any]]:
    roles = roles_for(user, boards)
    # Every listed board is visible, so it has a role; skip defensively rather than crash.
    return [board_payload(b, roles[b.pk]) for b in boards if b.pk in roles]


@router.get("/boards", response={200: Page[BoardOut], **ERRORS}, summary="Boards you can see")
def list_boards(
    request: HttpRequest, filters: Query[BoardFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    user = api_user(request)
    boards = board_services.list_boards(
        user, team_id=filters.team, archived=filters.archived, query=filters.q
    )
    return paginate(request, boards, paging, lambda rows: board_payloads(user, rows))


@router.post("/boards", response={201: BoardOut, **ERRORS}, summary="Create a board")
def create_board(request: HttpRequest, payload: BoardCreate) -> Status[dict[str, Any]]:
    """The creator becomes the board's owner."""
    user = api_user(request)
    team = board_services.team_for_new_board(user, payload.team)
    board = board_services.create_board(user, team, payload.name)
    return Status(201, board_payload(board, Role.OWNER, item_count=0))


@router.get("/boards/{board_id}", response={200: BoardOut, **ERRORS}, summary="One board")
def get_board(request: HttpRequest, board_id: str) -> dict[str, Any]:
    board, role = get_board_for(api_user(request), board_id, Perm.VIEW)
    return board_payload(board, role)


@router.patch(
    "/boards/{board_id}", response={200: BoardOut, **ERRORS}, summary="Rename, archive, restore"
)
def update_board(request: HttpRequest, board_id: str, payload: BoardPatch) -> dict[str, Any]:
    """Renaming needs edit; archiving or restoring needs manage. All checks run first, so a
    request that is partly refused changes nothing."""
    user = api_user(request)
    board, role = get_board_for(user, board_id, Perm.VIEW)
    if payload.name is not None:
        require(user, board, Perm.EDIT)
    if payload.archived is not None:
        require(user, board, Perm.MANAGE)
    with transaction.atomic():
        if payload.name is not None:
            board_services.rename_board(board, payload.name)
        if payload.archived is True:
            board_services.archive_board(board)
        elif payload.archived is False:
            board_services.restore_board(board)
    return board_payload(board, role)


@router.delete(
    "/boards/{board_id}", response={204: None, **ERRORS}, summary="Delete a board for good"
)
def delete_board(request: HttpRequest, board_id: str) -> Status[None]:
    board, _ = get_board_for(api_user(request), board_id, Perm.DELETE)
    board_services.delete_board(board)
    return Status(204, None)


@router.post(
    "/boards/{board_id}/duplicate",
    response={201: BoardOut, **ERRORS},
    summary="Copy a board (items and asset library) into a new board you own",
)
def duplicate_board(
    request: HttpRequest, board_id: str, payload: BoardDuplicate | None = None
) -> Status[dict[str, Any]]:
    """Needs edit on the source and membership of its team (the copy goes there)."""
    user = api_user(request)
    board, _ = get_board_for(user, board_id, Perm.EDIT)
    name = payload.name if payload is not None else None
    copy = board_services.duplicate_board_for(board, user, name)
    return Status(201, board_payload(copy, Role.OWNER))
