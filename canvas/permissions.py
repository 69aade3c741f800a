"""The one place that decides "may this caller do X on this board".

Every view, API endpoint, file route and websocket message asks here. A caller with no
role on a board is told the board does not exist (404), so ids and content hashes cannot
be probed; a caller whose role is too low is told what they lack (403).

Roles come from, in order: an explicit BoardMember row; being an admin of the board's team
(owner); being a member of the team (the team's ``default_board_role``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from canvas.models import (
    Board,
    BoardMember,
    BrandKit,
    Item,
    Iteration,
    IterationStatus,
    Role,
    Team,
    TeamMembership,
    TeamRole,
)
from canvas.models.review import Tier
from canvas.models.sharing import ShareScope, ShareVisibility
from foundation.errors import BoardNotFound, BrandKitNotFound, Forbidden, TeamNotFound


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


# --- Members and teams (canvas.members) ------------------------------------------------------
#
# Board members: anyone with a role on the board may see who else has one (names and roles;
# e-mail addresses only to those who manage members); managing them (add, change a role,
# remove, invitation links) needs MANAGE: board owners, team admins included. Anyone may
# leave a board they were added to. Teams: every member sees the team and its members;
# only admins manage them. A stranger is told the team does not exist (404), like a board.
# Open sign-up is one switch for the whole site, so it belongs to the site's superusers,
# not to team admins: anyone can become the admin of a team of their own.

MEMBERS_VIEW = Perm.VIEW
MEMBERS_MANAGE = Perm.MANAGE


class TeamPerm(StrEnum):
    VIEW = "view"  # see the team, its boards, its members and its brand kits
    KITS = "kits"  # create, edit (lock and unlock), delete the team's brand kits
    MANAGE = "manage"  # add, change and remove members; invitation links
    WEBHOOKS = "webhooks"  # register webhooks, read their delivery log, resend


TEAM_MIN_ROLE: dict[TeamPerm, TeamRole] = {
    TeamPerm.VIEW: TeamRole.MEMBER,
    TeamPerm.KITS: TeamRole.KIT_MANAGER,
    TeamPerm.MANAGE: TeamRole.ADMIN,
    TeamPerm.WEBHOOKS: TeamRole.ADMIN,
}
TEAM_PERM_LABEL: dict[TeamPerm, str] = {
    TeamPerm.VIEW: "see this team",
    TeamPerm.KITS: "change its brand kits",
    TeamPerm.MANAGE: "manage its members",
    TeamPerm.WEBHOOKS: "manage its webhooks",
}
# A kit manager is a member with one more right (brand kits); on boards both get the
# team's default board role. Admins may do everything.
_TEAM_NEED = {TeamPerm.KITS: "a kit manager or an admin"}
_TEAM_RANK = {TeamRole.ADMIN: 3, TeamRole.KIT_MANAGER: 2, TeamRole.MEMBER: 1}


def team_role_for(user: User, team_id: uuid.UUID) -> TeamRole | None:
    user_id: Any = getattr(user, "pk", None)
    if not getattr(user, "is_authenticated", False) or user_id is None:
        return None
    role = (
        TeamMembership.objects.filter(team_id=team_id, user_id=user_id)
        .values_list("role", flat=True)
        .first()
    )
    return TeamRole(role) if role else None


def team_role_allows(role: TeamRole | None, perm: TeamPerm) -> bool:
    return role is not None and _TEAM_RANK[role] >= _TEAM_RANK[TEAM_MIN_ROLE[perm]]


def get_team_for(user: User, team_id: object, perm: TeamPerm) -> tuple[Team, TeamRole]:
    """Load a team by id and check ``perm``: no membership is a 404, too low a role a 403."""
    try:
        key = team_id if isinstance(team_id, uuid.UUID) else uuid.UUID(str(team_id))
        team = Team.objects.get(pk=key)
    except (ValueError, Team.DoesNotExist):
        raise TeamNotFound() from None
    role = team_role_for(user, team.pk)
    if role is None:
        raise TeamNotFound()
    if not team_role_allows(role, perm):
        raise Forbidden(
            f"Your role in the team “{team.name}” is {role.label.lower()}; you need to be "
            f"{_TEAM_NEED.get(perm, TEAM_MIN_ROLE[perm].label.lower())} to {TEAM_PERM_LABEL[perm]}."
        )
    return team, role


def get_kit_for(user: User, kit_id: object, perm: TeamPerm) -> tuple[BrandKit, TeamRole]:
    """A live brand kit whose team allows ``perm``: every team member sees the team's kits,
    kit managers and admins change them; a stranger is told the kit does not exist."""
    try:
        key = kit_id if isinstance(kit_id, uuid.UUID) else uuid.UUID(str(kit_id))
        kit = BrandKit.objects.select_related("team").get(pk=key, deleted_at__isnull=True)
    except (ValueError, BrandKit.DoesNotExist):
        raise BrandKitNotFound() from None
    try:
        _, role = get_team_for(user, kit.team_id, perm)
    except TeamNotFound:
        raise BrandKitNotFound() from None
    return kit, role


def may_choose_board_kit(user: User, board: Board) -> bool:
    """Attaching, changing or removing a board's brand kit changes what its jobs may do, so
    editors may not: the board's owners (team admins included) and the team's kit managers
    who can see the board may."""
    role = role_for(user, board)
    if role is None:
        return False
    if role_allows(role, Perm.MANAGE):
        return True
    return team_role_allows(team_role_for(user, board.team_id), TeamPerm.KITS)


def may_leave_board(user: User, member_user_id: object) -> bool:
    """Removing your own explicit membership (leaving) needs no MANAGE."""
    return bool(getattr(user, "is_authenticated", False)) and str(user.pk) == str(member_user_id)


def may_see_member_emails(role: Role | TeamRole | None) -> bool:
    if isinstance(role, TeamRole):
        return team_role_allows(role, TeamPerm.MANAGE)
    return role_allows(role, MEMBERS_MANAGE)


def may_change_signup(user: User) -> bool:
    """Open sign-up is site-wide: only the site's superusers switch it."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_superuser", False))


def board_access(board: Board, user_ids: list[Any]) -> dict[Any, tuple[Role, str]]:
    """Each user's effective role on ``board`` and where it comes from, in two queries.

    ``via`` is "board" (an explicit membership), "team_admin" or "team" (the team's default
    board role). Same rules, same order as ``role_for``; users with no role are left out.
    """
    explicit = dict(
        BoardMember.objects.filter(board=board, user_id__in=user_ids).values_list("user_id", "role")
    )
    team_roles = dict(
        TeamMembership.objects.filter(team_id=board.team_id, user_id__in=user_ids).values_list(
            "user_id", "role"
        )
    )
    access: dict[Any, tuple[Role, str]] = {}
    for user_id in user_ids:
        team_role = team_roles.get(user_id)
        if user_id in explicit:
            access[user_id] = (Role(explicit[user_id]), "board")
        elif team_role == TeamRole.ADMIN:
            access[user_id] = (Role.OWNER, "team_admin")
        elif team_role is not None and board.team.default_board_role:
            access[user_id] = (Role(board.team.default_board_role), "team")
    return access


def board_roles(board_id: uuid.UUID | str, user_ids: Any) -> tuple[Board | None, dict[Any, Role]]:
    """The board (None if it is gone) and each user's effective role on it, in three queries
    however many users: the sockets of a board re-check together after an access change.
    Same rules as ``role_for``; users with no role are left out."""
    board = Board.objects.select_related("team").filter(pk=board_id).first()
    if board is None:
        return None, {}
    access = board_access(board, list(user_ids))
    return board, {user_id: role for user_id, (role, _via) in access.items()}


def people_with_access(board: Board) -> Q:
    """A filter on users: everyone with some role on ``board`` (see ``board_access``)."""
    team = Q(team_id=board.team_id)
    if not board.team.default_board_role:
        team &= Q(role=TeamRole.ADMIN)
    return Q(pk__in=BoardMember.objects.filter(board=board).values("user_id")) | Q(
        pk__in=TeamMembership.objects.filter(team).values("user_id")
    )


# --- Share links -------------------------------------------------------------------------
#
# A caller is a ``Principal``: a signed-in user, or a share link (a guest holding its token).
# A link never has a role: it has a fixed list of permissions and a window onto the board
# (scope + visibility). Everything a guest reaches asks ``require_link`` and the
# ``link_*`` visibility functions below, so what a link allows is decided here too.
# Validity (token, expiry, revocation, password) is checked before, in canvas.sharing.auth.

LINK_PERM_FOR: dict[Perm, str] = {
    Perm.VIEW: "view",
    Perm.COMMENT: "comment",
    Perm.REVIEW: "approve",
}
DOWNLOAD = "download"


@dataclass(frozen=True)
class Principal:
    """Who is asking: exactly one of ``user`` (signed in) or ``link`` (a guest)."""

    user: Any = None
    link: Any = None
    guest_name: str = ""
    guest_email: str = ""

    @property
    def is_guest(self) -> bool:
        return self.link is not None


def link_allows(link: Any, perm: Perm | str) -> bool:
    """Whether a share link grants ``perm`` (a Perm, or "download"). Edit/manage: never."""
    name = perm if perm == DOWNLOAD else LINK_PERM_FOR.get(Perm(perm))
    if name is None:
        return False
    return name == "view" or name in (link.permissions or [])


def require_link(link: Any, perm: Perm | str) -> None:
    if not link_allows(link, perm):
        what = {
            "comment": "comment",
            "approve": "approve or reject",
            "review": "approve or reject",
            DOWNLOAD: "download files",
        }.get(str(perm), "do that")
        raise Forbidden(
            f"This share link does not allow you to {what}. Ask the person who sent it "
            "for a link that does."
        )


def _intersects(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def _frame_box(link: Any) -> dict[str, float] | None:
    frame = link.frame
    if frame is None or frame.deleted or frame.board_id != link.board_id:
        return None
    return {"x": frame.x, "y": frame.y, "width": frame.width, "height": frame.height}


def _region_box(region: Any) -> dict[str, float] | None:
    try:
        return {k: float(region[k]) for k in ("x", "y", "width", "height")}
    except (KeyError, TypeError, ValueError):
        return None


def link_iterations(link: Any) -> list[Any]:
    """The candidates a link shows: its scope, minus discarded, minus non-final if final-only."""
    qs = (
        Iteration.objects.filter(board_id=link.board_id)
        .exclude(status=IterationStatus.DISCARDED)
        .select_related("asset__blob", "decision")
    )
    if link.visibility != ShareVisibility.ALL_CANDIDATES:
        qs = qs.filter(decision__tier=Tier.FINAL)
    if link.scope == ShareScope.SELECTION:
        return list(qs.filter(pk__in=[str(i) for i in link.iteration_ids or []]))
    if link.scope == ShareScope.FRAME:
        box = _frame_box(link)
        if box is None:
            return []
        return [it for it in qs if (r := _region_box(it.region)) and _intersects(r, box)]
    return list(qs)


def link_items(link: Any) -> list[Any]:
    """The board items a link shows (selection links show candidates only, no items).

    What the team applied to the board is part of the board, so a final-only link shows
    applied results too (the client sees the board as it is, not the original under it);
    "final only" limits the *candidates* offered beside the board. Copies of discarded
    results are left out (discarding removes them from the board anyway).
    """
    if link.scope == ShareScope.SELECTION:
        return []
    discarded = set(
        Iteration.objects.filter(
            board_id=link.board_id, applied_item__isnull=False, status=IterationStatus.DISCARDED
        ).values_list("applied_item_id", flat=True)
    )
    items = [
        item
        for item in Item.objects.filter(board_id=link.board_id, deleted=False, hidden=False)
        .select_related("asset__blob")
        .order_by("z", "id")
        if item.pk not in discarded
    ]
    if link.scope == ShareScope.FRAME:
        box = _frame_box(link)
        if box is None:
            return []
        items = [
            item
            for item in items
            if _intersects(
                {"x": item.x, "y": item.y, "width": item.width, "height": item.height}, box
            )
        ]
    return items


def link_asset_ids(link: Any) -> set[uuid.UUID]:
    """Every asset a link's guest may fetch. Sources (before images) only with all candidates."""
    ids = {item.asset_id for item in link_items(link) if item.asset_id}
    for it in link_iterations(link):
        ids.add(it.asset_id)
        if link.visibility == ShareVisibility.ALL_CANDIDATES and it.source_asset_id:
            ids.add(it.source_asset_id)
    return ids


def clip_mp4_id(video: Any) -> uuid.UUID | None:
    """The browser MP4's asset id in a video item's ``props.video`` or a result's
    ``provenance.video`` (docs/video.md), or None for a still."""
    mp4 = (video or {}).get("mp4") if isinstance(video, dict) else None
    try:
        return uuid.UUID(str(mp4["asset"])) if isinstance(mp4, dict) and mp4.get("asset") else None
    except ValueError:
        return None


def link_clip_ids(link: Any) -> set[uuid.UUID]:
    """The clips (browser MP4 assets) a link's guest may play: those of the video items and
    the video results the link shows, never a provider's original."""
    ids = {clip_mp4_id((item.props or {}).get("video")) for item in link_items(link)}
    ids |= {clip_mp4_id((it.provenance or {}).get("video")) for it in link_iterations(link)}
    ids.discard(None)
    return ids  # type: ignore[return-value]


def link_shows_item(link: Any, item_id: Any) -> bool:
    """Whether the link shows this board item (a guest pins a clip's moment only on one)."""
    return any(str(item.pk) == str(item_id) for item in link_items(link))


def link_shows_iteration(link: Any, iteration_id: Any) -> bool:
    return any(str(it.pk) == str(iteration_id) for it in link_iterations(link))
