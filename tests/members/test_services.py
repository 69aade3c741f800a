"""canvas.members.services: adding, changing and removing members, the last-owner rule,
teams, and the personal team."""

from __future__ import annotations

import pytest

from canvas.members import services
from canvas.models import BoardMember, Role, Team, TeamMembership, TeamRole
from canvas.permissions import board_access, role_for
from tests import factories

pytestmark = pytest.mark.django_db


def test_find_user_by_username_or_email_in_any_case(studio):
    assert services.find_user("EVE") == studio.eve
    assert services.find_user("  eve@Example.test ") == studio.eve


def test_find_user_explains_unknown_and_ambiguous_names(studio):
    with pytest.raises(services.UnknownUser, match="invitation link"):
        services.find_user("nobody")
    factories.make_user("eve2").__class__.objects.filter(username="eve2").update(
        email="eve@example.test"
    )
    with pytest.raises(services.UnknownUser, match="by their username"):
        services.find_user("eve@example.test")
    with pytest.raises(services.UnknownUser, match="Type the username"):
        services.find_user("  ")


def test_inactive_accounts_cannot_be_added(studio):
    studio.sam.is_active = False
    studio.sam.save()
    with pytest.raises(services.UnknownUser):
        services.add_board_member(studio.board, "sam", "viewer")


def test_add_board_member_gives_the_role_and_refuses_a_second_time(studio):
    member = services.add_board_member(studio.board, "sam", "reviewer")
    assert member.role == Role.REVIEWER and role_for(studio.sam, studio.board) == Role.REVIEWER
    with pytest.raises(services.AlreadyMember, match="already a member") as exc:
        services.add_board_member(studio.board, "sam@example.test", "editor")
    assert exc.value.status == 409
    assert role_for(studio.sam, studio.board) == Role.REVIEWER


def test_the_last_explicit_owner_can_be_neither_demoted_nor_removed(studio):
    board = studio.board
    with pytest.raises(services.LastOwner, match="last owner") as exc:
        services.change_board_role(board, studio.olga.pk, "editor")
    assert exc.value.code == "last_owner" and exc.value.status == 409
    with pytest.raises(services.LastOwner):
        services.remove_board_member(board, studio.olga.pk)
    assert BoardMember.objects.get(board=board, user=studio.olga).role == Role.OWNER
    # A team admin is an owner of every team board, but not one of the board's own owners:
    # the rule counts explicit owners, so the board never depends on team membership.
    assert role_for(studio.ada, board) == Role.OWNER
    # With a second owner, the first may step down.
    services.change_board_role(board, studio.eve.pk, "owner")
    services.change_board_role(board, studio.olga.pk, "viewer")
    assert role_for(studio.olga, board) == Role.VIEWER
    with pytest.raises(services.LastOwner):
        services.remove_board_member(board, studio.eve.pk)


def test_changing_the_role_of_a_team_admin_gives_them_an_own_role(studio):
    """Explicit roles win over team roles (canvas.permissions), so this can lower an admin."""
    assert board_access(studio.board, [studio.ada.pk])[studio.ada.pk] == (Role.OWNER, "team_admin")
    services.change_board_role(studio.board, studio.ada.pk, "viewer")
    assert board_access(studio.board, [studio.ada.pk])[studio.ada.pk] == (Role.VIEWER, "board")
    assert role_for(studio.ada, studio.board) == Role.VIEWER


def test_people_with_team_access_only_are_removed_on_the_team(studio):
    with pytest.raises(services.AccessThroughTeam, match="team") as exc:
        services.remove_board_member(studio.board, studio.ada.pk)
    assert exc.value.status == 409
    with pytest.raises(services.MemberNotFound):
        services.remove_board_member(studio.board, studio.sam.pk)
    with pytest.raises(services.MemberNotFound):
        services.change_board_role(studio.board, studio.sam.pk, "viewer")
    with pytest.raises(services.MemberNotFound):
        services.change_board_role(studio.board, 987654, "viewer")


def test_board_people_and_access_match_role_for(studio):
    studio.team.default_board_role = Role.REVIEWER
    studio.team.save()
    people = list(services.board_people(studio.board))
    access = board_access(studio.board, [u.pk for u in people])
    assert {u.username for u in people} == {"ada", "tom", "olga", "eve", "vic"}
    for user in people:
        assert access[user.pk][0] == role_for(user, studio.board), user.username
    assert access[studio.tom.pk] == (Role.REVIEWER, "team")
    # Without a default role, plain team members have no access and are not listed.
    studio.team.default_board_role = ""
    studio.team.save()
    assert "tom" not in {u.username for u in services.board_people(studio.board)}


def test_team_members_and_the_last_admin(studio):
    team = studio.team
    services.add_team_member(team, "sam", "member")
    assert TeamMembership.objects.get(team=team, user=studio.sam).role == TeamRole.MEMBER
    with pytest.raises(services.AlreadyMember):
        services.add_team_member(team, "sam", "admin")
    with pytest.raises(services.LastAdmin, match="last admin") as exc:
        services.change_team_role(team, studio.ada.pk, "member")
    assert exc.value.status == 409
    with pytest.raises(services.LastAdmin):
        services.remove_team_member(team, studio.ada.pk)
    services.change_team_role(team, studio.sam.pk, "admin")
    services.remove_team_member(team, studio.ada.pk)
    assert not TeamMembership.objects.filter(team=team, user=studio.ada).exists()
    assert role_for(studio.ada, studio.board) is None


def test_leaving_a_team_keeps_explicit_board_roles(studio):
    services.remove_team_member(studio.team, studio.olga.pk)
    assert role_for(studio.olga, studio.board) == Role.OWNER


def test_create_team_makes_the_creator_admin_and_members_editors(studio):
    team = services.create_team(studio.sam, "  New   crew ")
    assert team.name == "New crew" and team.default_board_role == Role.EDITOR
    assert TeamMembership.objects.get(team=team, user=studio.sam).role == TeamRole.ADMIN
    with pytest.raises(services.InvalidTeamName):
        services.create_team(studio.sam, "   ")
    with pytest.raises(services.InvalidTeamName, match="120"):
        services.create_team(studio.sam, "x" * 121)


def test_join_board_never_lowers_anyone(studio):
    role, changed = services.join_board(studio.board, studio.olga, "viewer")
    assert (role, changed) == (Role.OWNER, False)
    role, changed = services.join_board(studio.board, studio.vic, "editor")
    assert (role, changed) == (Role.EDITOR, True)
    assert role_for(studio.vic, studio.board) == Role.EDITOR
    role, changed = services.join_board(studio.board, studio.ada, "editor")
    assert (role, changed) == (Role.OWNER, False)  # team admin: already owner
    assert not BoardMember.objects.filter(board=studio.board, user=studio.ada).exists()


def test_join_team_upgrades_to_admin_only(studio):
    _, changed = services.join_team(studio.team, studio.ada, "member")
    assert not changed
    assert TeamMembership.objects.get(team=studio.team, user=studio.ada).role == TeamRole.ADMIN
    _, changed = services.join_team(studio.team, studio.tom, "admin")
    assert changed
    assert TeamMembership.objects.get(team=studio.team, user=studio.tom).role == TeamRole.ADMIN


def test_personal_team(studio):
    team = services.personal_team(studio.sam)
    assert isinstance(team, Team) and team.name == "sam’s studio"
    assert TeamMembership.objects.get(team=team, user=studio.sam).role == TeamRole.ADMIN


def test_default_board_role_of_a_team(studio):
    assert role_for(studio.tom, studio.board) is None
    services.set_default_board_role(studio.team, "reviewer")
    assert role_for(studio.tom, studio.board) == Role.REVIEWER
    services.set_default_board_role(studio.team, "")
    assert role_for(studio.tom, studio.board) is None
    with pytest.raises(services.AppError, match="Pick one"):
        services.set_default_board_role(studio.team, "boss")
