"""SIGKILL Celery workers in the middle of jobs, again and again: every job still ends
exactly once (recovered through its lease, run again, results stored once), and every
client that only listened — one on each web server, never re-reading through the API —
ends with exactly the API's jobs, versions and results."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from tests.topology.client import BoardClient
from tests.topology.conftest import TEST_ENV, url
from tests.topology.harness import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(900)]

KILLS = 10
LEASE = float(TEST_ENV["ANCHORBOARD_JOB_LEASE_SECONDS"])
UNFINISHED_COUNT = (
    "SELECT count(*) FROM canvas_job WHERE board_id = %s AND state IN ('queued', 'running')"
)


def _login(base: str, seed) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    client.get("/login/").raise_for_status()
    reply = client.post(
        "/login/",
        data={
            "username": seed["username"],
            "password": seed["password"],
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
    )
    assert reply.status_code == 302, reply.text[:300]
    return client


async def test_kill_workers_mid_job_every_job_ends_once_and_every_listener_saw_it(topo):
    seed = topo.seed("killer")
    listeners = [BoardClient(url(web), seed["board"], reread=False) for web in topo.webs]
    try:
        for listener in listeners:
            await listener.login(seed["username"], seed["password"])
            await listener.open()  # before the first job: it learns of every job live
        # The kills block (HTTP, SQL, waiting for workers): off the loop the clients read on.
        submitted = await asyncio.to_thread(_kill_workers_mid_job, topo, seed)
        jobs = await listeners[0].api("GET", f"/boards/{seed['board']}/jobs?page_size=200")
        results = await listeners[0].api("GET", f"/boards/{seed['board']}/iterations?page_size=200")
        expected = _view(
            {job["id"]: job for job in jobs.json()["items"]},
            {it["id"]: it for it in results.json()["items"]},
        )
        assert sorted(expected[0]) == sorted(submitted)
        for listener in listeners:
            try:
                await listener.wait_for(
                    lambda listener=listener: _view(listener.jobs, listener.iterations) == expected,
                    60,
                    "the listener's jobs and results to equal the API's",
                )
            except AssertionError:
                raise AssertionError(_differences(listener, expected)) from None
            # One connection from start to end: nothing was caught up by reconnecting.
            assert listener.connects == 1, listener.closed_codes
    finally:
        for listener in listeners:
            await listener.close()


def _view(jobs: dict, iterations: dict) -> tuple[dict, dict]:
    """What a client must agree on: each job's state and version, each result's status."""
    return (
        {job_id: (job["state"], job["version"]) for job_id, job in jobs.items()},
        {it_id: (it["job"], it["status"]) for it_id, it in iterations.items()},
    )


def _differences(listener: BoardClient, expected: tuple[dict, dict]) -> str:
    got = _view(listener.jobs, listener.iterations)
    lines = [f"{listener.base} disagrees with the API (listener, API):"]
    for what, mine, theirs in (("job", got[0], expected[0]), ("result", got[1], expected[1])):
        for key in sorted(mine.keys() | theirs.keys()):
            if mine.get(key) != theirs.get(key):
                lines.append(f"  {what} {key}: {mine.get(key)} != {theirs.get(key)}")
    return "\n".join(lines)


def _kill_workers_mid_job(topo, seed) -> list[str]:
    board = seed["board"]
    client = _login(url(topo.webs[0]), seed)
    submitted: list[str] = []

    def keep_busy(target: int = 6) -> None:
        [(unfinished,)] = topo.sql(UNFINISHED_COUNT, (board,))
        for _ in range(max(0, target - unfinished)):
            reply = client.post(
                f"/api/v1/boards/{board}/jobs",
                json={
                    "mode": "img2img",
                    "engine": "topology-sleep",
                    "region": seed["region"],
                    "seed": len(submitted),
                },
                headers={"X-CSRFToken": client.cookies["csrftoken"]},
            )
            assert reply.status_code == 201, reply.text
            submitted.append(reply.json()["id"])

    # How often each job was cut off mid-render: one job may be killed more than once.
    interrupted: Counter[str] = Counter()
    try:
        for kill in range(KILLS):
            keep_busy()
            by_pid = {str(proc.pid): proc for proc in topo.workers}

            def mid_job(by_pid=by_pid):
                # A job of a live worker that has started rendering (progress written),
                # with how long its lease has left on the database clock.
                rows = topo.sql(
                    "SELECT id::text, worker_id, extract(epoch FROM lease_expires_at - now()) "
                    "FROM canvas_job WHERE board_id = %s "
                    "AND state = 'running' AND progress > 0.1",
                    (board,),
                )
                return [(job, w, left) for job, w, left in rows if w.split(":")[1] in by_pid]

            running = wait_until(
                mid_job,
                timeout=120,
                what=f"a job in the middle of rendering (kill {kill + 1})",
                detail=topo.logs,
            )
            victim = by_pid[running[0][1].split(":")[1]]
            # Recovery's bound: a running job's lease is at most one lease ahead, renewed by
            # heartbeats — not minutes — so its worker's death shows within a lease.
            assert all(float(left) <= LEASE + 0.5 for _, _, left in running), running
            topo.kill(victim)
            cut = [job for job, w, _ in running if w.split(":")[1] == str(victim.pid)]
            assert cut  # the victim was in the middle of a job when it died
            interrupted.update(cut)
            topo.start_worker()

        def all_ended() -> bool:
            [(left,)] = topo.sql(UNFINISHED_COUNT, (board,))
            return left == 0

        wait_until(all_ended, timeout=240, what="every job to end", every=0.25, detail=topo.logs)
    finally:
        client.close()

    jobs = dict(topo.sql("SELECT id::text, state FROM canvas_job WHERE board_id = %s", (board,)))
    assert sorted(jobs) == sorted(submitted)  # nothing lost, nothing invented
    assert set(jobs.values()) == {"succeeded"}, jobs  # none stuck, none given up
    assert interrupted.total() >= KILLS
    attempts = dict(
        topo.sql("SELECT id::text, attempts FROM canvas_job WHERE board_id = %s", (board,))
    )
    # Kills really cut jobs off and they ran again. Exact per-job bookkeeping would race (a
    # job seen mid-render can finish in the instant before its worker dies, and a kill also
    # cuts off jobs that had only just started), so: most kills must show up as extra
    # attempts.
    reruns = sum(count - 1 for count in attempts.values())
    assert reruns >= KILLS // 2, (attempts, interrupted)
    # Exactly one result per job (Iteration is unique per (job, index)) …
    per_job = dict(
        topo.sql(
            "SELECT job_id::text, count(*) FROM canvas_iteration WHERE board_id = %s "
            "GROUP BY job_id",
            (board,),
        )
    )
    assert per_job == {job: 1 for job in submitted}
    # … and a re-run stored the same bytes: one blob per result, however often it ran.
    blobs = topo.sql(
        "SELECT count(DISTINCT blob_id) FROM assets_asset WHERE board_id = %s "
        "AND filename LIKE 'job-%%-1.png' GROUP BY filename",
        (board,),
    )
    assert len(blobs) == len(submitted) and {n for (n,) in blobs} == {1}
    return submitted
