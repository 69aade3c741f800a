"""The pilot endpoints: who may start, read and cancel a run (lead/owner, editor, viewer,
stranger, nobody), malformed bodies answered 400/422 with a sentence (never 500), cancel
in the middle of a run, and two tickers at once doing each step once."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from canvas.models import Batch, Job, JobState
from canvas.pilot import machine, runs
from canvas.pilot.models import PilotRun, PilotStage, PilotState
from tests.pilot.conftest import run_jobs

ENGINE = "local"  # the server's own engine: these tests are about the run, not a provider
AS_JSON = {"content_type": "application/json"}

# The pilot's operations, checked by role here (test_permission_matrix.py skips them).
PILOT_OPERATIONS = {
    ("post", "/api/v1/pilots"),
    ("get", "/api/v1/pilots"),
    ("get", "/api/v1/pilots/{run_id}"),
    ("post", "/api/v1/pilots/{run_id}/cancel"),
}


def client_for(studio, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(getattr(studio, role))
    return client


def post(client: Client, body) -> tuple[int, dict]:
    raw = body if isinstance(body, str) else json.dumps(body)
    response = client.post("/api/v1/pilots", raw, **AS_JSON)
    return response.status_code, response.json()


def body(studio, **fields):
    return {"board": str(studio.board.pk), "engine": ENGINE, "jobs": 3, "concurrency": 1, **fields}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status"),
    [("lead", 201), ("editor", 201), ("viewer", 403), ("stranger", 404), ("anonymous", 401)],
)
def test_who_may_start_a_pilot(studio, role, status):
    code, answer = post(client_for(studio, role), body(studio))
    assert code == status, answer
    if status == 201:
        run = PilotRun.objects.get(pk=answer["id"])
        assert run.created_by == getattr(studio, role) and run.board == studio.board
        assert answer["settings"]["jobs"] == 3 and answer["engine"] == ENGINE
        assert answer["state"] in (PilotState.QUEUED, PilotState.RUNNING)
    else:
        assert answer["error"]["message"]
        assert not PilotRun.objects.exists()
    if status == 403:
        assert "viewer" in answer["error"]["message"]
    if status == 404:
        assert "Shoes" not in answer["error"]["message"]


@pytest.mark.django_db
def test_who_may_read_and_cancel(studio):
    run = runs.start_pilot(studio.board, studio.lead, body(studio))
    url = f"/api/v1/pilots/{run.pk}"
    for role, status in [("viewer", 200), ("editor", 200), ("stranger", 404)]:
        response = client_for(studio, role).get(url)
        assert response.status_code == status, (role, response.content)
    listed = client_for(studio, "viewer").get("/api/v1/pilots").json()
    assert [item["id"] for item in listed["items"]] == [str(run.pk)]
    assert client_for(studio, "stranger").get("/api/v1/pilots").json()["items"] == []
    refused = client_for(studio, "viewer").post(f"{url}/cancel")
    assert refused.status_code == 403 and "viewer" in refused.json()["error"]["message"]
    assert client_for(studio, "stranger").post(f"{url}/cancel").status_code == 404
    cancelled = client_for(studio, "editor").post(f"{url}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == PilotState.CANCELLED
    again = client_for(studio, "lead").post(f"{url}/cancel")
    assert again.status_code == 409 and again.json()["error"]["code"] == "pilot_finished"


MALFORMED = [
    ("{not json", 400, "invalid_json"),
    ("[1, 2]", 422, "invalid_request"),
    ({"engine": "local"}, 400, "invalid_pilot"),
    ({"board": 7, "engine": "local"}, 400, "invalid_pilot"),
    ({"board": "not-an-id", "engine": "local"}, 404, "board_not_found"),
    ({"engine": "no-such-engine"}, 400, "invalid_pilot"),
    ({"jobs": 0}, 400, "invalid_pilot"),
    ({"jobs": "many"}, 400, "invalid_pilot"),
    ({"jobs": 10**9}, 400, "invalid_pilot"),
    ({"concurrency": 5, "jobs": 2}, 400, "invalid_pilot"),
    ({"burst": "sometimes"}, 400, "invalid_pilot"),
    ({"target": {"item_id": "00000000-0000-0000-0000-000000000000"}}, 400, "invalid_pilot"),
    ({"target": {"region": {"x": 0}}}, 400, "invalid_pilot"),
    ({"colour": "red"}, 400, "invalid_pilot"),
    ({"prompt": ""}, 400, "invalid_pilot"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("raw", "status", "code"), MALFORMED, ids=[str(m[0]) for m in MALFORMED])
def test_malformed_bodies_are_refused_with_a_sentence(studio, raw, status, code):
    if isinstance(raw, dict) and "board" not in raw:
        raw = {**body(studio), **raw} if "engine" not in raw or raw["engine"] != "local" else raw
    got, answer = post(client_for(studio, "lead"), raw)
    assert (got, answer["error"]["code"]) == (status, code), answer
    message = answer["error"]["message"]
    assert message.endswith((".", ")")) and len(message) > 20
    assert not PilotRun.objects.exists()


@pytest.mark.django_db
def test_a_board_without_anchors_is_refused_with_what_to_do(studio):
    for anchor in studio.anchors:
        anchor.anchor_role = ""
        anchor.save(update_fields=["anchor_role"])
    got, answer = post(client_for(studio, "lead"), body(studio))
    assert got == 400 and "no anchors" in answer["error"]["message"]


@pytest.mark.django_db
def test_unknown_list_filters_are_sentences(studio):
    client = client_for(studio, "lead")
    for query in ("state=sleeping", "board=nope"):
        response = client.get(f"/api/v1/pilots?{query}")
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_pilot"


@pytest.mark.django_db
def test_cancel_mid_run_stops_its_jobs_and_keeps_the_finished_test(
    studio, monkeypatch, providers_fast
):
    from datetime import timedelta

    from canvas.pilot import consistency

    monkeypatch.setattr(consistency, "SCORE_WAIT", timedelta(0))  # scores are not the point
    run = runs.start_pilot(studio.board, studio.lead, body(studio, jobs=4, concurrency=1))
    machine.advance(run.pk)  # what the after-commit task does outside a test transaction
    run_jobs()  # the five variations
    machine.advance(run.pk)
    run.refresh_from_db()
    assert run.stage == PilotStage.LATENCY
    latency = Job.objects.filter(batch_id=run.latency_batch_id)
    assert latency.count() == 4
    assert latency.filter(not_before__isnull=True).count() == 1  # one released, three held
    claim_one_and_run()
    assert latency.filter(state=JobState.SUCCEEDED).count() == 1
    assert latency.filter(not_before__isnull=True, state=JobState.QUEUED).count() == 1

    answer = client_for(studio, "lead").post(f"/api/v1/pilots/{run.pk}/cancel").json()
    assert answer["state"] == PilotState.CANCELLED
    tests = answer["report"]["tests"]
    assert tests["consistency"]["status"] == "done"
    assert [tests[n]["status"] for n in ("latency", "export")] == ["cancelled", "cancelled"]
    assert answer["verdict"] == "ideation" and "Cancelled by lead" in answer["reason"]
    assert not latency.filter(state__in=(JobState.QUEUED, JobState.RUNNING)).exists()
    assert latency.filter(state=JobState.CANCELLED).count() == 3
    assert Batch.objects.get(pk=run.latency_batch_id).state == "cancelled"
    # Nothing moves it afterwards: no export is asked for, no job released.
    assert machine.advance(run.pk) == PilotState.CANCELLED
    assert PilotRun.objects.get(pk=run.pk).exports == {}


def claim_one_and_run():
    from canvas.jobs import queue, runner

    claim = queue.claim_next("pilot-test-worker")
    assert claim is not None
    runner.execute(claim.job_id, "pilot-test-worker")


@pytest.mark.django_db
def test_a_ticker_that_read_an_older_run_does_nothing(studio):
    """The guard itself: a step taken on a stale read loses and starts nothing."""
    run = runs.start_pilot(studio.board, studio.lead, body(studio))
    PilotRun.objects.filter(pk=run.pk).update(state=PilotState.QUEUED, stage=PilotStage.START)
    Batch.objects.all().delete()
    stale = PilotRun.objects.get(pk=run.pk)
    fresh = PilotRun.objects.get(pk=run.pk)
    assert machine._step(fresh) is True
    assert machine._step(stale) is False
    assert Batch.objects.filter(board=studio.board).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_tickers_at_once_start_each_test_once(studio, settings):
    """Two threads advance the same queued run at the same moment (on PostgreSQL they race
    for the row; SQLite serialises them): one consistency batch, one latency batch."""
    settings.ANCHORBOARD_DISPATCHER = "embedded"  # nobody advances it at commit
    run = runs.start_pilot(studio.board, studio.lead, body(studio))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def tick():
        try:
            barrier.wait(timeout=30)
            machine.advance(run.pk)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert Batch.objects.filter(board=studio.board).count() == 1
    assert Job.objects.filter(board=studio.board).count() == 5
    run.refresh_from_db()
    assert run.stage == PilotStage.CONSISTENCY and run.state == PilotState.RUNNING
