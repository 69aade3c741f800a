"""Board and team membership: add, change a role, remove, under the last-owner rule.

Callers (canvas.members.api, canvas.members.views, invitations) have checked the caller's
right to do this with canvas.permissions; these functions keep the data consistent:

- a board always keeps at least one *explicit* owner (a BoardMember row with role owner),
  so it never depends on who happens to be a team admin; a team always keeps an admin;
- every change to one board's (one team's) members runs with that board's (team's) row
  locked, so two owners demoting each other at the same moment cannot both succeed;
- sockets of people who lose access close at once: the model signals of canvas.realtime
  fire on every BoardMember/TeamMembership save and delete, after commit.

People are named by username or e-mail address (any case). Errors are AppErrors with a
sentence the person who typed the name can act on.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from canvas.models import Board, BoardMember, Role, Team, TeamMembership, TeamRole
from canvas.permissions import people_with_access, role_for
from foundation.errors import AppError, Conflict, NotFound

logger = logging.getLogger(__name__)

MAX_TEAM_NAME = 120


class UnknownUser(AppError):
    code = "unknown_user"


class AlreadyMember(Conflict):
    code = "already_member"


class LastOwner(Conflict):
    code = "last_owner"


class LastAdmin(Conflict):
    code = "last_admin"


class MemberNotFound(NotFound):
    code = "member_not_found"
    default_message = "This person is not a member here (they may have been removed already)."


class AccessThroughTeam(Conflict):
    code = "access_through_team"


class InvalidTeamName(AppError):
    code = "invalid_team_name"


def display_name(user: Any) -> str:
    """A person's name as others see it: full name, else username ("Deleted user": none)."""
    if user is None:
        return "Deleted user"
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or user.get_username()


# --- Finding people ---------------------------------------------------------------------------


def find_user(name_or_email: str) -> Any:
    """The active account whose username or e-mail is ``name_or_email`` (any case)."""
    text = (name_or_email or "").strip()
    if not text:
        raise UnknownUser("Type the username or e-mail address of the person to add.")
    User = get_user_model()
    active = User.objects.filter(is_active=True)
    by_name = active.filter(username__iexact=text).first()
    if by_name is not None:
        return by_name
    if "@" in text:
        matches = list(active.filter(email__iexact=text)[:2])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise UnknownUser(
                f"Several accounts use the e-mail address “{text}”; add the person by their "
                "username instead."
            )
    raise UnknownUser(
        f"No account has the username or e-mail address “{text}”. Check the spelling, or "
        "create an invitation link for someone who has no account yet."
    )


def user_by_id(user_id: Any) -> Any:
    try:
        return get_user_model().objects.get(pk=int(user_id))
    except (TypeError, ValueError, get_user_model().DoesNotExist):
        raise MemberNotFound() from None


# --- Teams ------------------------------------------------------------------------------------


def clean_team_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidTeamName("A team needs a name.")
    if len(name) > MAX_TEAM_NAME:
        raise InvalidTeamName(f"Team names can be at most {MAX_TEAM_NAME} characters long.")
    return name


def create_team(user: Any, name: str) -> Team:
    """A new team; its creator is its first admin. Members see the team's boards as editors
    (the model's default) until an admin changes that on the team page."""
    with transaction.atomic():
        team = Team.objects.create(name=clean_team_name(name))
        TeamMembership.objects.create(team=team, user=user, role=TeamRole.ADMIN)
    logger.info("team %s created by user %s", team.pk, user.pk)
    return team


def set_default_board_role(team: Team, role: str) -> Team:
    """The role team members get on team boards they were not added to ("" = none). Open
    sockets re-check at once (canvas.realtime, on Team save)."""
    if role not in ("", Role.EDITOR, Role.REVIEWER, Role.VIEWER):
        raise AppError(
            "Pick one of the roles in the list (editor, reviewer, viewer or none); to make "
            "someone an owner of every team board, make them a team admin.",
            code="invalid_role",
        )
    if team.default_board_role != role:
        team.default_board_role = role
        team.save(update_fields=["default_board_role"])
    return team


def personal_team(user: Any) -> Team:
    """The team of someone who belongs to none: made on their first board (page or API)
    and on sign-up. They are its admin; it keeps the old default board role (editor)."""
    with transaction.atomic():
        team = Team.objects.create(name=f"{user.get_username()}’s studio")
        TeamMembership.objects.create(team=team, user=user, role=TeamRole.ADMIN)
    return team


def _lock_team(team: Team) -> None:
    Team.objects.select_for_update().filter(pk=team.pk).exists()


def _admins_left(team: Team, without_user: Any) -> int:
    return (
        TeamMembership.objects.filter(team=team, role=TeamRole.ADMIN)
        .exclude(user=without_user)
        .count()
    )


def add_team_member(team: Team, name_or_email: str, role: str) -> TeamMembership:
    user = find_user(name_or_email)
    role = TeamRole(role)
    with transaction.atomic():
        _lock_team(team)
        existing = TeamMembership.objects.filter(team=team, user=user).first()
        if existing is not None:
            raise AlreadyMember(
                f"{display_name(user)} is already in the team “{team.name}” "
                f"({TeamRole(existing.role).label.lower()}); change their role in the list instead."
            )
        membership = TeamMembership.objects.create(team=team, user=user, role=role)
    return membership


def join_team(team: Team, user: Any, role: str) -> tuple[TeamMembership, bool]:
    """Make ``user`` a team member with at least ``role`` (invitations): never lowers a role.
    Returns the membership and whether anything changed."""
    role = TeamRole(role)
    with transaction.atomic():
        _lock_team(team)
        existing = TeamMembership.objects.filter(team=team, user=user).first()
        if existing is None:
            return TeamMembership.objects.create(team=team, user=user, role=role), True
        if role == TeamRole.ADMIN and existing.role != TeamRole.ADMIN:
            existing.role = role
            existing.save(update_fields=["role"])
            return existing, True
        return existing, False


def change_team_role(team: Team, user_id: Any, role: str) -> TeamMembership:
    role = TeamRole(role)
    with transaction.atomic():
        _lock_team(team)
        membership = (
            TeamMembership.objects.select_related("user").filter(team=team, user_id=user_id).first()
        )
        if membership is None:
            raise MemberNotFound()
        if membership.role == role:
            return membership
        if role != TeamRole.ADMIN and _admins_left(team, membership.user) == 0:
            raise LastAdmin(
                f"{display_name(membership.user)} is the last admin of “{team.name}”. Make "
                "someone else an admin first: a team always needs one."
            )
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def remove_team_member(team: Team, user_id: Any) -> Any:
    """Remove someone from a team. Boards they were added to explicitly stay theirs."""
    with transaction.atomic():
        _lock_team(team)
        membership = (
            TeamMembership.objects.select_related("user").filter(team=team, user_id=user_id).first()
        )
        if membership is None:
            raise MemberNotFound()
        if membership.role == TeamRole.ADMIN and _admins_left(team, membership.user) == 0:
            raise LastAdmin(
                f"{display_name(membership.user)} is the last admin of “{team.name}”, so they "
                "cannot leave or be removed. Make someone else an admin first."
            )
        membership.delete()
    return membership.user


def team_members(team: Team) -> Any:
    return (
        TeamMembership.objects.filter(team=team)
        .select_related("user")
        .order_by("user__username", "pk")
    )


# --- Boards -----------------------------------------------------------------------------------


def _lock_board(board: Board) -> None:
    Board.objects.select_for_update().filter(pk=board.pk).exists()


def _owners_left(board: Board, without_user: Any) -> int:
    return (
        BoardMember.objects.filter(board=board, role=Role.OWNER).exclude(user=without_user).count()
    )


def _last_owner(board: Board, user: Any, doing: str) -> LastOwner:
    return LastOwner(
        f"{display_name(user)} is the last owner of “{board.name}”, so they cannot {doing}. "
        "Make someone else an owner first: a board always needs one."
    )


def add_board_member(board: Board, name_or_email: str, role: str) -> BoardMember:
    """Give someone an explicit role on a board. A team member with a role through the team
    may be added: the explicit role then replaces the team one on this board."""
    user = find_user(name_or_email)
    role = Role(role)
    with transaction.atomic():
        _lock_board(board)
        existing = BoardMember.objects.filter(board=board, user=user).first()
        if existing is not None:
            raise AlreadyMember(
                f"{display_name(user)} is already a member of “{board.name}” "
                f"({Role(existing.role).label.lower()}); change their role in the list instead."
            )
        member = BoardMember.objects.create(board=board, user=user, role=role)
    return member


def join_board(board: Board, user: Any, role: str) -> tuple[Role, bool]:
    """Give ``user`` at least ``role`` on ``board`` (invitations): never lowers anyone.
    Returns their role afterwards and whether anything changed."""
    role = Role(role)
    with transaction.atomic():
        _lock_board(board)
        current = role_for(user, board)
        if current is not None and current.rank >= role.rank:
            return current, False
        BoardMember.objects.update_or_create(board=board, user=user, defaults={"role": role})
    return role, True


def change_board_role(board: Board, user_id: Any, role: str) -> BoardMember:
    """Set someone's explicit role. For a person who has a role only through the team, this
    adds an explicit one (which then wins on this board)."""
    role = Role(role)
    user = user_by_id(user_id)
    with transaction.atomic():
        _lock_board(board)
        member = BoardMember.objects.filter(board=board, user=user).first()
        if member is None:
            if role_for(user, board) is None:
                raise MemberNotFound()
            return BoardMember.objects.create(board=board, user=user, role=role)
        if member.role == role:
            return member
        if member.role == Role.OWNER and _owners_left(board, user) == 0:
            raise _last_owner(board, user, f"become {role.label.lower()}")
        member.role = role
        member.save(update_fields=["role"])
    return member


def remove_board_member(board: Board, user_id: Any) -> Any:
    """Remove someone's explicit role. People whose only role comes from the team are
    managed on the team (a 409 says so)."""
    user = user_by_id(user_id)
    with transaction.atomic():
        _lock_board(board)
        member = BoardMember.objects.filter(board=board, user=user).first()
        if member is None:
            if role_for(user, board) is not None:
                raise AccessThroughTeam(
                    f"{display_name(user)} has access as a member of the team "
                    f"“{board.team.name}”, not as a member of this board. Remove them from "
                    "the team, or give them a lower role here."
                )
            raise MemberNotFound()
        if member.role == Role.OWNER and _owners_left(board, user) == 0:
            raise _last_owner(board, user, "leave or be removed")
        member.delete()
    return user


def board_people(board: Board) -> Any:
    """Everyone with a role on ``board``, by username (rules: canvas.permissions)."""
    return get_user_model().objects.filter(people_with_access(board)).order_by("username", "pk")


def board_members(board: Board) -> dict[str, Any]:
    """Active users with a role on ``board`` (whom a comment may @mention), by lower-cased
    username."""
    return {u.get_username().lower(): u for u in board_people(board).filter(is_active=True)}
