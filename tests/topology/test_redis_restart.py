"""Restart Redis (without persistence: every message and group is lost) while workers are
busy, with no supervisor: the workers survive and reconnect by themselves, websocket
clients reconnect and catch up, and every job still ends."""

from __future__ import annotations

import re
import signal
import uuid

import pytest
from celery import Celery

from tests.topology.client import BoardClient
from tests.topology.conftest import url
from tests.topology.harness import wait_until

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
        busy = topo.sql(
            "SELECT DISTINCT split_part(worker_id, ':', 2) FROM canvas_job "
            "WHERE id = ANY(%s::uuid[]) AND state = 'running'",
            (ids,),
        )
        assert busy  # … and workers in the middle of jobs
        workers = list(topo.workers)
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
        # The same worker processes did it: none died, nobody restarted them.
        assert topo.workers == workers and all(w.alive() for w in workers), topo.logs()
        assert not [w.name for w in workers if "Unrecoverable error" in w.log_text()]
    finally:
        await a.close()
        await b.close()


def test_a_busy_worker_with_room_for_more_survives_the_broker_restarting(topo):
    """The exact state that killed workers (kombu 5.7.0, anchorboard/broker.py): tasks
    running, prefetched ones unacknowledged, and a BRPOP in flight for more."""
    worker = topo.start_worker(
        concurrency=4,
        queues="broker-loss",
        include="tests.topology.engines,tests.topology.sleepy",
    )
    try:
        _sleep_tasks(topo, [f"before-{n}" for n in range(6)], seconds=8)
        # 4 slots busy, 2 wake-ups prefetched (prefetch 4 counts only those): room for more.
        wait_until(
            lambda: _sleepy(worker, "started") >= 4,
            timeout=60,
            what="four tasks running",
            detail=worker.tail,
        )
        connected = worker.log_text().count("Connected to")
        topo.restart_redis()
        wait_until(
            lambda: worker.log_text().count("Connected to") > connected or not worker.alive(),
            timeout=90,
            what="the worker to reconnect",
            detail=worker.tail,
        )
        # The running tasks finish on the surviving worker …
        wait_until(
            lambda: _sleepy(worker, "finished") >= 4 or not worker.alive(),
            timeout=90,
            what="the running tasks to finish",
            detail=worker.tail,
        )
        # … and it takes new work from the new broker.
        _sleep_tasks(topo, ["after"], seconds=0)
        wait_until(
            lambda: "sleepy after finished" in worker.log_text() or not worker.alive(),
            timeout=90,
            what="a task sent after the restart",
            detail=worker.tail,
        )
        assert worker.alive(), worker.tail()
        assert "Unrecoverable error" not in worker.log_text()
    finally:
        topo._stop(worker, signal.SIGTERM)
        topo.workers.remove(worker)


def _sleepy(worker, what: str) -> int:
    """How many of the tasks sent before the restart printed ``what``."""
    return len(re.findall(rf"sleepy before-\d+ {what}", worker.log_text()))


def _sleep_tasks(topo, labels: list[str], seconds: float) -> None:
    app = Celery(broker=f"redis://127.0.0.1:{topo.redis_port}/0")
    try:
        for label in labels:
            app.send_task(
                "anchorboard.run_task",
                args=["tests.topology.sleep", [label, seconds]],
                queue="broker-loss",
            )
    finally:
        app.close()
