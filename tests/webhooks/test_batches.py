"""``batch.completed``: sent once, signed, when the last job of a batch ends
(canvas.batches.runs.finish_if_done), to the local receiver."""

from __future__ import annotations

import pytest

from canvas.batches import progress, runs
from canvas.jobs import queue, runner
from canvas.webhooks.models import WebhookEvent
from tests import factories
from tests.jobs import engines  # noqa: F401  (registers the test engines)
from tests.jobs.conftest import REGION, add_image

SPEC = {
    "name": "Launch set",
    "prompt": "a {product}",
    "variables": {"product": ["boot", "clog"]},
    "seeds": 2,
    "seed": 9,
    "engines": ["test-echo"],
    "targets": [{"region": REGION}],
}


@pytest.fixture
def board(team, admin, media_root):
    board = factories.make_board(team, "Launch", owner=admin)
    add_image(board, admin)
    return board


@pytest.fixture(autouse=True)
def _no_progress_timers(monkeypatch):
    monkeypatch.setattr(progress, "_schedule", lambda batch_id: None)


def run_all():
    while (claim := queue.claim_next("hooks")) is not None:
        runner.execute(claim.job_id, "hooks")


@pytest.mark.django_db
def test_the_last_job_of_a_batch_sends_batch_completed_once(
    board, admin, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch, _ = runs.start_batch(board, admin, SPEC)
        run_all()
    completed = [r for r in receiver.received if r.event["type"] == "batch.completed"]
    (got,) = completed
    assert got.verified and not got.duplicate
    data = got.event["data"]["batch"]
    assert data["id"] == str(batch.pk) and data["state"] == "completed"
    assert data["counts"]["succeeded"] == 4 and data["queued"] == data["running"] == 0
    assert data["name"] == "Launch set" and data["finished_at"]
    # The event's key is the batch id: asking again records nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        assert runs.finish_if_done(batch.pk) is False
    assert WebhookEvent.objects.filter(type="batch.completed", key=str(batch.pk)).count() == 1


@pytest.mark.django_db
def test_a_cancelled_batch_sends_batch_completed_with_its_state(
    board, admin, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch, _ = runs.start_batch(board, admin, SPEC)
        runs.cancel_batch(batch)
    (got,) = [r for r in receiver.received if r.event["type"] == "batch.completed"]
    data = got.event["data"]["batch"]
    assert data["state"] == "cancelled" and data["counts"]["cancelled"] == 4


@pytest.mark.django_db
def test_job_events_name_their_batch(
    board, admin, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch, _ = runs.start_batch(board, admin, SPEC)
        run_all()
        alone = queue.submit_job(
            board, admin, {"mode": "img2img", "engine": "test-echo", "region": REGION}
        )
        run_all()
    jobs = [r.event["data"]["job"] for r in receiver.received if r.event["type"] == "job.succeeded"]
    assert len(jobs) == 5 and all(r.verified for r in receiver.received)
    in_batch = [j for j in jobs if j["id"] != str(alone.pk)]
    assert len(in_batch) == 4
    assert {(j["batch"]["id"], j["batch"]["name"]) for j in in_batch} == {
        (str(batch.pk), "Launch set")
    }
    (own,) = [j for j in jobs if j["id"] == str(alone.pk)]
    assert own["batch"] is None


@pytest.mark.django_db
def test_a_retry_that_reopens_a_batch_sends_batch_completed_again(
    board, admin, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch, _ = runs.start_batch(board, admin, SPEC)
        first = batch.jobs.order_by("position").first()
        queue.cancel_job(first)
        run_all()
    (ended,) = [r for r in receiver.received if r.event["type"] == "batch.completed"]
    assert ended.event["data"]["batch"]["counts"]["cancelled"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        retry = queue.retry_job(first.__class__.objects.get(pk=first.pk), admin)
        run_all()
    again = [r for r in receiver.received if r.event["type"] == "batch.completed"][1:]
    (got,) = again
    assert got.event["id"] != ended.event["id"] and got.verified and not got.duplicate
    data = got.event["data"]["batch"]
    assert data["state"] == "completed"
    assert data["counts"] == {
        "queued": 0, "running": 0, "succeeded": 4, "failed": 0, "cancelled": 0
    }  # fmt: skip
    (retried,) = [
        r.event["data"]["job"]
        for r in receiver.received
        if r.event["type"] == "job.succeeded" and r.event["data"]["job"]["id"] == str(retry.pk)
    ]
    assert retried["batch"] == {"id": str(batch.pk), "name": "Launch set"}
