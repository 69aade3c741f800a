"""Job updates reach a viewer's board socket through the real ASGI stack."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from canvas.jobs import queue, runner
from tests import factories
from tests.jobs.conftest import REGION
from tests.wsclient import open_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def test_viewer_sees_job_state_and_results(board, owner, image_item):
    viewer = await database_sync_to_async(factories.make_user)("watcher")
    await database_sync_to_async(board.memberships.create)(user=viewer, role="viewer")
    sock, welcome = await open_socket(board, viewer)
    assert welcome["type"] == "welcome"
    await sock.sync()

    def submit_and_run():
        job = queue.submit_job(
            board, owner, {"mode": "img2img", "engine": "test-echo", "region": REGION, "seed": 1}
        )
        claim = queue.claim_next("w")
        runner.execute(claim.job_id, "w")
        return job

    job = await database_sync_to_async(submit_and_run)()
    seen = []
    while not any(m.get("type") == "job" and m["job"]["state"] == "succeeded" for m in seen):
        seen.append(await sock.recv())
    jobs = [m["job"] for m in seen if m["type"] == "job"]
    assert jobs[0]["id"] == str(job.pk) and jobs[0]["state"] == "queued"
    assert [j["version"] for j in jobs] == sorted(j["version"] for j in jobs)
    assert any(m["type"] == "job_preview" for m in seen)
    assert any(m["type"] == "iteration" and m["iteration"]["job"] == str(job.pk) for m in seen)
    await sock.close()
