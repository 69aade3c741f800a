"""The members, teams and invitations endpoints of /api/v1/: shapes, errors, rules."""

from __future__ import annotations

import pytest
from django.test import Client

from canvas.members.models import Invitation
from canvas.models import BoardMember, Role, Team, TeamMembership, TeamRole
from canvas.permissions import role_for
from tests.api.helpers import assert_error
from tests.members.conftest import send

pytestmark = pytest.mark.django_db


def members_url(studio, *rest) -> str:
    return "/".join([f"/api/v1/boards/{studio.board.pk}/members", *map(str, rest)])


def team_url(studio, *rest) -> str:
    return "/".join([f"/api/v1/teams/{studio.team.pk}/members", *map(str, rest)])


def test_board_members_list_shows_roles_and_where_they_come_from(studio, bearer):
    body = bearer(studio.olga).get(members_url(studio)).json()
    assert body["count"] == 4 and body["next"] is None
    rows = {r["user"]["username"]: r for r in body["items"]}
    assert {u: (r["role"], r["via"]) for u, r in rows.items()} == {
        "ada": ("owner", "team_admin"),
        "olga": ("owner", "board"),
        "eve": ("editor", "board"),
        "vic": ("viewer", "board"),
    }
    assert rows["eve"]["user"]["email"] == "eve@example.test"  # an owner sees addresses


def test_viewers_see_the_list_without_email_addresses(studio, bearer):
    body = bearer(studio.vic).get(members_url(studio) + "?page_size=2").json()
    assert body["count"] == 4 and len(body["items"]) == 2 and body["next"]
    assert all(r["user"]["email"] is None for r in body["items"])


def test_add_by_username_or_email_returns_201(studio, bearer):
    api = bearer(studio.olga)
    response = send(
        api, "post", members_url(studio), {"user": "SAM@example.test", "role": "reviewer"}
    )
    assert response.status_code == 201, response.content
    assert response.json() == {
        "user": {
            "id": studio.sam.pk,
            "username": "sam",
            "name": "sam",
            "email": "sam@example.test",
        },
        "role": "reviewer",
        "via": "board",
    }
    assert role_for(studio.sam, studio.board) == Role.REVIEWER


def test_add_errors_say_what_to_do(studio, bearer):
    api = bearer(studio.olga)
    error = assert_error(
        send(api, "post", members_url(studio), {"user": "ghost", "role": "viewer"}),
        400,
        "unknown_user",
    )
    assert "ghost" in error["message"] and "invitation link" in error["message"]
    error = assert_error(
        send(api, "post", members_url(studio), {"user": "eve", "role": "viewer"}),
        409,
        "already_member",
    )
    assert "eve" in error["message"]
    assert_error(
        send(api, "post", members_url(studio), {"user": "sam", "role": "boss"}),
        422,
        "invalid_request",
    )
    assert role_for(studio.sam, studio.board) is None


def test_change_role_and_the_last_owner(studio, bearer):
    api = bearer(studio.olga)
    response = send(api, "patch", members_url(studio, studio.eve.pk), {"role": "viewer"})
    assert response.status_code == 200 and response.json()["role"] == "viewer"
    error = assert_error(
        send(api, "patch", members_url(studio, studio.olga.pk), {"role": "editor"}),
        409,
        "last_owner",
    )
    assert "last owner" in error["message"] and "Make someone else an owner" in error["message"]
    assert_error(send(api, "delete", members_url(studio, studio.olga.pk)), 409, "last_owner")
    assert BoardMember.objects.get(board=studio.board, user=studio.olga).role == Role.OWNER
    assert_error(
        send(api, "patch", members_url(studio, studio.sam.pk), {"role": "viewer"}),
        404,
        "member_not_found",
    )


def test_a_team_admin_manages_board_members_without_an_own_role(studio, bearer):
    api = bearer(studio.ada)
    response = send(api, "delete", members_url(studio, studio.eve.pk))
    assert response.status_code == 204
    assert role_for(studio.eve, studio.board) is None


def test_remove_someone_whose_access_is_through_the_team_is_409(studio, bearer):
    error = assert_error(
        send(bearer(studio.olga), "delete", members_url(studio, studio.ada.pk)),
        409,
        "access_through_team",
    )
    assert "Studio" in error["message"]


def test_anyone_may_leave_a_board_but_not_remove_others(studio, bearer):
    vic = bearer(studio.vic)
    assert_error(send(vic, "delete", members_url(studio, studio.eve.pk)), 403, "forbidden")
    assert send(vic, "delete", members_url(studio, studio.vic.pk)).status_code == 204
    assert role_for(studio.vic, studio.board) is None
    # And after leaving, the board is gone for them like for any stranger.
    assert_error(vic.get(members_url(studio)), 404, "board_not_found")


def test_post_teams_and_list_teams(studio, bearer):
    api = bearer(studio.sam)
    response = send(api, "post", "/api/v1/teams", {"name": "Night shift"})
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Night shift" and body["role"] == "admin"
    assert body["default_board_role"] == "editor"
    team = Team.objects.get(pk=body["id"])
    assert TeamMembership.objects.get(team=team, user=studio.sam).role == TeamRole.ADMIN
    listed = api.get("/api/v1/teams").json()
    assert [t["name"] for t in listed["items"]] == ["Night shift"]
    assert_error(send(api, "post", "/api/v1/teams", {"name": " "}), 400, "invalid_team_name")
    # Creating a board now goes into that team (the only one).
    board = send(api, "post", "/api/v1/boards", {"name": "Moon"}).json()
    assert board["team"]["name"] == "Night shift"


def test_team_members_endpoints(studio, bearer):
    admin = bearer(studio.ada)
    body = admin.get(team_url(studio)).json()
    assert {(r["user"]["username"], r["role"]) for r in body["items"]} == {
        ("ada", "admin"),
        ("olga", "member"),
        ("tom", "member"),
    }
    response = send(admin, "post", team_url(studio), {"user": "sam", "role": "member"})
    assert response.status_code == 201 and response.json()["role"] == "member"
    assert (
        send(admin, "patch", team_url(studio, studio.sam.pk), {"role": "admin"}).json()["role"]
        == "admin"
    )
    assert_error(
        send(admin, "post", team_url(studio), {"user": "tom", "role": "member"}),
        409,
        "already_member",
    )
    assert send(admin, "delete", team_url(studio, studio.tom.pk)).status_code == 204
    # the last admin: sam and ada are admins; ada steps down, then sam cannot.
    assert (
        send(admin, "patch", team_url(studio, studio.ada.pk), {"role": "member"}).status_code == 200
    )
    sam = bearer(studio.sam)
    assert_error(send(sam, "delete", team_url(studio, studio.sam.pk)), 409, "last_admin")
    # Members see the list (no addresses) but cannot change it.
    olga = bearer(studio.olga)
    assert all(r["user"]["email"] is None for r in olga.get(team_url(studio)).json()["items"])
    error = assert_error(
        send(olga, "post", team_url(studio), {"user": "vic", "role": "member"}), 403, "forbidden"
    )
    assert "member" in error["message"] and "admin" in error["message"]
    # Strangers are told the team does not exist.
    stranger = bearer(studio.vic)
    assert_error(stranger.get(team_url(studio)), 404, "team_not_found")
    assert_error(bearer(studio.vic).get("/api/v1/teams/not-a-uuid/members"), 404, "team_not_found")


def test_invitations_api_create_list_revoke(studio, bearer, client):
    api = bearer(studio.olga)
    url = f"/api/v1/boards/{studio.board.pk}/invitations"
    response = send(api, "post", url, {"role": "editor", "email": "new@example.test"})
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["status"] == "pending" and made["role"] == "editor"
    assert made["url"] == f"http://testserver/invite/{made['token']}/"
    assert made["created_by"]["username"] == "olga"
    listed = api.get(url).json()
    assert listed["count"] == 1
    assert "token" not in listed["items"][0] and "url" not in listed["items"][0]
    # The link opens the invitation page.
    page = Client().get(f"/invite/{made['token']}/")
    assert page.status_code == 200 and "Poster" in page.content.decode()
    assert send(api, "delete", f"{url}/{made['id']}").status_code == 204
    assert api.get(url).json()["items"][0]["status"] == "revoked"
    assert Client().get(f"/invite/{made['token']}/").status_code == 410
    assert_error(send(api, "delete", f"{url}/{factories_uuid()}"), 404, "invitation_not_found")
    assert_error(send(api, "delete", f"{url}/nope"), 404, "invitation_not_found")
    error = assert_error(send(api, "post", url, {"role": "admin"}), 400, "invalid_invitation")
    assert "owner, editor, reviewer, viewer" in error["message"]
    assert_error(
        send(api, "post", url, {"role": "viewer", "expires_in_days": 31}), 400, "invalid_invitation"
    )


def test_a_team_invitation_id_is_not_found_under_a_board(studio, bearer):
    team_api = bearer(studio.ada)
    made = send(team_api, "post", f"/api/v1/teams/{studio.team.pk}/invitations", {"role": "member"})
    assert made.status_code == 201
    invitation_id = made.json()["id"]
    board_url = f"/api/v1/boards/{studio.board.pk}/invitations/{invitation_id}"
    assert_error(send(team_api, "delete", board_url), 404, "invitation_not_found")
    assert Invitation.objects.get(pk=invitation_id).revoked_at is None
    error = assert_error(
        send(team_api, "post", f"/api/v1/teams/{studio.team.pk}/invitations", {"role": "editor"}),
        400,
        "invalid_invitation",
    )
    assert "admin, kit_manager, member" in error["message"]


def factories_uuid() -> str:
    import uuid

    return str(uuid.uuid4())


def test_members_endpoints_are_in_the_openapi_schema():
    from anchorboard.api import api

    paths = api.get_openapi_schema()["paths"]
    for path, methods in {
        "/api/v1/boards/{board_id}/members": {"get", "post"},
        "/api/v1/boards/{board_id}/members/{user_id}": {"patch", "delete"},
        "/api/v1/teams": {"get", "post"},
        "/api/v1/teams/{team_id}/members": {"get", "post"},
        "/api/v1/teams/{team_id}/members/{user_id}": {"patch", "delete"},
        "/api/v1/boards/{board_id}/invitations": {"get", "post"},
        "/api/v1/boards/{board_id}/invitations/{invitation_id}": {"delete"},
        "/api/v1/teams/{team_id}/invitations": {"get", "post"},
        "/api/v1/teams/{team_id}/invitations/{invitation_id}": {"delete"},
    }.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            assert paths[path][method]["summary"], (path, method)
            assert 409 in paths[path][method]["responses"] or method == "get"


@pytest.mark.parametrize("bad", ["\\u0000", "a\\ud800b"])
def test_unstorable_text_is_a_422_naming_the_field(studio, bearer, bad):
    """Same rule as the rest of the API (canvas.protocol.types.CleanText)."""
    api = bearer(studio.olga)
    cases = [
        (members_url(studio), '{"user": "' + bad + '", "role": "viewer"}', "user"),
        ("/api/v1/teams", '{"name": "' + bad + '"}', "name"),
        (
            f"/api/v1/boards/{studio.board.pk}/invitations",
            '{"role": "viewer", "email": "' + bad + '"}',
            "email",
        ),
    ]
    for url, body, field in cases:
        response = api.post(url, body, content_type="application/json")
        error = assert_error(response, 422, "invalid_request")
        assert field in error["message"], (url, error)
    assert not Invitation.objects.exists()
    assert not Team.objects.filter(memberships__user=studio.olga).exclude(pk=studio.team.pk)
