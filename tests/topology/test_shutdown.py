"""Graceful shutdown: SIGTERM a Celery worker in the middle of a job; the worker takes no
new job, finishes the one it runs (warm shutdown), then exits."""

from __future__ import annotations

import signal

import httpx
import pytest

from tests.topology.conftest import url
from tests.topology.harness import wait_until
from tests.topology.test_kill import _login

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(600)]


def test_sigterm_lets_the_running_job_finish_on_the_same_worker(topo):
    seed = topo.seed("stopper")
    board = seed["board"]
    client: httpx.Client = _login(url(topo.webs[0]), seed)
    try:
        ids = []
        for n in range(6):
            reply = client.post(
                f"/api/v1/boards/{board}/jobs",
                json={
                    "mode": "img2img",
                    "engine": "topology-sleep",
                    "region": seed["region"],
                    "seed": n,
                },
                headers={"X-CSRFToken": client.cookies["csrftoken"]},
            )
            assert reply.status_code == 201, reply.text
            ids.append(reply.json()["id"])
    finally:
        client.close()
    by_pid = {str(proc.pid): proc for proc in topo.workers}
    rows = wait_until(
        lambda: [
            (job, w)
            for job, w in topo.sql(
                "SELECT id::text, worker_id FROM canvas_job WHERE board_id = %s "
                "AND state = 'running' AND progress > 0.1",
                (board,),
            )
            if w.split(":")[1] in by_pid
        ],
        timeout=120,
        what="a job in the middle of rendering",
        detail=topo.logs,
    )
    pid = rows[0][1].split(":")[1]
    victim = by_pid[pid]
    mid_job = {job for job, w in rows if w.split(":")[1] == pid}
    victim.popen.send_signal(signal.SIGTERM)
    victim.popen.wait(60)  # warm shutdown returns once its running tasks are done
    topo.workers.remove(victim)
    states = dict(
        topo.sql(
            "SELECT id::text, state || ':' || attempts || ':' || worker_id FROM canvas_job "
            "WHERE id = ANY(%s::uuid[])",
            (list(mid_job),),
        )
    )
    for job in mid_job:
        state, attempts, owner = states[job].split(":", 2)
        # Finished by the worker that was told to stop, in its first and only attempt.
        assert (state, attempts, owner.split(":")[1]) == ("succeeded", "1", pid), states[job]
    # The remaining jobs still complete on the other worker(s); replace the stopped one.
    topo.start_worker()
    wait_until(
        lambda: (
            topo.sql(
                "SELECT count(*) FROM canvas_job "
                "WHERE id = ANY(%s::uuid[]) AND state = 'succeeded'",
                (ids,),
            )[0][0]
            == len(ids)
        ),
        timeout=120,
        what="every job to succeed",
        detail=topo.logs,
    )
