"""What the board list shows for one board: cover, role and the actions the role allows.

Pure presentation: the role comes from canvas.permissions and the allowed actions from
``role_allows``, so the list never offers a button the action view would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.timesince import timesince

from assets.presenters import level_url_template
from canvas.models import Board, Role
from canvas.permissions import Perm, role_allows, roles_for

THUMBNAIL_SIZE = 256


def cover_url(board: Board) -> str | None:
    """URL of the cover's 256 px derivative, or None when the board has no cover."""
    asset = board.cover
    if asset is None:
        return None
    return level_url_template(asset).replace("{level}", str(THUMBNAIL_SIZE))


def activity_label(when: datetime, now: datetime | None = None) -> str:
    """ "just now", "3 minutes ago", "2 days ago": one unit, like a file browser."""
    now = now or timezone.now()
    if (now - when).total_seconds() < 60:
        return "just now"
    return f"{timesince(when, now, depth=1)} ago"


@dataclass(frozen=True)
class BoardCard:
    board: Board
    role: Role
    cover_url: str | None
    last_activity: str
    can_open: bool
    can_rename: bool
    can_duplicate: bool
    can_archive: bool
    can_delete: bool


def board_card(board: Board, role: Role) -> BoardCard:
    return BoardCard(
        board=board,
        role=role,
        cover_url=cover_url(board),
        last_activity=activity_label(board.last_activity_at),
        can_open=role_allows(role, Perm.VIEW),
        can_rename=role_allows(role, Perm.EDIT),
        can_duplicate=role_allows(role, Perm.EDIT),
        can_archive=role_allows(role, Perm.MANAGE),
        can_delete=role_allows(role, Perm.DELETE),
    )


def board_cards(user, boards: list[Board]) -> list[BoardCard]:
    """Cards for the boards ``user`` has a role on, in the given order (roles in bulk)."""
    roles = roles_for(user, boards)
    return [board_card(board, roles[board.pk]) for board in boards if board.pk in roles]
