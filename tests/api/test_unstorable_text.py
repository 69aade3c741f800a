"""Text that cannot be stored (NUL characters, unpaired surrogates) is refused where it
enters the JSON API with a clear 422 naming the field, never a database error or a 500.

The websocket side is covered by tests/canvas/test_protocol_codec.py; both use the same
check (canvas.protocol.types.check_clean).
"""

from __future__ import annotations

import pytest
from django.test import Client

from canvas.models import Board, Comment
from tests import factories
from tests.review.conftest import make_link

pytestmark = pytest.mark.django_db

# Raw JSON escapes: "\u0000" is a NUL, "\ud800" an unpaired surrogate once decoded.
BAD = ["\\u0000", "a\\ud800b"]


def post_raw(client: Client, url: str, json_text: str):
    return client.post(url, json_text, content_type="application/json")


@pytest.fixture
def owner_client():
    owner = factories.make_user("olive")
    board = factories.make_board(owner=owner, name="Cliffs")
    client = Client()
    client.force_login(owner)
    return client, board, owner


@pytest.mark.parametrize("bad", BAD)
def test_comment_bodies_and_board_names(owner_client, bad):
    client, board, _ = owner_client
    url = f"/api/v1/boards/{board.pk}/comments"
    response = post_raw(client, url, '{"body": "' + bad + '", "target": "point", "x": 1, "y": 2}')
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and "body" in error["message"]
    response = post_raw(client, "/api/v1/boards", '{"name": "' + bad + '"}')
    assert response.status_code == 422 and "name" in response.json()["error"]["message"]
    response = client.get("/api/v1/boards", {"q": "name\x00"})
    assert response.status_code == 422 and "q" in response.json()["error"]["message"]
    assert not Comment.objects.exists() and Board.objects.count() == 1


@pytest.mark.parametrize("bad", BAD)
def test_guest_names(owner_client, bad):
    _, board, owner = owner_client
    _, token = make_link(board, owner, permissions=["comment"])
    guest = Client()
    response = post_raw(guest, f"/api/v1/share/{token}/guest", '{"name": "' + bad + '"}')
    assert response.status_code == 422 and "name" in response.json()["error"]["message"]
