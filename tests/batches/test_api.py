"""POST /api/v1/boards/{id}/batches?dry_run=1: the contract; roles are in the permission matrix."""

from __future__ import annotations

import json
import uuid

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


def test_without_dry_run_the_batch_starts(client, board):
    response = post(client, board, raw_batch(), query="")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["dry_run"] is False and body["accepted"] == 4
    assert Job.objects.filter(batch_id=body["batch"]).count() == 4
    status = client.get(f"/api/v1/batches/{body['batch']}").json()
    assert status["state"] == "running" and status["queued"] == 4 and status["jobs"] == 4
    assert status["counts"] == {
        "queued": 4, "running": 0, "succeeded": 0, "failed": 0, "cancelled": 0
    }  # fmt: skip
    listed = client.get(f"/api/v1/boards/{board.pk}/batches").json()
    assert [b["id"] for b in listed["items"]] == [body["batch"]]
    jobs = client.get(f"/api/v1/boards/{board.pk}/jobs?batch={body['batch']}").json()
    assert jobs["count"] == 4 and {j["batch"] for j in jobs["items"]} == {body["batch"]}
    other = client.get(f"/api/v1/boards/{board.pk}/jobs?batch={uuid.uuid4()}").json()
    assert other["count"] == 0


def test_pause_resume_cancel_and_results(client, board):
    batch = post(client, board, raw_batch(), query="").json()["batch"]
    paused = client.post(f"/api/v1/batches/{batch}/pause")
    assert paused.status_code == 200 and paused.json()["state"] == "paused"
    assert client.post(f"/api/v1/batches/{batch}/resume").json()["state"] == "running"
    cancelled = client.post(f"/api/v1/batches/{batch}/cancel").json()
    assert cancelled["state"] == "cancelled" and cancelled["counts"]["cancelled"] == 4
    assert cancelled["finished_at"] is not None
    again = client.post(f"/api/v1/batches/{batch}/resume")
    assert again.status_code == 409 and again.json()["error"]["code"] == "batch_state_conflict"
    page = client.get(f"/api/v1/batches/{batch}/results?var=product:boot&decision=undecided")
    assert page.status_code == 200 and page.json()["count"] == 0
    bad = client.get(f"/api/v1/batches/{batch}/results?var=product")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_batch"


def test_a_batch_of_a_board_you_cannot_see_is_not_found(client, board):
    batch = post(client, board, raw_batch(), query="").json()["batch"]
    stranger = Client()
    stranger.force_login(factories.make_user("stranger"))
    response = stranger.get(f"/api/v1/batches/{batch}")
    assert response.status_code == 404
    assert response.json() == client.get(f"/api/v1/batches/{uuid.uuid4()}").json()


def test_viewers_may_not_preview(board):
    viewer = factories.make_user("viewer")
    BoardMember.objects.create(board=board, user=viewer, role=Role.VIEWER)
    client = Client()
    client.force_login(viewer)
    response = post(client, board, raw_batch())
    assert response.status_code == 403 and "viewer" in response.json()["error"]["message"]
