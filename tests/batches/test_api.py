"""POST /api/v1/boards/{id}/batches?dry_run=1: the contract; roles are in the permission matrix."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from canvas.models import BoardMember, Job, Role
from tests import factories
from tests.batches.conftest import raw_batch


def post(client, board, body, query="?dry_run=1"):
    return client.post(
        f"/api/v1/boards/{board.pk}/batches{query}",
        json.dumps(body),
        content_type="application/json",
    )


@pytest.fixture
def client(owner):
    client = Client()
    client.force_login(owner)
    return client


def test_dry_run_returns_the_expansion_and_estimates_and_creates_nothing(client, board):
    response = post(client, board, raw_batch(engines=["test-echo", "test-gate"]))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is True and body["name"] == "Hero variations"
    assert body["jobs"] == body["accepted"] == 8 and body["refused"] == 0
    assert [row["engine"] for row in body["engines"]] == ["test-echo", "test-gate"]
    assert body["engines"][0]["cost"] == "unknown"
    assert body["seed"] == 42 and len(body["seeds"]) == 2
    first = body["first_jobs"][0]
    assert first["prompt"] == "a sneaker on sand"
    assert first["variables"] == {"product": "sneaker", "background": "sand"}
    assert first["seed"] == body["seeds"][0] and first["refusal"] is None
    assert body["brand_kit"] is None and body["refusals"] == []
    assert Job.objects.count() == 0


def test_a_bad_spec_is_a_400_sentence(client, board):
    response = post(client, board, raw_batch(prompt="a {colour} shoe"))
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_batch",
        "message": "The prompt uses {colour} but the batch gives no values for it.",
    }
    shape = post(client, board, raw_batch(seeds="many"))
    assert shape.status_code == 400 and shape.json()["error"]["code"] == "invalid_batch"


def test_without_dry_run_the_answer_says_runs_are_not_built(client, board):
    response = post(client, board, raw_batch(), query="")
    assert response.status_code == 501
    assert response.json()["error"]["code"] == "batch_runs_not_available"
    assert "?dry_run=1" in response.json()["error"]["message"]
    assert Job.objects.count() == 0


def test_viewers_may_not_preview(board):
    viewer = factories.make_user("viewer")
    BoardMember.objects.create(board=board, user=viewer, role=Role.VIEWER)
    client = Client()
    client.force_login(viewer)
    response = post(client, board, raw_batch())
    assert response.status_code == 403 and "viewer" in response.json()["error"]["message"]
