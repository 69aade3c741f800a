"""``/api/v1/boards/{id}/engine-fallbacks``: a board's opt-in to a provider fallback chain.

Reading needs view, changing needs manage (the role rows are in tests/test_permission_matrix.py).
Here: the chain round-trips through ``BoardEngineFallbacks`` in the shape the job router
reads (``fallbacks_for``), every invalid chain is a 400 in the standard error body that
leaves the saved chain untouched, and an empty chain opts the board out.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from canvas.engines.providers.resilience import fallbacks_for
from canvas.models.providers import BoardEngineFallbacks
from tests import factories
from tests.jobs import engines  # noqa: F401  (registers test-echo, test-gate, …)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(db):
    owner = factories.make_user("owner")
    viewer = factories.make_user("viewer")
    team = factories.make_team("Studio")
    board = factories.make_board(team, "Campaign", owner=owner, viewer=viewer)
    return board, owner, viewer


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(board) -> str:
    return f"/api/v1/boards/{board.pk}/engine-fallbacks"


def put(client: Client, board, chain):
    return client.put(url(board), json.dumps({"chain": chain}), content_type="application/json")


def test_a_board_without_an_opt_in_has_an_empty_chain(setup):
    board, owner, _ = setup
    response = client_for(owner).get(url(board))
    assert response.status_code == 200
    assert response.json() == {"chain": [], "enabled": False}
    assert fallbacks_for(board.pk, "test-echo") == ()


def test_the_owner_sets_a_chain_that_the_job_router_follows(setup):
    board, owner, viewer = setup
    response = put(client_for(owner), board, ["test-echo", "test-gate", "local"])
    assert response.status_code == 200, response.content
    assert response.json() == {"chain": ["test-echo", "test-gate", "local"], "enabled": True}
    row = BoardEngineFallbacks.objects.get(board=board)
    assert row.enabled
    assert row.chains == {"test-echo": ["test-gate", "local"], "test-gate": ["local"]}
    # Each engine falls back to the ones after it; the last has no board chain of its own.
    assert fallbacks_for(board.pk, "test-echo") == ("test-gate", "local")
    assert fallbacks_for(board.pk, "test-gate") == ("local",)
    # A viewer reads the same chain.
    seen = client_for(viewer).get(url(board))
    assert seen.status_code == 200
    assert seen.json()["chain"] == ["test-echo", "test-gate", "local"]


def test_a_new_chain_replaces_the_old_one_and_an_empty_one_opts_out(setup):
    board, owner, _ = setup
    client = client_for(owner)
    assert put(client, board, ["test-echo", "local"]).status_code == 200
    assert put(client, board, ["test-gate", "test-echo"]).json()["chain"] == [
        "test-gate",
        "test-echo",
    ]
    assert fallbacks_for(board.pk, "test-echo") == ()  # no longer a head of anything
    off = put(client, board, [])
    assert off.status_code == 200
    assert off.json() == {"chain": [], "enabled": False}
    assert BoardEngineFallbacks.objects.get(board=board).enabled is False
    assert fallbacks_for(board.pk, "test-gate") == ()
    assert client.get(url(board)).json() == {"chain": [], "enabled": False}


@pytest.mark.parametrize(
    ("chain", "says"),
    [
        (["test-echo", "no-such-engine"], "no-such-engine"),
        (["test-echo"], "at least two engines"),
        (["test-echo", "local", "test-echo"], "appears twice"),
        (["test-echo", " "], "empty"),
        (["local"] + [f"e{i}" for i in range(9)], "at most"),
    ],
)
def test_an_invalid_chain_is_a_clear_400_and_keeps_the_saved_chain(setup, chain, says):
    board, owner, _ = setup
    client = client_for(owner)
    assert put(client, board, ["test-echo", "local"]).status_code == 200
    response = put(client, board, chain)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_fallbacks"
    assert says in error["message"]
    assert client.get(url(board)).json()["chain"] == ["test-echo", "local"]


def test_an_unknown_engine_message_lists_the_engines_to_pick_from(setup):
    board, owner, _ = setup
    response = put(client_for(owner), board, ["local", "gemini-3-pro-image-preview"])
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "gemini-3-pro-image-preview" in message and "test-echo" in message


@pytest.mark.parametrize("body", [{}, {"chain": "local"}, {"chain": [1, 2]}, "not json"])
def test_a_malformed_body_is_a_422_in_the_standard_error_body(setup, body):
    board, owner, _ = setup
    data = body if isinstance(body, str) else json.dumps(body)
    response = client_for(owner).put(url(board), data, content_type="application/json")
    assert response.status_code in (400, 422), response.content
    error = response.json()["error"]
    assert error["code"] and error["message"]
    assert not BoardEngineFallbacks.objects.filter(board=board).exists()


def test_a_viewer_may_read_but_not_change_the_chain(setup):
    board, owner, viewer = setup
    put(client_for(owner), board, ["test-echo", "local"])
    response = put(client_for(viewer), board, [])
    assert response.status_code == 403
    assert "owner" in response.json()["error"]["message"]
    assert BoardEngineFallbacks.objects.get(board=board).enabled is True
