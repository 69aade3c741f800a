"""Batch benchmark (issue 15): a 500-job batch against a fake provider, embedded mode.

Starts the real server (``manage.py serve``: Daphne, the board socket, the embedded worker
pool) in a child process that first registers ``bench-fake``, an engine behind provider
``fakeprov`` that answers after ``--latency`` seconds (default 2; it waits, as a remote
provider would, and returns its input), with ``ANCHORBOARD_PROVIDER_LIMITS=fakeprov=C``
(``--parallel``, default 8) and C + 2 embedded workers; the per-person cap stays at its
default (2: it counts interactive jobs only, docs/jobs.md), so one person's batch uses the
provider's C slots. Then, from outside, as a client:

(a) expand + submit: ``POST /api/v1/boards/{id}/batches`` with one prompt template,
    5 × 4 variable values and 25 seeds = 500 jobs; the request's wall time (``--submits``
    extra batches are submitted paused and cancelled first, to time the submit alone);
(b) wall time of the batch: its ``created_at`` → ``finished_at`` against the ideal
    500 × latency / C;
(c) an interactive job submitted by another person ``--interactive-at`` seconds into the
    batch: from the first moment a provider slot was free after it was queued (the
    earliest batch job to finish after its ``queued_at``) to its ``started_at``;
(d) the ``batch_progress`` messages on the board socket: how many, and the most in any
    one-second window (the limit is 2/s per batch).

Usage: .venv/bin/python bench/batch_bench.py [--parallel 8] [--latency 2] [--submit-only]

Throwaway data folder (deleted at the end unless --keep); DATABASE_URL, REDIS_URL and S3
settings from the environment are ignored on purpose. This script must not be imported by
the application or the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from jobs_bench import free_port, wait_healthy  # bench/ is the script's folder

ROOT = Path(__file__).resolve().parent.parent
ENGINE = "bench-fake"
PROVIDER = "fakeprov"
REGION = {"x": 0, "y": 0, "width": 128, "height": 128}


def spec() -> dict:
    return {
        "name": "Bench 500",
        "prompt": "a {product} on a {background} set",
        "variables": {
            "product": ["sneaker", "boot", "sandal", "loafer", "clog"],
            "background": ["sand", "snow", "studio", "street"],
        },
        "seeds": 25,
        "seed": 7,
        "engines": [ENGINE],
        "targets": [{"region": REGION}],
    }


def server_env(data_dir: Path, dispatcher: str, parallel: int, latency: float) -> dict[str, str]:
    env = dict(os.environ)
    for name in (
        "DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME", "DJANGO_ENV",
        "ANCHORBOARD_JOB_USER_CONCURRENCY", "ANCHORBOARD_JOB_BULK_USER_CONCURRENCY",
    ):  # fmt: skip
        env.pop(name, None)
    env.update(
        {
            "ANCHORBOARD_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "anchorboard.settings",
            "ANCHORBOARD_DISPATCHER": dispatcher,
            "DJANGO_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            "ANCHORBOARD_PROVIDER_LIMITS": f"{PROVIDER}={parallel}",
            "ANCHORBOARD_EMBEDDED_WORKERS": str(parallel + 2),
            "BENCH_LATENCY": str(latency),
        }
    )
    return env


def register_engine_now() -> None:
    import threading

    from canvas.engines import EngineCapabilities, EngineResult, JobCancelled, Mode, register_engine
    from canvas.engines.base import Engine

    latency = float(os.environ.get("BENCH_LATENCY", "2"))

    @register_engine(ENGINE)
    class FakeProviderEngine(Engine):
        """A remote provider's stand-in: answers after ``latency`` seconds."""

        provider = PROVIDER

        def capabilities(self) -> EngineCapabilities:
            return EngineCapabilities(
                label="Bench fake provider",
                generative=True,
                modes=frozenset({Mode.IMG2IMG}),
                max_count=1,
            )

        def run(self, request, progress):
            answered = threading.Event()
            # The provider's latency: a wait the cancel check can interrupt.
            deadline = time.monotonic() + latency
            while not answered.wait(min(0.5, max(0.0, deadline - time.monotonic()))):
                if time.monotonic() >= deadline:
                    break
                if progress.cancelled():
                    raise JobCancelled()
            return [EngineResult(image=request.source, seed=request.seed, engine=self.name)]


# --- children -------------------------------------------------------------------------------


def seed_child() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from assets.services import ingest_bytes
    from canvas.models import BoardMember, Item, ItemKind, Role
    from canvas.models.tokens import ApiToken
    from tests import factories

    call_command("migrate", verbosity=0)
    users = get_user_model().objects
    user = users.create_user("bench", "bench@example.test", "bench")
    other = users.create_user("other", "other@example.test", "other")
    board = factories.make_board(name="Batch bench", owner=user)
    BoardMember.objects.create(board=board, user=other, role=Role.EDITOR)
    asset = ingest_bytes(board, user, factories.png_bytes((128, 128), (90, 60, 30)), "base.png")
    Item.objects.create(board=board, kind=ItemKind.IMAGE, asset=asset, width=128, height=128, z=1)
    _, token = ApiToken.issue(user, "bench")
    _, other_token = ApiToken.issue(other, "bench")
    client = Client()
    client.force_login(user)
    seed = {
        "board": str(board.pk),
        "token": token,
        "other_token": other_token,
        "session": client.cookies["sessionid"].value,
    }
    print("SEED" + json.dumps(seed))


def serve_child(port: int) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    register_engine_now()
    call_command("serve", no_demo=True, port=port)


def submit_child(board_id: str, runs: int) -> None:
    """Expand + submit in-process (no HTTP): runs.start_batch timed, then cancelled."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from canvas.batches import runs as batch_runs
    from canvas.models import Board

    register_engine_now()
    board = Board.objects.get(pk=board_id)
    user = get_user_model().objects.get(username="bench")
    times = []
    for _ in range(runs):
        board.refresh_from_db()
        started = time.perf_counter()
        batch, summary = batch_runs.start_batch(board, user, spec())
        times.append(time.perf_counter() - started)
        assert summary["accepted"] == 500, summary["refusals"]
        batch_runs.pause_batch(batch)
        batch_runs.cancel_batch(batch)
    print("SUBMIT" + json.dumps(times))


# --- parent ---------------------------------------------------------------------------------


async def follow(base_url: str, seed: dict, args) -> dict:
    import httpx
    import websockets

    ws_url = base_url.replace("http", "ws", 1) + f"/ws/boards/{seed['board']}/"
    api = f"{base_url}/api/v1"
    progress: list[tuple[float, dict]] = []
    out: dict = {}
    async with (
        websockets.connect(
            ws_url,
            additional_headers={"Cookie": f"sessionid={seed['session']}"},
            origin=base_url,
            max_size=None,
        ) as ws,
        httpx.AsyncClient(
            headers={"Authorization": f"Bearer {seed['token']}"}, timeout=120
        ) as http,
        httpx.AsyncClient(
            headers={"Authorization": f"Bearer {seed['other_token']}"}, timeout=60
        ) as other,
    ):
        await ws.send(json.dumps({"type": "sync", "since": None}))

        async def read() -> None:
            async for text in ws:
                message = json.loads(text)
                if message.get("type") == "batch_progress":
                    progress.append((time.monotonic(), message["batch"]))

        reader = asyncio.create_task(read())
        try:
            started = time.perf_counter()
            reply = await http.post(f"{api}/boards/{seed['board']}/batches", json=spec())
            out["submit_http_s"] = time.perf_counter() - started
            if reply.status_code != 201:
                raise SystemExit(f"batch refused: {reply.status_code} {reply.text}")
            batch_id = reply.json()["batch"]
            await asyncio.sleep(args.interactive_at)
            job = {"mode": "img2img", "engine": ENGINE, "region": REGION, "seed": 1}
            answer = await other.post(f"{api}/boards/{seed['board']}/jobs", json=job)
            answer.raise_for_status()
            interactive = answer.json()["id"]
            while True:
                batch = (await http.get(f"{api}/batches/{batch_id}")).json()
                if batch["finished_at"]:
                    break
                await asyncio.sleep(1.0)
            out["batch"] = batch
            jobs = []
            url = f"{api}/boards/{seed['board']}/jobs?page_size=200"
            while url:
                page = (await http.get(url)).json()
                jobs.extend(page["items"])
                url = page["next"]
            out["jobs"] = jobs
            out["interactive"] = interactive
            await asyncio.sleep(1.5)  # the last progress message
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
    out["progress"] = progress
    return out


def when(text: str | None) -> float:
    return datetime.fromisoformat(text).timestamp() if text else float("nan")


def report(out: dict, args, submit_times: list[float], load: str) -> None:
    batch, jobs = out["batch"], out["jobs"]
    ideal = 500 * args.latency / args.parallel
    wall = when(batch["finished_at"]) - when(batch["created_at"])
    # This batch's jobs: bulk, started (the in-process submit batches were cancelled unrun).
    mine = [
        j for j in jobs
        if j["id"] != out["interactive"] and j["priority"] == 0 and j["started_at"]
    ]  # fmt: skip
    first_start = min(when(j["started_at"]) for j in mine)
    run_wall = max(when(j["finished_at"]) for j in mine) - first_start
    runs = [when(j["finished_at"]) - when(j["started_at"]) for j in mine]
    inter = next(j for j in jobs if j["id"] == out["interactive"])
    queued = when(inter["queued_at"])
    freed = min(when(j["finished_at"]) for j in mine if when(j["finished_at"]) >= queued)
    wait = when(inter["started_at"]) - freed
    times = sorted(t for t, _ in out["progress"])
    before_end = times[:-1]  # the last one is the batch's end, sent at once
    most = max((sum(1 for u in before_end if t <= u < t + 1.0) for t in before_end), default=0)
    gaps = sorted(b - a for a, b in itertools.pairwise(before_end))
    states = statistics.multimode(j["state"] for j in mine)
    print()
    print(f"load average (1/5/15 min) before / after: {load} on {os.cpu_count()} CPUs")
    print(f"(a) expand + submit 500 jobs: HTTP {out['submit_http_s']:.2f} s; in-process "
          f"runs.start_batch {', '.join(f'{t:.2f}' for t in submit_times)} s")  # fmt: skip
    print(f"(b) batch created → finished {wall:.1f} s; first start → last end "
          f"{run_wall:.1f} s; ideal 500 × {args.latency:g} / {args.parallel} = {ideal:.1f} s"
          f" → ×{wall / ideal:.3f} (target ≤ 1.1); states {states}, "
          f"counts {batch['counts']}")  # fmt: skip
    busy = sum(runs) / (args.parallel * run_wall)
    print(f"    {len(mine)} jobs ran; started → finished mean {statistics.mean(runs):.3f} s, "
          f"median {statistics.median(runs):.3f} s, max {max(runs):.2f} s; slots busy "
          f"{busy:.1%} of the wall time")  # fmt: skip
    print(f"(c) interactive job queued {queued - first_start:.1f} s into the batch; a slot "
          f"freed {freed - queued:.2f} s after; it started {wait:.3f} s after the free "
          "slot (target ≤ 1 s)")  # fmt: skip
    print(f"(d) batch_progress messages: {len(times)}; before the final one at most {most} in "
          f"any 1 s window, shortest gap {gaps[0] if gaps else float('nan'):.3f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--interactive-at", type=float, default=30.0)
    parser.add_argument("--submits", type=int, default=3, help="in-process submit timings")
    parser.add_argument("--submit-only", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    parser.add_argument("--seed-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--submit-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_child:
        seed_child()
        return
    if args.serve_child:
        serve_child(args.serve_child)
        return
    if args.submit_child:
        submit_child(args.submit_child, args.submits)
        return

    data_dir = Path(tempfile.mkdtemp(prefix="anchorboard-batch-bench-"))
    proc = None
    inline = server_env(data_dir, "inline", args.parallel, args.latency)
    try:
        load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
        out = subprocess.run(
            [sys.executable, __file__, "--seed-child"],
            cwd=ROOT, env=inline, check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        seed = json.loads(next(x for x in out.splitlines() if x.startswith("SEED"))[4:])
        out = subprocess.run(
            [sys.executable, __file__, "--submit-child", seed["board"], "--submits",
             str(args.submits)],
            cwd=ROOT, env=inline, check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        submit_times = json.loads(next(x for x in out.splitlines() if x.startswith("SUBMIT"))[6:])
        if args.submit_only:
            load = f"{load_before} / " + " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"load average before / after: {load} on {os.cpu_count()} CPUs")
            print("expand + submit 500 jobs (runs.start_batch, in-process): "
                  + ", ".join(f"{t:.3f}" for t in submit_times) + " s")  # fmt: skip
            return
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve-child", str(port)],
            cwd=ROOT,
            env=server_env(data_dir, "embedded", args.parallel, args.latency),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_healthy(base_url, proc)
        result = asyncio.run(follow(base_url, seed, args))
        load = f"{load_before} / " + " ".join(f"{x:.2f}" for x in os.getloadavg())
        report(result, args, submit_times, load)
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if args.keep:
            print(f"data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
