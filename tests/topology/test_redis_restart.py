"""Restart Redis (without persistence: every message and group is lost) during a run:
websocket clients reconnect and catch up, and the queued jobs still complete."""

from __future__ import annotations

import uuid

import pytest

from tests.topology.client import BoardClient
from tests.topology.conftest import url

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(600)]


async def _client(web, seed) -> BoardClient:
    client = BoardClient(url(web), seed["board"])
    await client.login(seed["username"], seed["password"])
    await client.open()
    return client


def _text_item(name: str) -> dict:
    return {"op": "create", "item": {"id": str(uuid.uuid4()), "kind": "text", "name": name}}


async def test_redis_restart_clients_reconnect_catch_up_and_queued_jobs_complete(topo):
    seed = topo.seed("restarter")
    web_a, web_b = topo.webs
    a = await _client(web_a, seed)
    b = await _client(web_b, seed)
    try:
        # More jobs than the 4 worker slots: some are still queued when Redis goes away,
        # so their wake-up messages die with it.
        ids = [(await a.submit(seed["region"], seed=n))["id"] for n in range(10)]
        await b.wait_for(
            lambda: any(b.jobs.get(i, {}).get("state") == "succeeded" for i in ids),
            60,
            "a first job to succeed",
        )
        [(queued,)] = topo.sql(
            "SELECT count(*) FROM canvas_job WHERE id = ANY(%s::uuid[]) AND state = 'queued'",
            (ids,),
        )
        assert queued > 0  # the restart really hits jobs that still wait for a worker
        connects = (a.connects, b.connects)
        before = b.revision

        topo.restart_redis()

        # Both clients notice, reconnect and sync from the revision they had.
        await a.wait_for(lambda: a.connects > connects[0], 60, "A to reconnect")
        await b.wait_for(lambda: b.connects > connects[1], 60, "B to reconnect")
        # An edit made on A after the restart reaches B on the other server.
        await a.send_ops([_text_item("after the restart")])
        await a.wait_for(lambda: a.revision is not None and a.revision > before, 30, "A's ack")
        await b.wait_for(
            lambda: b.revision == a.revision and a.revision in b.applied_revisions,
            30,
            "B to receive A's edit",
        )
        # Every job queued before the restart completes, and both clients know it, live
        # or by reading the job list after reconnecting.
        await b.wait_for(lambda: b.finished(ids), 120, "B to see every job succeed")
        await a.wait_for(lambda: a.finished(ids), 30, "A to see every job succeed")
        per_job = dict(
            topo.sql(
                "SELECT job_id::text, count(*) FROM canvas_iteration "
                "WHERE job_id = ANY(%s::uuid[]) GROUP BY job_id",
                (ids,),
            )
        )
        assert per_job == {job: 1 for job in ids}
    finally:
        await a.close()
        await b.close()
