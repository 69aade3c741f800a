"""A batch under Celery while its machinery fails: a worker is SIGKILLed in the middle of a
batch job and Redis (broker and channel layer, no persistence) restarts while the rest of the
batch waits. The batch still ends ``completed`` with every job succeeded exactly once (one
result each), its counts match the job table, and a client on the other web server ends
knowing the batch ended — live, or by reading it again after it reconnected, as the board
page does.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.topology.client import BoardClient
from tests.topology.conftest import url
from tests.topology.harness import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(600)]

JOBS = 16  # 4 values × 4 seeds; more than the 4 worker slots, so most wait when things break


def _spec(region: dict) -> dict:
    return {
        "name": "Chaos run",
        "mode": "img2img",
        "prompt": "a {thing} on sand",
        "variables": {"thing": ["shoe", "boot", "clog", "sandal"]},
        "seeds": 4,
        "seed": 11,
        "engines": ["topology-sleep"],
        "targets": [{"region": region}],
    }


async def test_a_batch_survives_a_killed_worker_and_a_redis_restart(topo):
    seed = topo.seed("chaos")
    starter = BoardClient(url(topo.webs[0]), seed["board"])
    listener = BoardClient(url(topo.webs[1]), seed["board"])
    try:
        for client in (starter, listener):
            await client.login(seed["username"], seed["password"])
        await listener.open()
        reply = await starter.api("POST", f"/boards/{seed['board']}/batches", _spec(seed["region"]))
        assert reply.status_code == 201, reply.text
        assert reply.json()["accepted"] == JOBS
        batch = reply.json()["batch"]
        await asyncio.to_thread(_break_things_mid_batch, topo, batch)

        def ended() -> bool:
            [(state,)] = topo.sql("SELECT state FROM canvas_batch WHERE id = %s", (batch,))
            return state in ("completed", "cancelled")

        await asyncio.to_thread(
            wait_until, ended, timeout=300, what="the batch to end", every=0.25, detail=topo.logs
        )
        jobs = dict(
            topo.sql("SELECT id::text, state FROM canvas_job WHERE batch_id = %s", (batch,))
        )
        assert len(jobs) == JOBS and set(jobs.values()) == {"succeeded"}, jobs
        per_job = dict(
            topo.sql(
                "SELECT job_id::text, count(*) FROM canvas_iteration "
                "WHERE job_id = ANY(%s::uuid[]) GROUP BY job_id",
                (list(jobs),),
            )
        )
        assert per_job == {job: 1 for job in jobs}
        api_view = (await starter.api("GET", f"/batches/{batch}")).json()
        assert api_view["state"] == "completed"
        assert api_view["counts"]["succeeded"] == JOBS and api_view["done"] == JOBS

        await listener.wait_for(
            lambda: (
                listener.batches.get(batch, {}).get("state") == "completed"
                and listener.batches[batch]["counts"]["succeeded"] == JOBS
            ),
            60,
            "the listener to know the batch completed",
        )
        assert listener.connects >= 2  # it really lost its socket to the Redis restart
    finally:
        await starter.close()
        await listener.close()


def _break_things_mid_batch(topo, batch: str) -> None:
    """Kill the worker of a batch job that has started rendering (a replacement starts), then
    restart Redis while batch jobs still wait in the queue."""
    by_pid = {str(proc.pid): proc for proc in topo.workers}

    def mid_job():
        rows = topo.sql(
            "SELECT worker_id FROM canvas_job WHERE batch_id = %s "
            "AND state = 'running' AND progress > 0.1",
            (batch,),
        )
        return [w for (w,) in rows if w.split(":")[1] in by_pid]

    running = wait_until(mid_job, timeout=120, what="a batch job mid-render", detail=topo.logs)
    topo.kill(by_pid[running[0].split(":")[1]])
    topo.start_worker()
    [(waiting,)] = topo.sql(
        "SELECT count(*) FROM canvas_job WHERE batch_id = %s AND state = 'queued'", (batch,)
    )
    assert waiting > 0  # the restart hits batch jobs that still wait for a worker
    topo.restart_redis()
