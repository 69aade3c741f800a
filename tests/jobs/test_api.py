"""The jobs API: permissions, error bodies, submit/list/steer jobs, act on results."""

from __future__ import annotations

import pytest
from django.test import Client

from canvas.jobs import queue, runner
from canvas.models import ApiToken, Item, Job, JobState
from tests import factories
from tests.jobs.conftest import REGION

pytestmark = pytest.mark.django_db

SPEC = {"mode": "img2img", "engine": "test-echo", "region": REGION, "seed": 3, "prompt": "Dusk"}


def client_for(user) -> Client:
    _, token = ApiToken.issue(user, name="test")
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def api(owner):
    return client_for(owner)


@pytest.fixture
def viewer(board):
    user = factories.make_user("viewer")
    board.memberships.create(user=user, role="viewer")
    return client_for(user)


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_submit_and_read_a_job(api, board, image_item):
    response = post(api, f"/api/v1/boards/{board.pk}/jobs", {**SPEC, "count": 2})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "queued" and body["spec"]["count"] == 2 and body["version"] == 1
    assert "layers" not in body["spec"]
    assert Job.objects.get(pk=body["id"]).spec["layers"][0]["item_id"] == str(image_item.pk)
    again = api.get(f"/api/v1/jobs/{body['id']}")
    assert again.status_code == 200 and again.json()["id"] == body["id"]


def test_submit_errors_are_actionable(api, board, image_item):
    url = f"/api/v1/boards/{board.pk}/jobs"
    too_many = post(api, url, {**SPEC, "count": 40})
    assert too_many.status_code == 400
    assert too_many.json()["error"]["code"] == "invalid_job"
    assert "between 1 and 32" in too_many.json()["error"]["message"]
    unsupported = post(api, url, {**SPEC, "mode": "upscale", "scale": 3})
    assert unsupported.status_code == 400
    assert unsupported.json()["error"]["code"] == "unsupported_request"
    unknown = post(api, url, {**SPEC, "engine": "nope"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_engine"
    malformed = post(api, url, {"mode": "img2img"})  # no region
    assert malformed.status_code in (400, 422) and "error" in malformed.json()
    assert not Job.objects.exists()


def test_permissions(api, viewer, board, image_item):
    outsider = client_for(factories.make_user("outsider"))
    url = f"/api/v1/boards/{board.pk}/jobs"
    refused = post(viewer, url, SPEC)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert post(outsider, url, SPEC).status_code == 404
    job_id = post(api, url, SPEC).json()["id"]
    assert viewer.get(f"/api/v1/jobs/{job_id}").status_code == 200
    assert outsider.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert post(viewer, f"/api/v1/jobs/{job_id}/cancel").status_code == 403
    assert post(viewer, f"/api/v1/boards/{board.pk}/queue/pause").status_code == 403
    assert api.get("/api/v1/jobs/not-a-uuid").json()["error"]["code"] == "job_not_found"


def test_list_filters(api, board, owner, image_item):
    url = f"/api/v1/boards/{board.pk}/jobs"
    first = post(api, url, SPEC).json()
    second = post(api, url, {**SPEC, "prompt": "Morning fog"}).json()
    queue.cancel_job(Job.objects.get(pk=second["id"]))
    everything = api.get(url).json()
    assert [j["id"] for j in everything["items"]] == [second["id"], first["id"]]
    assert [j["id"] for j in api.get(url, {"state": "queued"}).json()["items"]] == [first["id"]]
    assert [j["id"] for j in api.get(url, {"q": "fog"}).json()["items"]] == [second["id"]]
    assert api.get(url, {"author": owner.pk + 1000}).json()["count"] == 0


def test_cancel_retry_move_pause(api, board, image_item):
    url = f"/api/v1/boards/{board.pk}/jobs"
    a = post(api, url, SPEC).json()
    b = post(api, url, SPEC).json()
    moved = post(api, f"/api/v1/jobs/{b['id']}/move", {"to": "front"}).json()
    assert moved["position"] < a["position"] and moved["version"] == 2
    bad_move = post(api, f"/api/v1/jobs/{b['id']}/move", {"to": "middle"})
    assert bad_move.status_code in (400, 422) and "error" in bad_move.json()
    cancelled = post(api, f"/api/v1/jobs/{a['id']}/cancel").json()
    assert cancelled["state"] == "cancelled"
    twice = post(api, f"/api/v1/jobs/{a['id']}/cancel")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "job_state_conflict"
    retried = post(api, f"/api/v1/jobs/{a['id']}/retry")
    assert retried.status_code == 201 and retried.json()["retried_from"] == a["id"]
    assert post(api, f"/api/v1/boards/{board.pk}/queue/pause").json() == {
        "board": str(board.pk),
        "paused": True,
    }
    assert queue.claim_next("w") is None
    post(api, f"/api/v1/boards/{board.pk}/queue/resume")
    assert queue.claim_next("w").job_id is not None


def _finished_job(api, board, count=2):
    job_id = post(api, f"/api/v1/boards/{board.pk}/jobs", {**SPEC, "count": count}).json()["id"]
    claim = queue.claim_next("w")
    assert runner.execute(claim.job_id, "w") == JobState.SUCCEEDED
    return job_id


def test_results_history_and_actions(api, viewer, board, image_item):
    job_id = _finished_job(api, board)
    history = viewer.get(f"/api/v1/boards/{board.pk}/iterations", {"job": job_id}).json()
    assert history["count"] == 2
    first, second = sorted(history["items"], key=lambda it: it["index"])
    assert first["status"] == "staged" and first["provenance"]["prompt"] == "Dusk"
    assert post(viewer, f"/api/v1/iterations/{first['id']}/apply").status_code == 403

    applied = post(api, f"/api/v1/iterations/{first['id']}/apply").json()
    assert applied["status"] == "applied" and applied["is_current"]
    assert Item.objects.get(pk=applied["applied_item"]).asset_id is not None
    current = post(api, f"/api/v1/iterations/{second['id']}/make-current").json()
    assert current["is_current"]
    discarded = post(api, f"/api/v1/iterations/{first['id']}/discard").json()
    assert discarded["status"] == "discarded"
    assert (
        api.get(f"/api/v1/boards/{board.pk}/iterations", {"status": "discarded"}).json()["count"]
        == 1
    )
    refused = post(api, f"/api/v1/iterations/{first['id']}/apply")
    assert refused.status_code == 409
    assert post(api, f"/api/v1/iterations/{first['id']}/restore").json()["status"] == "staged"
    rerun = post(api, f"/api/v1/iterations/{first['id']}/rerun")
    assert rerun.status_code == 201 and rerun.json()["spec"]["seed"] == 3
    lineage = api.get(f"/api/v1/iterations/{first['id']}/lineage").json()
    assert lineage["id"] == first["id"]


def test_apply_several_as_a_grid(api, board, image_item):
    job_id = _finished_job(api, board, count=3)
    ids = [
        it["id"]
        for it in api.get(f"/api/v1/boards/{board.pk}/iterations", {"job": job_id}).json()["items"]
    ]
    response = post(api, f"/api/v1/boards/{board.pk}/iterations/apply", {"iterations": ids})
    assert response.status_code == 200
    assert {it["status"] for it in response.json()} == {"applied"}
    other = factories.make_board(owner=factories.make_user("x"))
    assert (
        post(api, f"/api/v1/boards/{other.pk}/iterations/apply", {"iterations": ids}).status_code
        == 404
    )


def test_schema_documents_the_job_endpoints(api):
    paths = api.get("/api/v1/schema").json()["paths"]
    for path in (
        "/api/v1/boards/{board_id}/jobs",
        "/api/v1/jobs/{job_id}/cancel",
        "/api/v1/boards/{board_id}/queue/pause",
        "/api/v1/iterations/{iteration_id}/make-current",
    ):
        assert path in paths
