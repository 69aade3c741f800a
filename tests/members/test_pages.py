"""The members pages: what each role sees and may do, every failure's message and status,
and the entry points that lead there."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from canvas.members import invitations
from canvas.members.models import Invitation
from canvas.models import Board, Role, TeamMembership, TeamRole
from canvas.permissions import role_for

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def page_url(studio) -> str:
    return reverse("board-members", args=[studio.board.pk])


def action(studio, name: str, *args) -> str:
    return reverse(f"board-{name}", args=[studio.board.pk, *args])


def test_an_owner_sees_everyone_and_every_control(studio, login):
    body = login(studio.olga).get(page_url(studio)).content.decode()
    for name in ("ada", "olga", "eve", "vic"):
        assert f'data-username="{name}"' in body
    assert "eve@example.test" in body
    assert 'for="add-user"' in body and "Create invitation link" in body
    assert body.count("Change role") == 4
    assert "team admin" in body  # ada's row says where her role comes from


def test_a_viewer_sees_names_and_roles_only(studio, login):
    response = login(studio.vic).get(page_url(studio))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-username="eve"' in body and "eve@example.test" not in body
    assert "Change role" not in body and "Create invitation link" not in body
    assert "Only board owners can add people" in body
    assert ">Leave<" in body  # their own row; nobody else's has a button
    assert body.count("Remove") == 0


def test_a_stranger_gets_the_boards_404(studio, login):
    response = login(studio.sam).get(page_url(studio))
    assert response.status_code == 404
    assert "Poster" not in response.content.decode()
    assert (
        login(studio.sam).post(action(studio, "add"), {"user": "sam", "role": "owner"}).status_code
        == 404
    )
    assert role_for(studio.sam, studio.board) is None


def test_add_change_remove_through_the_page(studio, login):
    client = login(studio.olga)
    response = client.post(action(studio, "add"), {"user": "sam", "role": "reviewer"})
    assert response.status_code == 302 and response["Location"] == page_url(studio)
    assert "Added sam as reviewer." in messages_of(response)
    response = client.post(action(studio, "role", studio.sam.pk), {"role": "editor"})
    assert "sam is now editor." in messages_of(response)
    assert role_for(studio.sam, studio.board) == Role.EDITOR
    response = client.post(action(studio, "remove", studio.sam.pk))
    assert "Removed sam from “Poster”." in messages_of(response)
    assert role_for(studio.sam, studio.board) is None


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (
            {"user": "ghost", "role": "viewer"},
            400,
            "No account has the username or e-mail address “ghost”",
        ),
        ({"user": "eve", "role": "viewer"}, 409, "eve is already a member of “Poster”"),
        ({"user": "", "role": "viewer"}, 400, "Type the username or e-mail address"),
        ({"user": "sam", "role": "king"}, 400, "Select a valid choice"),
    ],
)
def test_add_failures_show_the_page_with_the_reason(studio, login, data, status, message):
    response = login(studio.olga).post(action(studio, "add"), data)
    assert response.status_code == status
    body = response.content.decode()
    assert message in body.replace("&#x27;", "'").replace("&quot;", '"')
    assert 'data-username="olga"' in body  # the page itself, not a bare error
    assert f'value="{data["user"]}"' in body  # what they typed is kept


def test_the_last_owner_message_on_the_page(studio, login):
    client = login(studio.olga)
    response = client.post(action(studio, "role", studio.olga.pk), {"role": "viewer"})
    assert response.status_code == 409
    assert "olga is the last owner of “Poster”" in response.content.decode()
    response = client.post(action(studio, "remove", studio.olga.pk))
    assert response.status_code == 409
    assert role_for(studio.olga, studio.board) == Role.OWNER


def test_a_viewer_may_leave_but_not_remove_others(studio, login):
    client = login(studio.vic)
    response = client.post(action(studio, "remove", studio.eve.pk))
    assert response.status_code == 403
    assert "you need to be at least owner" in response.content.decode()
    assert role_for(studio.eve, studio.board) == Role.EDITOR
    response = client.post(action(studio, "remove", studio.vic.pk))
    assert response.status_code == 302 and response["Location"] == reverse("board-list")
    assert "You left “Poster”." in messages_of(response)
    assert role_for(studio.vic, studio.board) is None


def test_an_invitation_link_is_shown_once_and_listed(studio, login):
    client = login(studio.olga)
    response = client.post(
        action(studio, "invite"), {"role": "reviewer", "email": "kim@example.test", "days": "3"}
    )
    assert response.status_code == 201
    body = response.content.decode()
    link = re.search(r'id="new-link" type="text" readonly value="([^"]+)"', body).group(1)
    assert link.startswith("http://testserver/invite/inv_")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert invitations.find(token).role == "reviewer"
    again = client.get(page_url(studio)).content.decode()
    assert token not in again  # never shown again
    assert "for kim@example.test" in again and "Pending" in again


def test_invite_form_errors(studio, login):
    response = login(studio.olga).post(action(studio, "invite"), {"role": "viewer", "days": "90"})
    assert response.status_code == 400
    assert "at most 30 days" in response.content.decode()
    assert not Invitation.objects.exists()


def test_revoke_from_the_page(studio, login):
    made = invitations.create_board_invitation(studio.board, studio.olga, "viewer")
    client = login(studio.olga)
    response = client.post(action(studio, "revoke", made.invitation.pk))
    assert "Revoked the invitation link" in " ".join(messages_of(response))
    assert Invitation.objects.get(pk=made.invitation.pk).revoked_at is not None
    other_team = invitations.create_team_invitation(studio.team, studio.ada, "member")
    response = client.post(action(studio, "revoke", other_team.invitation.pk))
    assert response.status_code == 404
    assert "no such invitation" in response.content.decode()


def test_the_team_page_for_admins_and_members(studio, login):
    url = reverse("team-page", args=[studio.team.pk])
    admin = login(studio.ada).get(url).content.decode()
    assert "Create invitation link" in admin and "tom@example.test" in admin
    assert "Poster" in admin  # the team's boards
    member = login(studio.tom).get(url).content.decode()
    assert "Create invitation link" not in member and "tom@example.test" not in member
    assert "Only team admins can add people" in member
    assert login(studio.vic).get(url).status_code == 404


def test_team_actions_and_the_last_admin(studio, login):
    client = login(studio.ada)
    response = client.post(
        reverse("team-add", args=[studio.team.pk]), {"user": "sam@example.test", "role": "member"}
    )
    assert "Added sam as member." in messages_of(response)
    response = client.post(
        reverse("team-role", args=[studio.team.pk, studio.ada.pk]), {"role": "member"}
    )
    assert response.status_code == 409
    assert "last admin" in response.content.decode()
    assert TeamMembership.objects.get(team=studio.team, user=studio.ada).role == TeamRole.ADMIN
    response = login(studio.tom).post(reverse("team-add", args=[studio.team.pk]), {"user": "vic"})
    assert response.status_code == 403


def test_teams_page_creates_a_team(studio, login):
    client = login(studio.sam)
    assert "not in a team yet" in client.get(reverse("team-list")).content.decode()
    response = client.post(reverse("team-list"), {"name": "Freelancers"})
    team = TeamMembership.objects.get(user=studio.sam).team
    assert response["Location"] == reverse("team-page", args=[team.pk])
    response = client.post(reverse("team-list"), {"name": ""})
    assert response.status_code == 400 and "A team needs a name." in response.content.decode()


def test_entry_points_lead_to_the_members_pages(studio, login):
    board_list = login(studio.olga).get(reverse("board-list")).content.decode()
    assert reverse("board-members", args=[studio.board.pk]) in board_list
    assert "Share with team" in board_list
    assert reverse("team-list") in board_list  # the top bar
    board_page = login(studio.vic).get(reverse("board", args=[studio.board.pk])).content.decode()
    assert reverse("board-members", args=[studio.board.pk]) in board_page


def test_pages_label_every_control(studio, login):
    """Every input and select has a label (keyboard and screen-reader use)."""
    for user, url in (
        (studio.olga, page_url(studio)),
        (studio.ada, reverse("team-page", args=[studio.team.pk])),
        (studio.ada, reverse("team-list")),
    ):
        body = login(user).get(url).content.decode()
        ids = re.findall(r'<(?:input|select)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', body)
        assert ids
        for control in ids:
            assert f'for="{control}"' in body, (url, control)


def test_team_admins_set_what_members_see(studio, login):
    url = reverse("team-default-role", args=[studio.team.pk])
    response = login(studio.ada).post(url, {"default_board_role": "viewer"})
    assert "every team board as viewer" in " ".join(messages_of(response))
    assert role_for(studio.tom, Board.objects.get(pk=studio.board.pk)) == Role.VIEWER
    assert login(studio.tom).post(url, {"default_board_role": "owner"}).status_code == 403
    response = login(studio.ada).post(url, {"default_board_role": "owner"})
    assert response.status_code == 400  # owner is not offered: members would own every board
    assert role_for(studio.tom, Board.objects.get(pk=studio.board.pk)) == Role.VIEWER
