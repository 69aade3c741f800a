"""The board list: what each role sees, and the empty state."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from canvas.models import Board
from tests import factories

pytestmark = pytest.mark.django_db


def card_html(body: str, board: Board) -> str:
    match = re.search(
        rf'<article class="board-card" data-board-id="{board.pk}">(.*?)</article>', body, re.S
    )
    assert match, f"no card for {board.name}"
    return match.group(1)


@pytest.mark.parametrize(
    ("who", "label", "allowed", "refused"),
    [
        ("owner", "Owner", {"rename", "duplicate", "archive", "delete"}, set()),
        ("editor", "Editor", {"rename", "duplicate"}, {"archive", "delete"}),
        ("reviewer", "Reviewer", set(), {"rename", "duplicate", "archive", "delete"}),
        ("viewer", "Viewer", set(), {"rename", "duplicate", "archive", "delete"}),
    ],
)
def test_card_shows_role_and_only_allowed_actions(cast, login, who, label, allowed, refused):
    body = login(getattr(cast, who)).get(reverse("board-list")).content.decode()
    card = card_html(body, cast.board)
    assert "Autumn launch" in card
    assert f">{label}</span>" in card
    assert reverse("board", args=[cast.board.pk]) in card
    for action in allowed:
        assert reverse(f"board-{action}", args=[cast.board.pk]) in card
    for action in refused:
        assert reverse(f"board-{action}", args=[cast.board.pk]) not in card


def test_stranger_does_not_see_the_board(cast, login):
    body = login(cast.stranger).get(reverse("board-list")).content.decode()
    assert "Autumn launch" not in body
    assert "No boards yet" in body


@pytest.mark.parametrize(
    ("age", "label"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=3, seconds=10), "3\xa0minutes ago"),
        (timedelta(days=2, hours=5), "2\xa0days ago"),
    ],
)
def test_last_activity_is_relative(cast, login, age, label):
    Board.objects.filter(pk=cast.board.pk).update(last_activity_at=timezone.now() - age)
    body = login(cast.owner).get(reverse("board-list")).content.decode()
    assert label in card_html(body, cast.board)


def test_archived_boards_are_under_the_toggle(cast, login):
    Board.objects.filter(pk=cast.board.pk).update(archived_at=timezone.now())
    body = login(cast.owner).get(reverse("board-list")).content.decode()
    toggle = body.split('<details class="archived-toggle">', 1)
    assert len(toggle) == 2, "archived section missing"
    assert "Autumn launch" not in toggle[0]
    assert "Archived boards (1)" in toggle[1]
    assert reverse("board-restore", args=[cast.board.pk]) in toggle[1]


def test_cover_thumbnail_url(cast, login):
    from assets.models import Asset, Blob

    blob = Blob.objects.create(
        sha256="ab" * 32,
        storage_key="x",
        format="PNG",
        mime_type="image/png",
        size_bytes=1,
        width=10,
        height=10,
        stored_width=10,
        stored_height=10,
        mode="RGB",
    )
    asset = Asset.objects.create(board=cast.board, blob=blob, filename="cover.png")
    Board.objects.filter(pk=cast.board.pk).update(cover=asset)
    body = login(cast.viewer).get(reverse("board-list")).content.decode()
    assert f"/files/{asset.pk}/{blob.sha256}/256.webp" in card_html(body, cast.board)


def test_new_user_gets_empty_state(client):
    client.force_login(factories.make_user())
    body = client.get(reverse("board-list")).content.decode()
    assert "No boards yet" in body
    assert reverse("board-create") in body


def test_board_list_queries_do_not_grow_with_boards(cast, login, django_assert_max_num_queries):
    client = login(cast.owner)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("board-list"))
    for i in range(15):
        factories.make_board(cast.team, f"Extra {i}", owner=cast.owner)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        body = client.get(reverse("board-list")).content.decode()
    assert body.count('class="board-card"') == 16
    assert len(many.captured_queries) == len(few.captured_queries)
