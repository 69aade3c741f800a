"""The members pages: your teams, a team's page, a board's members, and their actions.

Every action is a POST with CSRF that ends in a redirect back to the page with a message,
or — when refused — the page again with the reason and the matching 4xx status, so nothing
refused looks like a success. Who may do what comes from canvas.permissions; the work is
done by canvas.members.services and canvas.members.invitations. A new invitation link is
shown once, in the answer to the POST that made it (only its hash is stored).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from canvas.forms import first_error
from canvas.members import invitations, services, signup
from canvas.members.forms import (
    BOARD_ROLE_CHOICES,
    ROLE_HELP,
    TEAM_ROLE_CHOICES,
    AddMemberForm,
    InviteForm,
    RoleForm,
    SignupPolicyForm,
    TeamDefaultRoleForm,
    TeamForm,
)
from canvas.models import Board, Role, Team, TeamMembership, TeamRole
from canvas.permissions import (
    MEMBERS_MANAGE,
    MEMBERS_VIEW,
    TeamPerm,
    board_access,
    get_board_for,
    get_team_for,
    may_change_signup,
    may_leave_board,
    may_see_member_emails,
    role_allows,
    roles_for,
    team_role_allows,
    visible_boards,
)
from canvas.views.errors import app_error_response
from foundation.errors import AppError, BoardNotFound, TeamNotFound

logger = logging.getLogger(__name__)

INVITATIONS_SHOWN = 50  # newest first; the API lists them all
VIA_LABEL = {"board": "", "team_admin": "team admin", "team": "through the team"}


@dataclass(frozen=True)
class Person:
    """One row of a members list, with what the viewer may do to it."""

    user_id: int
    name: str
    username: str
    email: str
    role: str
    role_label: str
    via: str
    is_you: bool
    can_change: bool
    can_remove: bool
    role_url: str
    remove_url: str


@dataclass
class Scope:
    """What a members page is about: a board or a team, and the caller's power over it."""

    kind: str  # "board" | "team"
    target: Board | Team
    manage: bool
    caller_role_label: str
    show_emails: bool

    @property
    def is_team(self) -> bool:
        return self.kind == "team"

    @property
    def team(self) -> Team:
        assert isinstance(self.target, Team)
        return self.target

    @property
    def board(self) -> Board:
        assert isinstance(self.target, Board)
        return self.target

    @property
    def page_url(self) -> str:
        name = "team-page" if self.is_team else "board-members"
        return reverse(name, args=[self.target.pk])

    def url(self, action: str, *args: Any) -> str:
        return reverse(f"{self.kind}-{action}", args=[self.target.pk, *args])


def board_scope(user: Any, board_id: Any, *, manage: bool) -> Scope:
    board, role = get_board_for(user, board_id, MEMBERS_MANAGE if manage else MEMBERS_VIEW)
    return Scope(
        "board", board, role_allows(role, MEMBERS_MANAGE), role.label, may_see_member_emails(role)
    )


def team_scope(user: Any, team_id: Any, *, manage: bool) -> Scope:
    team, role = get_team_for(user, team_id, TeamPerm.MANAGE if manage else TeamPerm.VIEW)
    return Scope(
        "team",
        team,
        team_role_allows(role, TeamPerm.MANAGE),
        role.label,
        may_see_member_emails(role),
    )


def _person(scope: Scope, viewer: Any, user: Any, role: Role | TeamRole, via: str) -> Person:
    """A row of the list. ``via`` "board" means a membership of this board or team itself,
    the only kind that can be removed (or left) here."""
    is_you = user.pk == viewer.pk
    return Person(
        user_id=user.pk,
        name=services.display_name(user),
        username=user.get_username(),
        email=user.email if scope.show_emails else "",
        role=role.value,
        role_label=str(role.label),
        via=VIA_LABEL[via],
        is_you=is_you,
        can_change=scope.manage,
        can_remove=via == "board" and (scope.manage or may_leave_board(viewer, user.pk)),
        role_url=scope.url("role", user.pk),
        remove_url=scope.url("remove", user.pk),
    )


def board_people(scope: Scope, viewer: Any) -> list[Person]:
    users = list(services.board_people(scope.board))
    access = board_access(scope.board, [u.pk for u in users])
    return [_person(scope, viewer, u, *access[u.pk]) for u in users if u.pk in access]


def team_people(scope: Scope, viewer: Any) -> list[Person]:
    return [
        _person(scope, viewer, m.user, TeamRole(m.role), "board")
        for m in services.team_members(scope.team)
    ]


def _context(request: HttpRequest, scope: Scope, **extra: Any) -> dict[str, Any]:
    team = scope.is_team
    people = team_people(scope, request.user) if team else board_people(scope, request.user)
    context: dict[str, Any] = {
        "scope": scope,
        "people": people,
        "role_choices": [
            (value, label, ROLE_HELP[value])
            for value, label in (TEAM_ROLE_CHOICES if team else BOARD_ROLE_CHOICES)
        ],
        "add_form": extra.pop("add_form", None) or AddMemberForm(team=team),
        "invite_form": extra.pop("invite_form", None) or InviteForm(team=team),
    }
    if scope.manage:
        links = (
            invitations.invitations_of(team=scope.team)
            if team
            else invitations.invitations_of(board=scope.board)
        )
        context["add_url"] = scope.url("add")
        context["invite_url"] = scope.url("invite")
        context["invitations"] = [
            (invitation, scope.url("revoke", invitation.pk))
            for invitation in links[:INVITATIONS_SHOWN]
        ]
    if team:
        context["default_role_form"] = TeamDefaultRoleForm(
            initial={"default_board_role": scope.team.default_board_role}
        )
        boards = list(
            visible_boards(request.user)
            .filter(team_id=scope.target.pk, archived_at__isnull=True)
            .select_related("team")
            .order_by("name", "pk")
        )
        roles = roles_for(request.user, boards)
        context["team_boards"] = [(b, roles.get(b.pk)) for b in boards]
    context.update(extra)
    return context


def _render(request: HttpRequest, scope: Scope, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "members/members.html", _context(request, scope, **extra), status=status)


def _refused(request: HttpRequest, load: Callable[[], Scope], exc: AppError, **extra: Any):
    """The page again with the reason, or the plain error page if even viewing is refused."""
    logger.info("members action %s refused: %s %s", request.path, exc.code, exc.message)
    if isinstance(exc, BoardNotFound | TeamNotFound):
        return app_error_response(request, exc)
    try:
        scope = load()
    except AppError as again:
        return app_error_response(request, again)
    messages.error(request, exc.message)
    return _render(request, scope, status=exc.status, **extra)


def _scope_loader(kind: str, request: HttpRequest, target_id: Any) -> Callable[[], Scope]:
    make = team_scope if kind == "team" else board_scope
    return lambda: make(request.user, target_id, manage=False)


# --- Pages ------------------------------------------------------------------------------------


@login_required
def board_members_page(request: HttpRequest, board_id: Any) -> HttpResponse:
    try:
        scope = board_scope(request.user, board_id, manage=False)
    except AppError as exc:
        return app_error_response(request, exc)
    return _render(request, scope)


@login_required
def team_page(request: HttpRequest, team_id: Any) -> HttpResponse:
    try:
        scope = team_scope(request.user, team_id, manage=False)
    except AppError as exc:
        return app_error_response(request, exc)
    return _render(request, scope)


def _teams_context(request: HttpRequest, form: TeamForm | None = None) -> dict[str, Any]:
    memberships = (
        TeamMembership.objects.filter(user_id=int(request.user.pk or 0))
        .select_related("team")
        .order_by("team__name", "team_id")
    )
    context: dict[str, Any] = {"memberships": memberships, "team_form": form or TeamForm()}
    if may_change_signup(request.user):
        context["signup_policy"] = signup.policy()
    return context


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    """Your teams, and a form to start a new one (POST)."""
    if request.method != "POST":
        return render(request, "members/teams.html", _teams_context(request))
    form = TeamForm(request.POST)
    if form.is_valid():
        try:
            team = services.create_team(request.user, form.cleaned_data["name"])
        except AppError as exc:
            form.add_error("name", exc.message)
        else:
            messages.success(request, f"Created the team “{team.name}”. You are its admin.")
            return redirect("team-page", team_id=team.pk)
    return render(request, "members/teams.html", _teams_context(request, form), status=400)


@login_required
@require_POST
def signup_settings(request: HttpRequest) -> HttpResponse:
    if not may_change_signup(request.user):
        return app_error_response(
            request,
            AppError(
                "Only the site's administrators (superusers) can open or close sign-up.",
                code="forbidden",
                status=403,
            ),
        )
    form = SignupPolicyForm(request.POST)
    form.is_valid()  # a checkbox: absent means off
    opened = bool(form.cleaned_data.get("open"))
    signup.set_open(request.user, opened)
    messages.success(
        request,
        "Open sign-up is on: anyone who can reach this site can create an account on /signup/."
        if opened
        else "Open sign-up is off: people join through invitation links only.",
    )
    return redirect("team-list")


# --- Actions (board and team alike) -----------------------------------------------------------


def _act(
    kind: str,
    request: HttpRequest,
    target_id: Any,
    action: Callable[[Scope], str],
    *,
    manage: bool = True,
    done: str = "",
    **extra: Any,
) -> HttpResponse:
    """Load the scope, run ``action`` (it returns the success message) and redirect to the
    page (or ``done``); a refusal shows the page again with the reason (``extra``: forms)."""
    make = team_scope if kind == "team" else board_scope
    try:
        scope = make(request.user, target_id, manage=manage)
        message = action(scope)
    except AppError as exc:
        return _refused(request, _scope_loader(kind, request, target_id), exc, **extra)
    messages.success(request, message)
    return redirect(done or scope.page_url)


def _add(kind: str, request: HttpRequest, target_id: Any) -> HttpResponse:
    form = AddMemberForm(request.POST, team=kind == "team")

    def add(scope: Scope) -> str:
        if not form.is_valid():
            raise AppError(first_error(form), code="invalid_request")
        who, role = form.cleaned_data["user"], form.cleaned_data["role"]
        if scope.is_team:
            membership = services.add_team_member(scope.team, who, role)
            person, label = membership.user, TeamRole(membership.role).label
        else:
            member = services.add_board_member(scope.board, who, role)
            person, label = member.user, Role(member.role).label
        return f"Added {services.display_name(person)} as {label.lower()}."

    return _act(kind, request, target_id, add, add_form=form)


def _change_role(kind: str, request: HttpRequest, target_id: Any, user_id: int) -> HttpResponse:
    form = RoleForm(request.POST, team=kind == "team")

    def change(scope: Scope) -> str:
        if not form.is_valid():
            raise AppError("Pick one of the roles in the list.", code="invalid_role")
        role = form.cleaned_data["role"]
        if scope.is_team:
            membership = services.change_team_role(scope.team, user_id, role)
            person, label = membership.user, TeamRole(membership.role).label
        else:
            member = services.change_board_role(scope.board, user_id, role)
            person, label = member.user, Role(member.role).label
        return f"{services.display_name(person)} is now {label.lower()}."

    return _act(kind, request, target_id, change)


def _remove(kind: str, request: HttpRequest, target_id: Any, user_id: int) -> HttpResponse:
    """Remove someone (managers), or leave (anyone, for themselves)."""
    leaving = request.user.pk == user_id

    def remove(scope: Scope) -> str:
        if scope.is_team:
            gone = services.remove_team_member(scope.team, user_id)
        else:
            gone = services.remove_board_member(scope.board, user_id)
        if leaving:
            return f"You left “{scope.target.name}”."
        return f"Removed {services.display_name(gone)} from “{scope.target.name}”."

    done = reverse("board-list") if leaving else ""
    return _act(kind, request, target_id, remove, manage=not leaving, done=done)


def _invite(kind: str, request: HttpRequest, target_id: Any) -> HttpResponse:
    form = InviteForm(request.POST, team=kind == "team")
    make = team_scope if kind == "team" else board_scope
    try:
        scope = make(request.user, target_id, manage=True)
        if not form.is_valid():
            return _render(request, scope, status=400, invite_form=form)
        role, days = form.cleaned_data["role"], form.cleaned_data["days"]
        email = form.cleaned_data["email"] or ""
        if scope.is_team:
            made = invitations.create_team_invitation(
                scope.team, request.user, role, email=email, days=days
            )
        else:
            made = invitations.create_board_invitation(
                scope.board, request.user, role, email=email, days=days
            )
    except AppError as exc:
        return _refused(request, _scope_loader(kind, request, target_id), exc, invite_form=form)
    link = request.build_absolute_uri(reverse("invitation", args=[made.token]))
    return _render(request, scope, status=201, new_link=link, new_invitation=made.invitation)


def _revoke(kind: str, request: HttpRequest, target_id: Any, invitation_id: Any) -> HttpResponse:
    def revoke(scope: Scope) -> str:
        if scope.is_team:
            invitation = invitations.invitation_in(invitation_id, team=scope.team)
        else:
            invitation = invitations.invitation_in(invitation_id, board=scope.board)
        invitations.revoke(invitation)
        return "Revoked the invitation link; it no longer works."

    return _act(kind, request, target_id, revoke)


@login_required
@require_POST
def team_default_role(request: HttpRequest, team_id: Any) -> HttpResponse:
    """An admin sets the role team members get on team boards they were not added to."""
    form = TeamDefaultRoleForm(request.POST)

    def change(scope: Scope) -> str:
        if not form.is_valid():
            raise AppError(first_error(form), code="invalid_role")
        team = services.set_default_board_role(scope.team, form.cleaned_data["default_board_role"])
        if not team.default_board_role:
            return "Team members now see only the boards they are added to."
        label = Role(team.default_board_role).label.lower()
        return f"Team members now see every team board as {label} unless given another role."

    return _act("team", request, team_id, change)


def _views(kind: str) -> dict[str, Callable[..., HttpResponse]]:
    """The five actions bound to board or team, as Django views."""

    def wrap(fn: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        def view(request: HttpRequest, target_id: Any, **ids: Any) -> HttpResponse:
            return fn(kind, request, target_id, *ids.values())

        view.__name__ = f"{kind}_{fn.__name__.strip('_')}"
        return login_required(require_POST(view))

    return {
        "add": wrap(_add),
        "role": wrap(_change_role),
        "remove": wrap(_remove),
        "invite": wrap(_invite),
        "revoke": wrap(_revoke),
    }


BOARD_ACTIONS = _views("board")
TEAM_ACTIONS = _views("team")
