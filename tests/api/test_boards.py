"""Board endpoints: list with filters and pages, create, read, rename/archive, delete, copy."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from canvas.models import Board, BoardMember, Item, ItemKind, Role, Team, TeamMembership, TeamRole
from canvas.permissions import role_for
from tests import factories
from tests.api.helpers import assert_error

pytestmark = pytest.mark.django_db


def send(client, method: str, url: str, data=None):
    body = json.dumps(data) if data is not None else ""
    return getattr(client, method)(url, body, content_type="application/json")


def make_items(board, live: int, deleted: int = 0) -> None:
    for i in range(live + deleted):
        Item.objects.create(board=board, kind=ItemKind.TEXT, z=i, deleted=i >= live)


# --- List -----------------------------------------------------------------------------------


def test_list_shows_only_visible_boards_with_the_callers_role(api, alice, team, board):
    other_team = factories.make_team("Elsewhere", admin=factories.make_user())
    factories.make_board(other_team, "Secret")
    guest_board = factories.make_board(other_team, "Shared with alice", viewer=alice)
    body = api.get("/api/v1/boards").json()
    assert body["count"] == 2
    roles = {item["name"]: item["role"] for item in body["items"]}
    assert roles == {"Moodboard": "owner", "Shared with alice": "viewer"}
    assert roles["Shared with alice"] == role_for(alice, guest_board).value


def test_board_payload_has_every_documented_field(api, board):
    make_items(board, live=3, deleted=2)
    item = api.get("/api/v1/boards").json()["items"][0]
    assert set(item) == {
        "id",
        "name",
        "team",
        "role",
        "created_at",
        "last_activity_at",
        "archived",
        "revision",
        "cover",
        "item_count",
    }
    assert item["id"] == str(board.pk)
    assert item["team"] == {"id": str(board.team.pk), "name": "Studio"}
    assert item["archived"] is False
    assert item["revision"] == 0
    assert item["cover"] is None
    assert item["item_count"] == 3


def test_item_count_is_not_multiplied_by_permission_joins(api, alice, team):
    # alice reaches this board three ways: explicit member, team admin, team member rows.
    board = factories.make_board(team, "Many paths", owner=alice)
    team.default_board_role = Role.EDITOR
    team.save()
    make_items(board, live=4)
    items = api.get("/api/v1/boards?q=many").json()["items"]
    assert [i["item_count"] for i in items] == [4]


def test_pagination_shape_and_next_link_keep_the_filters(api, alice, team):
    now = timezone.now()
    for i in range(5):
        b = factories.make_board(team, f"Poster {i}", owner=alice)
        Board.objects.filter(pk=b.pk).update(last_activity_at=now - timedelta(minutes=i))
    first = api.get("/api/v1/boards?q=poster&page_size=2").json()
    assert first["count"] == 5
    assert first["page"] == 1 and first["page_size"] == 2
    assert [i["name"] for i in first["items"]] == ["Poster 0", "Poster 1"]
    assert first["next"].startswith("http://testserver/api/v1/boards?")
    assert "q=poster" in first["next"] and "page=2" in first["next"]
    second = api.get(first["next"]).json()
    assert [i["name"] for i in second["items"]] == ["Poster 2", "Poster 3"]
    third = api.get(second["next"]).json()
    assert [i["name"] for i in third["items"]] == ["Poster 4"]
    assert third["next"] is None


def test_page_past_the_end_is_empty_not_an_error(api, board):
    body = api.get("/api/v1/boards?page=9").json()
    assert body == {"items": [], "count": 1, "page": 9, "page_size": 50, "next": None}


def test_page_size_is_capped(api):
    error = assert_error(api.get("/api/v1/boards?page_size=1000"), 422, "invalid_request")
    assert "“page_size”" in error["message"]


def test_archived_filter_defaults_to_active_boards(api, alice, team, board):
    archived = factories.make_board(team, "Old", owner=alice)
    archived.archived_at = timezone.now()
    archived.save()
    assert [i["name"] for i in api.get("/api/v1/boards").json()["items"]] == ["Moodboard"]
    names = [i["name"] for i in api.get("/api/v1/boards?archived=true").json()["items"]]
    assert names == ["Old"]


def test_team_filter(api, alice, team, board):
    second = factories.make_team("Second", admin=alice)
    factories.make_board(second, "In second", owner=alice)
    body = api.get(f"/api/v1/boards?team={second.pk}").json()
    assert [i["name"] for i in body["items"]] == ["In second"]


def test_name_search_ignores_case(api, alice, team, board):
    factories.make_board(team, "Summer CAMPAIGN", owner=alice)
    body = api.get("/api/v1/boards?q=campaign").json()
    assert [i["name"] for i in body["items"]] == ["Summer CAMPAIGN"]


def test_listing_does_not_query_per_board(api, alice, team, django_assert_max_num_queries):
    for i in range(20):
        factories.make_board(team, f"B{i}", owner=alice)
    with django_assert_max_num_queries(8):
        body = api.get("/api/v1/boards").json()
    assert body["count"] == 20


# --- Create ---------------------------------------------------------------------------------


def test_create_in_the_only_team_makes_the_caller_owner(api, alice, team):
    response = send(api, "post", "/api/v1/boards", {"name": "  Launch   art "})
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Launch art"
    assert body["role"] == "owner"
    assert body["item_count"] == 0
    board = Board.objects.get(pk=body["id"])
    assert board.team == team
    assert BoardMember.objects.get(board=board, user=alice).role == Role.OWNER


def test_create_needs_a_team_when_the_caller_has_several(api, alice, team):
    second = factories.make_team("Second", admin=alice)
    error = assert_error(send(api, "post", "/api/v1/boards", {"name": "X"}), 400, "team_required")
    assert "Studio" in error["message"] and "Second" in error["message"]
    response = send(api, "post", "/api/v1/boards", {"name": "X", "team": str(second.pk)})
    assert response.status_code == 201
    assert response.json()["team"]["name"] == "Second"


def test_create_without_any_team_makes_a_personal_team_like_the_page(bearer):
    lonely = factories.make_user("lonely")
    response = send(bearer(lonely), "post", "/api/v1/boards", {"name": "X"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["role"] == "owner"
    team = Team.objects.get(pk=body["team"]["id"])
    assert team.name == "lonely’s studio"
    assert TeamMembership.objects.get(team=team, user=lonely).role == TeamRole.ADMIN
    # The second board goes into the same personal team: no second team is made.
    again = send(bearer(lonely), "post", "/api/v1/boards", {"name": "Y"})
    assert again.status_code == 201 and again.json()["team"]["id"] == str(team.pk)
    assert Team.objects.filter(memberships__user=lonely).count() == 1


def test_a_superuser_from_createsuperuser_can_create_a_board(bearer):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command(
        "createsuperuser",
        interactive=False,
        username="root",
        email="root@example.test",
        verbosity=0,
    )
    root = get_user_model().objects.get(username="root")
    assert root.is_superuser and not Team.objects.filter(memberships__user=root).exists()
    response = send(bearer(root), "post", "/api/v1/boards", {"name": "Admin's board"})
    assert response.status_code == 201, response.content
    assert response.json()["role"] == "owner"


def test_create_in_someone_elses_team_is_404(api, team):
    foreign = factories.make_team("Foreign", admin=factories.make_user())
    response = send(api, "post", "/api/v1/boards", {"name": "X", "team": str(foreign.pk)})
    assert_error(response, 404, "team_not_found")
    assert not Board.objects.filter(team=foreign).exists()


def test_create_rejects_an_overlong_name(api, team):
    response = send(api, "post", "/api/v1/boards", {"name": "x" * 201})
    error = assert_error(response, 400, "invalid_board_name")
    assert "200" in error["message"]


# --- Read, update, delete -------------------------------------------------------------------


def test_get_one_board(api, board):
    body = api.get(f"/api/v1/boards/{board.pk}").json()
    assert body["name"] == "Moodboard" and body["role"] == "owner"


@pytest.mark.parametrize("board_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unknown_board_ids_are_404(api, board_id):
    assert_error(api.get(f"/api/v1/boards/{board_id}"), 404, "board_not_found")


def test_rename(api, board):
    response = send(api, "patch", f"/api/v1/boards/{board.pk}", {"name": "Renamed"})
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    board.refresh_from_db()
    assert board.name == "Renamed"


def test_archive_and_restore(api, board):
    body = send(api, "patch", f"/api/v1/boards/{board.pk}", {"archived": True}).json()
    assert body["archived"] is True
    board.refresh_from_db()
    assert board.archived_at is not None
    body = send(api, "patch", f"/api/v1/boards/{board.pk}", {"archived": False}).json()
    assert body["archived"] is False
    board.refresh_from_db()
    assert board.archived_at is None


def test_partly_refused_patch_changes_nothing(bearer, team, board):
    editor = factories.make_user("ed")
    BoardMember.objects.create(board=board, user=editor, role=Role.EDITOR)
    response = send(
        bearer(editor), "patch", f"/api/v1/boards/{board.pk}", {"name": "Hijack", "archived": True}
    )
    error = assert_error(response, 403, "forbidden")
    assert "editor" in error["message"] and "owner" in error["message"]
    board.refresh_from_db()
    assert board.name == "Moodboard" and board.archived_at is None


def test_viewer_cannot_rename_and_is_told_why(bearer, board):
    viewer = factories.make_user("vi")
    BoardMember.objects.create(board=board, user=viewer, role=Role.VIEWER)
    response = send(bearer(viewer), "patch", f"/api/v1/boards/{board.pk}", {"name": "No"})
    error = assert_error(response, 403, "forbidden")
    assert "viewer" in error["message"]
    board.refresh_from_db()
    assert board.name == "Moodboard"


def test_rename_to_blank_is_refused(api, board):
    response = send(api, "patch", f"/api/v1/boards/{board.pk}", {"name": " "})
    assert_error(response, 400, "invalid_board_name")


def test_delete(api, board):
    make_items(board, live=2)
    assert api.delete(f"/api/v1/boards/{board.pk}").status_code == 204
    assert not Board.objects.filter(pk=board.pk).exists()
    assert not Item.objects.filter(board_id=board.pk).exists()
    assert_error(api.get(f"/api/v1/boards/{board.pk}"), 404, "board_not_found")


# --- Duplicate ------------------------------------------------------------------------------


def test_duplicate_copies_live_items_into_a_board_the_caller_owns(api, alice, board):
    make_items(board, live=2, deleted=1)
    response = send(api, "post", f"/api/v1/boards/{board.pk}/duplicate")
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Moodboard (copy)"
    assert body["role"] == "owner"
    assert body["item_count"] == 2
    assert body["id"] != str(board.pk)
    assert Item.objects.filter(board=board).count() == 3


def test_duplicate_with_a_name(api, board):
    response = send(api, "post", f"/api/v1/boards/{board.pk}/duplicate", {"name": "Variant B"})
    assert response.json()["name"] == "Variant B"


def test_guest_editor_outside_the_team_cannot_duplicate_into_it(bearer, board):
    guest = factories.make_user("guest")
    BoardMember.objects.create(board=board, user=guest, role=Role.EDITOR)
    error = assert_error(
        send(bearer(guest), "post", f"/api/v1/boards/{board.pk}/duplicate"), 403, "forbidden"
    )
    assert "Studio" in error["message"]
    assert Board.objects.count() == 1
