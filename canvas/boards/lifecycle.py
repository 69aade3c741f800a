"""Board lifecycle: create, rename, duplicate, archive, restore, delete.

Callers check permissions first (canvas.permissions); these functions assume the caller
may do what it asks and keep the database consistent.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from assets.models import Asset
from canvas.members.services import personal_team
from canvas.models import Board, BoardMember, Item, Role, Team
from canvas.permissions import can_create_board_in, visible_boards
from canvas.sharing import groups
from foundation.errors import AppError, Forbidden, TeamNotFound

MAX_NAME = 200


class InvalidBoardName(AppError):
    code = "invalid_board_name"


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidBoardName("A board needs a name.")
    if len(name) > MAX_NAME:
        raise InvalidBoardName(f"Board names can be at most {MAX_NAME} characters long.")
    return name


def create_board(user, team: Team, name: str) -> Board:
    """Create a board in ``team``; the creator becomes its owner."""
    if not can_create_board_in(user, team.pk):
        raise Forbidden("Only members of this team can create boards in it.")
    with transaction.atomic():
        board = Board.objects.create(team=team, name=clean_name(name), created_by=user)
        BoardMember.objects.create(board=board, user=user, role=Role.OWNER)
    return board


def rename_board(board: Board, name: str) -> Board:
    board.name = clean_name(name)
    board.last_activity_at = timezone.now()
    board.save(update_fields=["name", "last_activity_at"])
    return board


TOUCH_AGAIN_SECONDS = 1.0


def touch(board: Board) -> None:
    """Record activity on a board (shown on the board list, to the minute). The same board
    object touched again within ``TOUCH_AGAIN_SECONDS`` is not written again: a job's source
    and results land on one board one after another, in one transaction."""
    now = timezone.now()
    touched = getattr(board, "_touched_at", None)
    if touched is not None and 0 <= (now - touched).total_seconds() < TOUCH_AGAIN_SECONDS:
        return
    Board.objects.filter(pk=board.pk).update(last_activity_at=now)
    board.last_activity_at = now
    board._touched_at = now  # type: ignore[attr-defined]


def archive_board(board: Board) -> Board:
    """Archive ``board``; its open share-link sockets close as soon as this commits."""
    if board.archived_at is None:
        board.archived_at = timezone.now()
        board.save(update_fields=["archived_at"])
        groups.notify_board_links_after_commit(board.pk)
    return board


def restore_board(board: Board) -> Board:
    if board.archived_at is not None:
        board.archived_at = None
        board.save(update_fields=["archived_at"])
    return board


def delete_board(board: Board) -> None:
    """Delete a board, its items and its asset rows. Blobs stay (other boards may use them)."""
    board_id = board.pk
    with transaction.atomic():
        Item.objects.filter(board=board).delete()
        board.delete()
        groups.notify_board_links_after_commit(board_id)


def duplicate_board(board: Board, user, name: str | None = None) -> Board:
    """Copy a board's live items and asset library into a new board owned by ``user``.

    Files are not copied: new Asset rows point at the same content-addressed blobs.
    """
    with transaction.atomic():
        copy = Board.objects.create(
            team=board.team,
            name=clean_name(name or f"{board.name} (copy)"[:MAX_NAME]),
            created_by=user,
        )
        BoardMember.objects.create(board=copy, user=user, role=Role.OWNER)
        asset_map = {}
        for asset in Asset.objects.filter(board=board).order_by("created_at"):
            asset_map[asset.pk] = Asset.objects.create(
                board=copy,
                blob_id=asset.blob_id,
                filename=asset.filename,
                source=asset.source,
                created_by=asset.created_by,
            )
        for item in Item.objects.filter(board=board, deleted=False).order_by("z"):
            item.id = uuid.uuid4()
            item._state.adding = True
            item.board = copy
            item.revision = 0
            if item.asset_id is not None:
                item.asset = asset_map.get(item.asset_id)
            item.save(force_insert=True)
        if board.cover_id in asset_map:
            copy.cover = asset_map[board.cover_id]
            copy.save(update_fields=["cover"])
    return copy


# --- Queries and checks used by the JSON API ------------------------------------------------


class TeamRequired(AppError):
    code = "team_required"


def team_for_new_board(user, team_id: uuid.UUID | None) -> Team:
    """The team a new board goes into: the one named, the caller's only team, or — for
    someone in no team at all — a new personal team, as the board list page does."""
    teams = (
        Team.objects.filter(memberships__user=user).distinct().order_by("name", "created_at", "pk")
    )
    if team_id is not None:
        team = teams.filter(pk=team_id).first()
        if team is None:
            raise TeamNotFound()
        return team
    mine = list(teams[:6])
    if len(mine) == 1:
        return mine[0]
    if not mine:
        return personal_team(user)
    names = ", ".join(f"“{t.name}” ({t.pk})" for t in mine[:5])
    raise TeamRequired(f"You are in several teams; say which one with “team”: {names}.")


def with_item_counts(boards: QuerySet[Board]) -> QuerySet[Board]:
    """Annotate ``item_count``: live (not deleted) items on each board.

    A subquery, not a join + COUNT: the permission filters already join memberships, and a
    join would multiply the count.
    """
    live_items = (
        Item.objects.filter(board=OuterRef("pk"), deleted=False)
        .order_by()
        .values("board")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return boards.annotate(item_count=Coalesce(Subquery(live_items), 0))


def list_boards(
    user,
    *,
    team_id: uuid.UUID | None = None,
    archived: bool = False,
    query: str = "",
) -> QuerySet[Board]:
    """Boards the caller can see, newest activity first, filtered as the board list asks."""
    boards = Board.objects.filter(pk__in=visible_boards(user).values("pk"))
    boards = boards.filter(archived_at__isnull=not archived)
    if team_id is not None:
        boards = boards.filter(team_id=team_id)
    if query.strip():
        boards = boards.filter(name__icontains=query.strip())
    boards = boards.select_related("team", "cover", "cover__blob")
    return with_item_counts(boards).order_by("-last_activity_at", "-created_at", "pk")


def item_count(board: Board) -> int:
    return Item.objects.filter(board=board, deleted=False).count()


def duplicate_board_for(board: Board, user, name: str | None = None) -> Board:
    """Duplicate into the board's team, which only that team's members may add boards to."""
    if not can_create_board_in(user, board.team_id):
        raise Forbidden(
            f"Only members of the team “{board.team.name}” can add boards to it, so you "
            "cannot duplicate this board."
        )
    return duplicate_board(board, user, name)
