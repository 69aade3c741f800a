"""The one place that decides "may this caller do X on this board".

Every view, API endpoint, file route and websocket message asks here. A caller with no
role on a board is told the board does not exist (404), so ids and content hashes cannot
be probed; a caller whose role is too low is told what they lack (403).

Roles come from, in order: an explicit BoardMember row; being an admin of the board's team
(owner); being a member of the team (the team's ``default_board_role``).
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from anchorboard.errors import BoardNotFound, Forbidden
from canvas.models import Board, BoardMember, Role, TeamMembership, TeamRole


class Perm(StrEnum):
    VIEW = "view"  # see the board, its items and files
    COMMENT = "comment"  # comment on the board
    REVIEW = "review"  # approve / reject / rate candidates
    EDIT = "edit"  # change items, upload assets, run jobs, rename
    MANAGE = "manage"  # members, share links, archive
    DELETE = "delete"  # delete the board for good


MIN_ROLE: dict[Perm, Role] = {
    Perm.VIEW: Role.VIEWER,
    Perm.COMMENT: Role.REVIEWER,
    Perm.REVIEW: Role.REVIEWER,
    Perm.EDIT: Role.EDITOR,
    Perm.MANAGE: Role.OWNER,
    Perm.DELETE: Role.OWNER,
}

PERM_LABEL: dict[Perm, str] = {
    Perm.VIEW: "view this board",
    Perm.COMMENT: "comment on this board",
    Perm.REVIEW: "review this board",
    Perm.EDIT: "edit this board",
    Perm.MANAGE: "manage this board",
    Perm.DELETE: "delete this board",
}

User = AbstractBaseUser | AnonymousUser


def role_for(user: User, board: Board) -> Role | None:
    """The caller's effective role on ``board``, or None if they may not see it at all."""
    if not getattr(user, "is_authenticated", False):
        return None
    explicit = (
        BoardMember.objects.filter(board=board, user=user).values_list("role", flat=True).first()
    )
    if explicit:
        return Role(explicit)
    team_role = (
        TeamMembership.objects.filter(team_id=board.team_id, user=user)
        .values_list("role", flat=True)
        .first()
    )
    if team_role == TeamRole.ADMIN:
        return Role.OWNER
    if team_role is not None:
        default = board.team.default_board_role
        return Role(default) if default else None
    return None


def roles_for(user: User, boards: list[Board]) -> dict[uuid.UUID, Role]:
    """``role_for`` for a page of boards in two queries; boards with no role are left out.

    Same rules, same order as ``role_for`` (tests compare the two); boards need ``team``.
    """
    if not getattr(user, "is_authenticated", False) or not boards:
        return {}
    explicit = dict(
        BoardMember.objects.filter(user=user, board__in=[b.pk for b in boards]).values_list(
            "board_id", "role"
        )
    )
    team_roles = dict(
        TeamMembership.objects.filter(
            user=user, team_id__in={b.team_id for b in boards}
        ).values_list("team_id", "role")
    )
    roles: dict[uuid.UUID, Role] = {}
    for board in boards:
        team_role = team_roles.get(board.team_id)
        if board.pk in explicit:
            roles[board.pk] = Role(explicit[board.pk])
        elif team_role == TeamRole.ADMIN:
            roles[board.pk] = Role.OWNER
        elif team_role is not None and board.team.default_board_role:
            roles[board.pk] = Role(board.team.default_board_role)
    return roles


def role_allows(role: Role | None, perm: Perm) -> bool:
    return role is not None and role.rank >= MIN_ROLE[perm].rank


def can(user: User, board: Board, perm: Perm) -> bool:
    return role_allows(role_for(user, board), perm)


def require(user: User, board: Board, perm: Perm) -> Role:
    """Return the caller's role, or raise BoardNotFound (no role) / Forbidden (too low)."""
    role = role_for(user, board)
    if role is None:
        raise BoardNotFound()
    if not role_allows(role, perm):
        raise Forbidden(
            f"Your role on “{board.name}” is {role.label.lower()}; "
            f"you need to be at least {MIN_ROLE[perm].label.lower()} to {PERM_LABEL[perm]}."
        )
    return role


def get_board_for(user: User, board_id: object, perm: Perm) -> tuple[Board, Role]:
    """Load a board by id and check ``perm``; unknown ids and invisible boards look the same."""
    try:
        key = board_id if isinstance(board_id, uuid.UUID) else uuid.UUID(str(board_id))
        board = Board.objects.select_related("team").get(pk=key)
    except (ValueError, Board.DoesNotExist):
        raise BoardNotFound() from None
    return board, require(user, board, perm)


def visible_boards(user: User) -> QuerySet[Board]:
    """Every board the caller has some role on (archived ones included)."""
    if not getattr(user, "is_authenticated", False):
        return Board.objects.none()
    explicit = Q(memberships__user=user)
    team_admin = Q(team__memberships__user=user, team__memberships__role=TeamRole.ADMIN)
    team_default = Q(team__memberships__user=user) & ~Q(team__default_board_role="")
    return Board.objects.filter(explicit | team_admin | team_default).distinct()


def can_create_board_in(user: User, team_id: object) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return TeamMembership.objects.filter(team_id=team_id, user=user).exists()
