"""The board page and its bootstrap JSON."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def bootstrap(response) -> dict:
    match = re.search(
        r'<script id="board-bootstrap" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "board-bootstrap json_script missing"
    return json.loads(match.group(1))


@pytest.mark.parametrize(
    ("who", "role", "can_edit"),
    [("owner", "owner", True), ("editor", "editor", True), ("viewer", "viewer", False)],
)
def test_bootstrap(cast, login, who, role, can_edit):
    user = getattr(cast, who)
    response = login(user).get(reverse("board", args=[cast.board.pk]))
    assert response.status_code == 200
    assert response.context["role"] == role
    assert response.context["can_edit"] is can_edit
    data = bootstrap(response)
    local = next(e for e in data.pop("engines") if e["name"] == "local")
    assert local["generative"] is False and "non-generative" in local["label"]
    assert "inpaint" in local["modes"]
    # Mentionable people (docs/review.md): everyone with a role, the caller included.
    assert {"username": user.username, "name": user.username} in data.pop("members")
    assert data == {
        "board_id": str(cast.board.pk),
        "board_name": "Autumn launch",
        "ws_url": f"/ws/boards/{cast.board.pk}/",
        "api_base": "/api/v1",
        "role": role,
        "can_edit": can_edit,
        "user": {"id": user.pk, "name": user.username},
        "brand_kit": None,  # no kit on this board (tests/governance/kits covers one)
        "batch_max_jobs": 2000,  # the Batch… dialog's "over the limit" (docs/batches.md)
        "atlas_url": f"/files/boards/{cast.board.pk}/atlas.json",  # docs/assets.md
    }


def test_board_name_is_escaped_in_bootstrap(cast, login):
    cast.board.name = "</script><b>x</b>"
    cast.board.save()
    response = login(cast.owner).get(reverse("board", args=[cast.board.pk]))
    assert "</script><b>" not in response.content.decode()
    assert bootstrap(response)["board_name"] == "</script><b>x</b>"


def test_stranger_and_unknown_board_look_the_same(cast, login):
    client = login(cast.stranger)
    hidden = client.get(reverse("board", args=[cast.board.pk]))
    unknown = client.get(reverse("board", args=[uuid.uuid4()]))
    assert hidden.status_code == unknown.status_code == 404
    assert "text/html" in hidden["Content-Type"]
    assert "Autumn launch" not in hidden.content.decode()


def test_anonymous_is_sent_to_login(cast, client):
    response = client.get(reverse("board", args=[cast.board.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
