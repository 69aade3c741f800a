"""Members, teams and invitation links in the JSON API.

- ``/boards/{id}/members``: anyone with a role on the board lists who has one (e-mail
  addresses only for those who may manage members); owners (team admins included) add,
  change and remove; anyone may remove themselves (leave).
- ``/teams``: your teams; ``POST`` starts a team with you as its admin.
- ``/teams/{id}/members``: team members list; admins manage; anyone may leave.
- ``/boards/{id}/invitations`` and ``/teams/{id}/invitations``: invitation links (managers
  only). A new link's ``token``/``url`` is in the creation answer and nowhere else.

Each endpoint parses, checks the caller through canvas.permissions, calls one function of
canvas.members.services or .invitations and shapes the reply. Auth, errors and pages are
those of the rest of /api/v1/ (docs/api.md); the rules are in docs/members.md.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from canvas.members import invitations, services
from canvas.members.api_auth import api_user
from canvas.members.models import Invitation
from canvas.models import Board, Role, Team, TeamMembership, TeamRole
from canvas.permissions import (
    MEMBERS_MANAGE,
    MEMBERS_VIEW,
    TeamPerm,
    board_access,
    get_board_for,
    get_team_for,
    may_leave_board,
    may_see_member_emails,
)
from canvas.protocol.types import CleanText
from foundation.api_errors import ErrorOut
from foundation.api_pagination import Page, PageParams, paginate

router = Router(tags=["members"])

ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
BoardRole = Literal["owner", "editor", "reviewer", "viewer"]
TeamRoleName = Literal["admin", "kit_manager", "member"]


class PersonOut(Schema):
    id: int
    username: str
    name: str = Field(description="Full name, or the username when none is set.")
    email: str | None = Field(description="Only for callers who may manage members.")


class BoardMemberOut(Schema):
    user: PersonOut
    role: BoardRole
    via: Literal["board", "team_admin", "team"] = Field(
        description="board: an explicit membership; team_admin: admins of the board's team are "
        "owners; team: the team's default board role."
    )


class TeamMemberOut(Schema):
    user: PersonOut
    role: TeamRoleName
    joined_at: datetime


class BoardMemberIn(Schema):
    user: CleanText = Field(description="Username or e-mail address of an existing account.")
    role: BoardRole


class BoardRoleIn(Schema):
    role: BoardRole


class TeamMemberIn(Schema):
    user: CleanText = Field(description="Username or e-mail address of an existing account.")
    role: TeamRoleName = "member"


class TeamRoleIn(Schema):
    role: TeamRoleName


class TeamIn(Schema):
    name: CleanText


class TeamOut(Schema):
    id: uuid.UUID
    name: str
    role: TeamRoleName = Field(description="The caller's role in the team.")
    default_board_role: str = Field(
        description="The role members get on team boards they were not added to ('' = none)."
    )
    created_at: datetime


class InvitationIn(Schema):
    role: str = Field(
        description="A board role (owner, editor, reviewer, viewer) or a team "
        "role (admin, member), for board and team invitations respectively."
    )
    email: CleanText = Field("", description="Optional note of whom it is for; pre-fills sign-up.")
    expires_in_days: int | None = Field(None, description="1–30; default 7 (setting).")


class InvitationOut(Schema):
    id: uuid.UUID
    board: uuid.UUID | None
    team: uuid.UUID | None
    role: str
    email: str
    status: Literal["pending", "accepted", "expired", "revoked"]
    created_by: PersonOut | None
    created_at: datetime
    expires_at: datetime
    accepted_by: PersonOut | None
    accepted_at: datetime | None
    revoked_at: datetime | None


class NewInvitationOut(InvitationOut):
    token: str = Field(description="Shown once: only a hash is stored.")
    url: str = Field(description="The link to send: /invite/<token>/ on this server.")


def person(user: Any, show_email: bool) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": services.display_name(user),
        "email": user.email if show_email else None,
    }


def invitation_payload(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.pk,
        "board": invitation.board_id,
        "team": invitation.team_id,
        "role": invitation.role,
        "email": invitation.email,
        "status": invitation.status.value,
        "created_by": person(invitation.created_by, True),
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "accepted_by": person(invitation.accepted_by, True),
        "accepted_at": invitation.accepted_at,
        "revoked_at": invitation.revoked_at,
    }


def _new_invitation(request: HttpRequest, made: invitations.NewInvitation) -> dict[str, Any]:
    url = request.build_absolute_uri(reverse("invitation", args=[made.token]))
    return {**invitation_payload(made.invitation), "token": made.token, "url": url}


def _board_member_payload(board: Board, user: Any, show_email: bool) -> dict[str, Any]:
    role, via = board_access(board, [user.pk])[user.pk]
    return {"user": person(user, show_email), "role": role.value, "via": via}


def _team_member_payload(membership: TeamMembership, show_email: bool) -> dict[str, Any]:
    return {
        "user": person(membership.user, show_email),
        "role": membership.role,
        "joined_at": membership.joined_at,
    }


# --- Board members ----------------------------------------------------------------------------


@router.get(
    "/boards/{board_id}/members",
    response={200: Page[BoardMemberOut], **ERRORS},
    summary="People with a role on a board",
)
def list_board_members(
    request: HttpRequest, board_id: str, paging: Query[PageParams]
) -> dict[str, Any]:
    """Explicit members and people with a role through the board's team, by username."""
    board, role = get_board_for(api_user(request), board_id, MEMBERS_VIEW)
    show = may_see_member_emails(role)

    def present(users: list[Any]) -> list[dict[str, Any]]:
        access = board_access(board, [u.pk for u in users])
        return [
            {"user": person(u, show), "role": access[u.pk][0].value, "via": access[u.pk][1]}
            for u in users
            if u.pk in access
        ]

    return paginate(request, services.board_people(board), paging, present)


@router.post(
    "/boards/{board_id}/members",
    response={201: BoardMemberOut, **ERRORS},
    summary="Add someone with an account to a board",
)
def add_board_member(
    request: HttpRequest, board_id: str, payload: BoardMemberIn
) -> Status[dict[str, Any]]:
    board, _ = get_board_for(api_user(request), board_id, MEMBERS_MANAGE)
    member = services.add_board_member(board, payload.user, payload.role)
    return Status(201, _board_member_payload(board, member.user, True))


@router.patch(
    "/boards/{board_id}/members/{user_id}",
    response={200: BoardMemberOut, **ERRORS},
    summary="Change someone's role on a board",
)
def change_board_member(
    request: HttpRequest, board_id: str, user_id: int, payload: BoardRoleIn
) -> dict[str, Any]:
    """For someone with a role only through the team, this gives them their own role here."""
    board, _ = get_board_for(api_user(request), board_id, MEMBERS_MANAGE)
    member = services.change_board_role(board, user_id, payload.role)
    return _board_member_payload(board, member.user, True)


@router.delete(
    "/boards/{board_id}/members/{user_id}",
    response={204: None, **ERRORS},
    summary="Remove someone from a board (or leave it)",
)
def remove_board_member(request: HttpRequest, board_id: str, user_id: int) -> Status[None]:
    user = api_user(request)
    leaving = may_leave_board(user, user_id)
    board, _ = get_board_for(user, board_id, MEMBERS_VIEW if leaving else MEMBERS_MANAGE)
    services.remove_board_member(board, user_id)
    return Status(204, None)


# --- Teams ------------------------------------------------------------------------------------


def _team_payload(team: Team, role: str) -> dict[str, Any]:
    return {
        "id": team.pk,
        "name": team.name,
        "role": role,
        "default_board_role": team.default_board_role,
        "created_at": team.created_at,
    }


@router.get("/teams", response={200: Page[TeamOut], **ERRORS}, summary="Your teams")
def list_teams(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    memberships = (
        TeamMembership.objects.filter(user=api_user(request))
        .select_related("team")
        .order_by("team__name", "team_id")
    )
    return paginate(
        request, memberships, paging, lambda rows: [_team_payload(m.team, m.role) for m in rows]
    )


@router.post("/teams", response={201: TeamOut, **ERRORS}, summary="Start a team")
def create_team(request: HttpRequest, payload: TeamIn) -> Status[dict[str, Any]]:
    """You become its admin. Its members see its boards as editors unless an admin changes
    the team's default board role (team page) or gives them another role on a board."""
    team = services.create_team(api_user(request), payload.name)
    return Status(201, _team_payload(team, TeamRole.ADMIN))


@router.get(
    "/teams/{team_id}/members",
    response={200: Page[TeamMemberOut], **ERRORS},
    summary="Members of a team",
)
def list_team_members(
    request: HttpRequest, team_id: str, paging: Query[PageParams]
) -> dict[str, Any]:
    team, role = get_team_for(api_user(request), team_id, TeamPerm.VIEW)
    show = may_see_member_emails(role)
    return paginate(
        request,
        services.team_members(team),
        paging,
        lambda rows: [_team_member_payload(m, show) for m in rows],
    )


@router.post(
    "/teams/{team_id}/members",
    response={201: TeamMemberOut, **ERRORS},
    summary="Add someone with an account to a team",
)
def add_team_member(
    request: HttpRequest, team_id: str, payload: TeamMemberIn
) -> Status[dict[str, Any]]:
    team, _ = get_team_for(api_user(request), team_id, TeamPerm.MANAGE)
    membership = services.add_team_member(team, payload.user, payload.role)
    return Status(201, _team_member_payload(membership, True))


@router.patch(
    "/teams/{team_id}/members/{user_id}",
    response={200: TeamMemberOut, **ERRORS},
    summary="Change someone's role in a team",
)
def change_team_member(
    request: HttpRequest, team_id: str, user_id: int, payload: TeamRoleIn
) -> dict[str, Any]:
    team, _ = get_team_for(api_user(request), team_id, TeamPerm.MANAGE)
    return _team_member_payload(services.change_team_role(team, user_id, payload.role), True)


@router.delete(
    "/teams/{team_id}/members/{user_id}",
    response={204: None, **ERRORS},
    summary="Remove someone from a team (or leave it)",
)
def remove_team_member(request: HttpRequest, team_id: str, user_id: int) -> Status[None]:
    user = api_user(request)
    leaving = may_leave_board(user, user_id)
    team, _ = get_team_for(user, team_id, TeamPerm.VIEW if leaving else TeamPerm.MANAGE)
    services.remove_team_member(team, user_id)
    return Status(204, None)


# --- Invitation links -------------------------------------------------------------------------


def _role_of(payload: InvitationIn, allowed: type[Role] | type[TeamRole]) -> str:
    if payload.role not in allowed.values:
        names = ", ".join(allowed.values)
        raise invitations.InvalidInvitation(
            f"“{payload.role}” is not a role here; use one of: {names}."
        )
    return payload.role


@router.get(
    "/boards/{board_id}/invitations",
    response={200: Page[InvitationOut], **ERRORS},
    summary="Invitation links of a board",
)
def list_board_invitations(
    request: HttpRequest, board_id: str, paging: Query[PageParams]
) -> dict[str, Any]:
    board, _ = get_board_for(api_user(request), board_id, MEMBERS_MANAGE)
    return paginate(
        request,
        invitations.invitations_of(board=board),
        paging,
        lambda rows: [invitation_payload(i) for i in rows],
    )


@router.post(
    "/boards/{board_id}/invitations",
    response={201: NewInvitationOut, **ERRORS},
    summary="Make an invitation link to a board",
)
def create_board_invitation(
    request: HttpRequest, board_id: str, payload: InvitationIn
) -> Status[dict[str, Any]]:
    user = api_user(request)
    board, _ = get_board_for(user, board_id, MEMBERS_MANAGE)
    made = invitations.create_board_invitation(
        board, user, _role_of(payload, Role), email=payload.email, days=payload.expires_in_days
    )
    return Status(201, _new_invitation(request, made))


@router.delete(
    "/boards/{board_id}/invitations/{invitation_id}",
    response={204: None, **ERRORS},
    summary="Revoke an invitation link of a board",
)
def revoke_board_invitation(request: HttpRequest, board_id: str, invitation_id: str) -> Status:
    board, _ = get_board_for(api_user(request), board_id, MEMBERS_MANAGE)
    invitations.revoke(invitations.invitation_in(invitation_id, board=board))
    return Status(204, None)


@router.get(
    "/teams/{team_id}/invitations",
    response={200: Page[InvitationOut], **ERRORS},
    summary="Invitation links of a team",
)
def list_team_invitations(
    request: HttpRequest, team_id: str, paging: Query[PageParams]
) -> dict[str, Any]:
    team, _ = get_team_for(api_user(request), team_id, TeamPerm.MANAGE)
    return paginate(
        request,
        invitations.invitations_of(team=team),
        paging,
        lambda rows: [invitation_payload(i) for i in rows],
    )


@router.post(
    "/teams/{team_id}/invitations",
    response={201: NewInvitationOut, **ERRORS},
    summary="Make an invitation link to a team",
)
def create_team_invitation(
    request: HttpRequest, team_id: str, payload: InvitationIn
) -> Status[dict[str, Any]]:
    user = api_user(request)
    team, _ = get_team_for(user, team_id, TeamPerm.MANAGE)
    made = invitations.create_team_invitation(
        team, user, _role_of(payload, TeamRole), email=payload.email, days=payload.expires_in_days
    )
    return Status(201, _new_invitation(request, made))


@router.delete(
    "/teams/{team_id}/invitations/{invitation_id}",
    response={204: None, **ERRORS},
    summary="Revoke an invitation link of a team",
)
def revoke_team_invitation(request: HttpRequest, team_id: str, invitation_id: str) -> Status:
    team, _ = get_team_for(api_user(request), team_id, TeamPerm.MANAGE)
    invitations.revoke(invitations.invitation_in(invitation_id, team=team))
    return Status(204, None)
