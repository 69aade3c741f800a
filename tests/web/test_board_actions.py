"""Board list actions: create, rename, duplicate, archive/restore, delete — by role."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from assets.models import Asset, Blob
from canvas.models import Board, BoardMember, Item, ItemKind, Role, Team
from tests import factories

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def url(action: str, board) -> str:
    return reverse(f"board-{action}", args=[board.pk])


# --- create ---------------------------------------------------------------------------------


def test_create_in_only_team_makes_caller_owner(cast, login):
    response = login(cast.viewer).post(reverse("board-create"), {"name": "  Winter   promo "})
    board = Board.objects.get(name="Winter promo")
    assert response.status_code == 302
    assert response["Location"] == reverse("board", args=[board.pk])
    assert board.team == cast.team
    assert BoardMember.objects.get(board=board, user=cast.viewer).role == Role.OWNER


def test_create_with_several_teams_needs_a_choice(cast, login):
    other = factories.make_team("Second", members=[cast.editor])
    client = login(cast.editor)
    body = client.get(reverse("board-list")).content.decode()
    assert 'name="team"' in body and "Second" in body

    response = client.post(reverse("board-create"), {"name": "No team"})
    assert response.status_code == 400
    assert "Choose the team" in " ".join(messages_of(response))
    assert not Board.objects.filter(name="No team").exists()

    client.post(reverse("board-create"), {"name": "In second", "team": str(other.pk)})
    assert Board.objects.get(name="In second").team == other


def test_create_in_someone_elses_team_is_refused(cast, login):
    response = login(cast.stranger).post(
        reverse("board-create"), {"name": "Sneaky", "team": str(cast.team.pk)}
    )
    assert response.status_code == 400
    assert not Board.objects.filter(name="Sneaky").exists()


def test_create_with_blank_name_shows_message(cast, login):
    response = login(cast.owner).post(reverse("board-create"), {"name": "   "})
    assert response.status_code == 400
    assert "A board needs a name." in messages_of(response)


def test_user_without_team_gets_a_personal_team(client):
    user = factories.make_user("solo")
    client.force_login(user)
    response = client.post(reverse("board-create"), {"name": "First"})
    assert response.status_code == 302
    board = Board.objects.get(name="First")
    assert board.team.name == "solo’s studio"
    assert Team.objects.filter(memberships__user=user).count() == 1


def test_create_requires_csrf(cast):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.owner)
    response = client.post(reverse("board-create"), {"name": "No token"})
    assert response.status_code == 403
    assert not Board.objects.filter(name="No token").exists()


# --- rename ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "editor"])
def test_rename_allowed(cast, login, who):
    response = login(getattr(cast, who)).post(url("rename", cast.board), {"name": "Renamed"})
    assert response.status_code == 302
    cast.board.refresh_from_db()
    assert cast.board.name == "Renamed"


@pytest.mark.parametrize("who", ["reviewer", "viewer"])
def test_rename_forbidden_for_lower_roles(cast, login, who):
    response = login(getattr(cast, who)).post(url("rename", cast.board), {"name": "Nope"})
    assert response.status_code == 403
    assert "you need to be at least editor" in " ".join(messages_of(response))
    cast.board.refresh_from_db()
    assert cast.board.name == "Autumn launch"


def test_rename_with_too_long_name(cast, login):
    response = login(cast.owner).post(url("rename", cast.board), {"name": "x" * 201})
    assert response.status_code == 400
    assert "at most 200 characters" in " ".join(messages_of(response))


# --- duplicate ------------------------------------------------------------------------------


def _blob(sha: str) -> Blob:
    return Blob.objects.create(
        sha256=sha,
        storage_key=f"blobs/{sha}",
        format="PNG",
        mime_type="image/png",
        size_bytes=10,
        width=4,
        height=4,
        stored_width=4,
        stored_height=4,
        mode="RGB",
    )


def test_duplicate_copies_items_and_assets(cast, login):
    asset = Asset.objects.create(board=cast.board, blob=_blob("cd" * 32), filename="sketch.png")
    Item.objects.create(
        board=cast.board, kind=ItemKind.IMAGE, asset=asset, x=5, anchor_role="style"
    )
    Item.objects.create(board=cast.board, kind=ItemKind.FRAME, name="Hero", width=100)
    Item.objects.create(board=cast.board, kind=ItemKind.TEXT, deleted=True)

    response = login(cast.editor).post(url("duplicate", cast.board))
    assert response.status_code == 302
    copy = Board.objects.get(name="Autumn launch (copy)")
    assert BoardMember.objects.get(board=copy, user=cast.editor).role == Role.OWNER
    copied_asset = Asset.objects.get(board=copy)
    assert copied_asset.blob_id == asset.blob_id and copied_asset.pk != asset.pk
    items = {i.kind: i for i in Item.objects.filter(board=copy)}
    assert set(items) == {ItemKind.IMAGE, ItemKind.FRAME}
    assert items[ItemKind.IMAGE].asset == copied_asset
    assert items[ItemKind.IMAGE].anchor_role == "style"
    assert items[ItemKind.FRAME].name == "Hero"
    # The original is untouched.
    assert Item.objects.filter(board=cast.board).count() == 3


@pytest.mark.parametrize("who", ["reviewer", "viewer"])
def test_duplicate_forbidden_for_lower_roles(cast, login, who):
    response = login(getattr(cast, who)).post(url("duplicate", cast.board))
    assert response.status_code == 403
    assert Board.objects.count() == 1


def test_duplicate_needs_team_membership(cast, login):
    outsider = factories.make_user("guest")
    BoardMember.objects.create(board=cast.board, user=outsider, role=Role.EDITOR)
    response = login(outsider).post(url("duplicate", cast.board))
    assert response.status_code == 403
    assert "Only members of the team" in " ".join(messages_of(response))
    assert Board.objects.count() == 1


# --- archive / restore ----------------------------------------------------------------------


def test_owner_archives_and_restores(cast, login):
    client = login(cast.owner)
    assert client.post(url("archive", cast.board)).status_code == 302
    cast.board.refresh_from_db()
    assert cast.board.is_archived
    assert client.post(url("restore", cast.board)).status_code == 302
    cast.board.refresh_from_db()
    assert not cast.board.is_archived


@pytest.mark.parametrize("who", ["editor", "reviewer", "viewer"])
def test_archive_forbidden_below_owner(cast, login, who):
    response = login(getattr(cast, who)).post(url("archive", cast.board))
    assert response.status_code == 403
    cast.board.refresh_from_db()
    assert not cast.board.is_archived


def test_actions_are_post_only(cast, login):
    client = login(cast.owner)
    for action in ("rename", "duplicate", "archive", "restore"):
        assert client.get(url(action, cast.board)).status_code == 405
    cast.board.refresh_from_db()
    assert not cast.board.is_archived


# --- delete ---------------------------------------------------------------------------------


def test_delete_asks_for_confirmation_first(cast, login):
    client = login(cast.owner)
    response = client.get(url("delete", cast.board))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Delete “Autumn launch”?" in body
    assert f'action="{url("delete", cast.board)}"' in body
    assert Board.objects.filter(pk=cast.board.pk).exists()

    response = client.post(url("delete", cast.board))
    assert response.status_code == 302
    assert not Board.objects.filter(pk=cast.board.pk).exists()


@pytest.mark.parametrize("who", ["editor", "reviewer", "viewer"])
def test_delete_forbidden_below_owner(cast, login, who):
    client = login(getattr(cast, who))
    assert client.get(url("delete", cast.board)).status_code == 403
    assert client.post(url("delete", cast.board)).status_code == 403
    assert Board.objects.filter(pk=cast.board.pk).exists()


# --- strangers ------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["rename", "duplicate", "archive", "restore", "delete"])
def test_stranger_gets_404_page(cast, login, action):
    response = login(cast.stranger).post(url(action, cast.board), {"name": "x"})
    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]
    assert "Autumn launch" not in response.content.decode()
    cast.board.refresh_from_db()
    assert cast.board.name == "Autumn launch" and not cast.board.is_archived


def test_create_leaves_no_stale_message_for_the_list(cast, login):
    client = login(cast.owner)
    client.post(reverse("board-create"), {"name": "Fresh"})
    body = client.get(reverse("board-list")).content.decode()
    assert 'class="messages"' not in body
