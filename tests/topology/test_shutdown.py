"""Graceful shutdown: SIGTERM a Celery worker in the middle of a job; the worker takes no
new job, finishes the one it runs (warm shutdown), then exits. SIGTERM the embedded server
(``manage.py serve``) during a burst of edits: it exits at once, cleanly, with its
operation log whole."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.load.client import Editor, LoadClient
from tests.load.servers import EmbeddedServer, raise_fd_limit
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


# --- The embedded server (``manage.py serve``) ------------------------------------------------


async def _burst_until_acknowledged(
    server: EmbeddedServer, seed: dict, acks: int
) -> tuple[list[LoadClient], list[asyncio.Task]]:
    """Editors send 5 batches/s each without waiting (as browsers do); returns once the
    server has acknowledged ``acks`` of them, with the editors still sending."""
    clients = [
        LoadClient(server.url, seed["board"], cookie, server.url) for cookie in seed["editors"]
    ]
    for client in clients:
        await client.connect()
    await asyncio.wait_for(asyncio.gather(*(c.synced.wait() for c in clients)), 120)
    count = len(clients)
    editors = [
        Editor(client, seed["items"][n::count], seed["items"], n)
        for n, client in enumerate(clients)
    ]
    for client in clients:
        client.record = True
    sending = [asyncio.create_task(e.run(time.time(), 120, 5.0)) for e in editors]
    while sum(len(c.stats.ack_latency) for c in clients) < acks:
        await asyncio.sleep(0.05)  # polling a condition bounded by the test's timeout
    return clients, sending


def _log_revisions(database: Path, board: str) -> tuple[int, list[int]]:
    with contextlib.closing(sqlite3.connect(database)) as db:
        key = uuid.UUID(board).hex  # SQLite stores UUIDs as 32 hex digits
        [(revision,)] = db.execute("SELECT revision FROM canvas_board WHERE id = ?", (key,))
        rows = db.execute(
            "SELECT revision FROM canvas_boardoperation WHERE board_id = ? ORDER BY revision",
            (key,),
        )
        return revision, [row[0] for row in rows]


def test_serve_exits_cleanly_on_sigterm_during_a_burst_of_edits(tmp_path):
    """SIGTERM while 10 editors send 50 batches/s: the server stops promptly with exit
    status 0 (it used to die with a segmentation fault while tearing down the event loop's
    leftover tasks), and what it committed is whole: a gapless operation log that ends at
    the board's revision."""
    raise_fd_limit()
    server = EmbeddedServer(tmp_path / "serve")
    server.start()
    try:
        seed = server.seed(10)

        async def burst_then_stop() -> None:
            clients, sending = await _burst_until_acknowledged(server, seed, acks=100)
            server.proc.send_signal(signal.SIGTERM)
            # Generous: proves "does not hang", not a speed.
            await asyncio.to_thread(server.proc.wait, 120)
            for task in sending:
                task.cancel()
            await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)

        asyncio.run(burst_then_stop())
        assert server.proc.returncode == 0, server.tail(60)
        assert "Traceback" not in server.tail(100000), server.tail(100)
        revision, logged = _log_revisions(tmp_path / "serve" / "anchorboard.sqlite3", seed["board"])
        assert revision >= 100 and logged == list(range(logged[0], revision + 1))
    finally:
        server.stop()
