"""Region-job benchmark: what the platform adds around an engine, and how many jobs it runs.

Starts the real server (``manage.py serve``: Daphne, the board consumer, the embedded
worker pool) in a child process that first registers ``bench-identity``, a zero-latency
engine that returns its input unchanged, then measures from outside, as a client would:

(a) platform overhead on a 2048 × 2048 region (four 1024 px photo-like tiles plus a
    rotated, half-transparent overlay): ``POST /api/v1/boards/{id}/jobs`` → the board
    websocket delivers the ``iteration`` message and the ``job`` message with state
    ``succeeded``. Jobs cannot be submitted over the websocket (the board socket only
    relays job messages), so submit goes through the API. The job rows' own timestamps
    split the time into queue wait and run. This is compared with the raw Pillow work on
    the same pixels measured alone (decode the originals, crop, composite, encode one
    PNG), and with ``canvas.compositing.composite`` alone.
(b) throughput: ``--jobs`` (default 200) jobs on a 64 × 64 region with the same engine,
    submitted back to back through the API; jobs per second from the first submit to the
    last ``succeeded`` message, with the server's defaults (2 embedded workers, 2 running
    jobs per person);
(c) the worker pool alone: as many jobs again, queued while the board's queue is paused,
    then timed from resume to the last ``succeeded`` (idle workers notice within their
    1 s poll).

Usage: .venv/bin/python bench/jobs_bench.py [--runs 5] [--jobs 200]

Throwaway data folder (deleted at the end unless --keep); DATABASE_URL, REDIS_URL and S3
settings from the environment are ignored on purpose. This script must not be imported by
the application or the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
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

import seeding  # bench/ is the script's folder

ROOT = Path(__file__).resolve().parent.parent
ENGINE = "bench-identity"
BIG_REGION = {"x": 0, "y": 0, "width": 2048, "height": 2048}
TINY_REGION = {"x": 5000, "y": 5000, "width": 64, "height": 64}
TILE = 1024
STACKED = 20  # opaque results applied one over another over STACK_REGION
STACK_REGION = {"x": 8000, "y": 0, "width": 1024, "height": 1024}
OVERLAY = {"size": (800, 600), "x": 600, "y": 700, "rotation": 20.0, "opacity": 0.5}


# The server's environment and a free port: bench/seeding.py, shared by the benches.
server_env = seeding.server_env
free_port = seeding.free_port


# --- the pictures ---------------------------------------------------------------------------


def photo_png(size: tuple[int, int], seed: int) -> bytes:
    """Gradient plus noise: compresses like a photo, so PNG encode/decode cost is real."""
    import numpy as np
    from PIL import Image

    w, h = size
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 255, w, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None, None]
    base = np.concatenate([x + 0 * y, y + 0 * x, (x + y) / 2 + seed * 20], axis=2)
    pixels = base + rng.normal(0, 12, (h, w, 3)).astype(np.float32)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def big_scene() -> list[tuple[bytes, dict]]:
    """(PNG bytes, placement) for the 2048 × 2048 region: tiles first, overlay on top."""
    scene = []
    for index, (tx, ty) in enumerate(((0, 0), (TILE, 0), (0, TILE), (TILE, TILE))):
        placement = {"x": tx, "y": ty, "width": TILE, "height": TILE, "rotation": 0.0}
        scene.append((photo_png((TILE, TILE), index), {**placement, "opacity": 1.0, "z": 1}))
    ow, oh = OVERLAY["size"]
    scene.append(
        (
            photo_png((ow, oh), 9),
            {
                "x": OVERLAY["x"],
                "y": OVERLAY["y"],
                "width": ow,
                "height": oh,
                "rotation": OVERLAY["rotation"],
                "opacity": OVERLAY["opacity"],
                "z": 2,
            },
        )
    )
    return scene


# --- child: seed the database ---------------------------------------------------------------


def seed_child() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import uuid

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from assets.services import ingest_bytes
    from canvas import protocol
    from canvas.boards.operations import apply_batch
    from canvas.models.tokens import ApiToken
    from tests import factories

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", "bench@example.test", "bench")
    board = factories.make_board(name="Jobs bench", owner=user)
    pictures = [*big_scene()]
    tiny = {**TINY_REGION, "rotation": 0.0, "opacity": 1.0, "z": 3}
    pictures.append((photo_png((64, 64), 42), tiny))
    for index in range(STACKED):  # opaque (RGB) results, as applied over their region
        place = {**STACK_REGION, "rotation": 0.0, "opacity": 1.0, "z": 10 + index}
        pictures.append(
            (photo_png((STACK_REGION["width"], STACK_REGION["height"]), 50 + index), place)
        )
    ops = []
    for index, (data, placement) in enumerate(pictures):
        asset = ingest_bytes(board, user, data, f"layer-{index}.png")
        item = {
            "id": str(uuid.uuid4()),
            "kind": "image",
            "asset": str(asset.pk),
            "name": f"layer {index}",
            "hidden": False,
            "locked": False,
            "anchor_role": "",
            "props": {},
            **placement,
        }
        ops.append(protocol.parse_operation({"op": "create", "item": item}))
    apply_batch(board.pk, user, ops)
    _, token = ApiToken.issue(user, "bench")
    client = Client()
    client.force_login(user)
    seed = {"board": str(board.pk), "token": token, "session": client.cookies["sessionid"].value}
    print("SEED" + json.dumps(seed))


# --- child: the server with the bench engine registered -------------------------------------


def serve_child(port: int) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from canvas.engines import EngineCapabilities, EngineResult, Mode, register_engine
    from canvas.engines.base import Engine

    @register_engine(ENGINE)
    class IdentityEngine(Engine):
        """Returns the composited region untouched, at once: only the platform is timed."""

        def capabilities(self) -> EngineCapabilities:
            return EngineCapabilities(
                label="Bench identity",
                generative=False,
                modes=frozenset({Mode.IMG2IMG}),
                max_count=1,
                max_input_pixels=64_000_000,
                max_output_pixels=64_000_000,
            )

        def run(self, request, progress):
            return [EngineResult(image=request.source, seed=request.seed, engine=self.name)]

    data_dir = Path(os.environ["ANCHORBOARD_DATA_DIR"])
    time_phases(data_dir / "phases.jsonl")
    count_statements(data_dir)
    profile_dir = os.environ.get("JOBS_BENCH_PROFILE")
    if not profile_dir:
        call_command("serve", no_demo=True, port=port)
        return
    with profile_threads(Path(profile_dir)):
        call_command("serve", no_demo=True, port=port)


@contextlib.contextmanager
def profile_threads(out: Path):
    """Every thread of the server under cProfile counting its own CPU time
    (``time.thread_time``, so time spent waiting for the GIL, the disk or another process
    is not counted); at exit, after the thread pools are joined, one pstats file per
    thread group (the thread's name without its number: the job workers, the task pool,
    the encoders, the server loop "main")."""
    import cProfile
    import re
    import threading

    out.mkdir(parents=True, exist_ok=True)
    profiles: dict[str, list] = {}
    lock = threading.Lock()
    original_run = threading.Thread.run

    def keep(group: str, profile) -> None:
        with lock:
            profiles.setdefault(group, []).append(profile)

    def run(self):
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        try:
            original_run(self)
        finally:
            profile.disable()
            keep(re.sub(r"[-_]?\d+(_\d+)?$", "", self.name), profile)

    def dump() -> None:  # at exit: the executors' threads have been joined by then
        import pstats

        with lock:
            for group, collected in profiles.items():
                stats = pstats.Stats(collected[0])
                for extra in collected[1:]:
                    stats.add(extra)
                stats.dump_stats(out / f"{group}.pstats")

    import atexit

    atexit.register(dump)
    threading.Thread.run = run
    main = cProfile.Profile(time.thread_time)
    main.enable()
    try:
        yield
    finally:
        main.disable()
        keep("main", main)


# Where a job's time goes on the server: (module[:class], attribute, phase). Names missing from a
# tree (older or newer code) are skipped, so the same bench runs on both sides of a change.
PHASES = (
    ("canvas.jobs.workers", "claim_next", "claim (serialised, includes its announcement)"),
    ("canvas.jobs.runner", "composite_region", "composite the region (decode + draw)"),
    ("canvas.jobs.runner", "store_results", "store results (encode, write, rows)"),
    ("canvas.jobs.results", "store_files", "store result files (encode, write)"),
    ("canvas.jobs.results", "record", "record result rows"),
    ("canvas.jobs.results:SourceFile", "encoded", "wait for the source file (encoder thread)"),
    ("canvas.jobs.runner", "_finish", "final transition (its own transaction)"),
    ("canvas.jobs.lifecycle", "transition", "every state/progress write"),
)


def time_phases(path: Path) -> None:
    """Wrap the PHASES so each call appends (phase, start, end, thread) to ``path``."""
    import functools
    import importlib
    import threading

    lock = threading.Lock()
    out = path.open("a", buffering=1)

    def wrap(function, phase):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            started = time.time()
            try:
                return function(*args, **kwargs)
            finally:
                line = json.dumps([phase, started, time.time(), threading.get_ident()])
                with lock:
                    out.write(line + "\n")

        return timed

    for module_name, attribute, phase in PHASES:
        module_name, _, class_name = module_name.partition(":")
        try:
            owner = importlib.import_module(module_name)
        except ImportError:
            continue
        if class_name:
            owner = getattr(owner, class_name, None)
        if owner is not None and hasattr(owner, attribute):
            setattr(owner, attribute, wrap(getattr(owner, attribute), phase))


def count_statements(data_dir: Path) -> None:
    """Count every SQL statement the server sends, and those sent inside a claim
    (``canvas.jobs.workers.claim_next``); on SIGUSR1 write both to ``statements.json`` in
    ``data_dir``, so the client can take the difference over a part."""
    import signal
    import threading

    from django.db.backends import utils

    from canvas.jobs import workers

    lock = threading.Lock()
    local = threading.local()
    counts = {"all": 0, "claim": 0}
    original_execute = utils.CursorWrapper._execute_with_wrappers
    original_claim = workers.claim_next

    def execute(self, *args, **kwargs):
        with lock:
            counts["all"] += 1
            if getattr(local, "claiming", False):
                counts["claim"] += 1
        return original_execute(self, *args, **kwargs)

    def claim_next(*args, **kwargs):
        local.claiming = True
        try:
            return original_claim(*args, **kwargs)
        finally:
            local.claiming = False

    def write(signum, frame) -> None:
        with lock:
            snapshot = dict(counts)
        target = data_dir / "statements.json"
        target.with_suffix(".tmp").write_text(json.dumps(snapshot))
        target.with_suffix(".tmp").replace(target)

    utils.CursorWrapper._execute_with_wrappers = execute
    workers.claim_next = claim_next
    signal.signal(signal.SIGUSR1, write)


def statements_now(pid: int, data_dir: Path) -> dict[str, int]:
    """Ask the server (SIGUSR1) for its statement counts so far (see count_statements)."""
    import signal

    target = data_dir / "statements.json"
    target.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    for _ in range(200):
        if target.exists():
            return json.loads(target.read_text())
        time.sleep(0.05)
    return {}


def claim_share(profile_dir: Path) -> dict[str, float]:
    """From the per-thread-group profiles: the CPU seconds of the job workers, of every
    thread, and of ``claim_next`` (cumulative, inside the workers)."""
    import pstats

    totals = {"workers": 0.0, "all": 0.0, "claim": 0.0}
    for path in profile_dir.glob("*.pstats"):
        stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
        total = sum(entry[2] for entry in stats.values())  # own time of every function
        totals["all"] += total
        if path.stem == "anchorboard-jobs":
            totals["workers"] += total
            totals["claim"] += sum(
                entry[3]
                for (file, _, name), entry in stats.items()
                if name == "claim_next" and file.endswith("queue.py")
            )
    return totals


def phase_breakdown(path: Path, windows: list[tuple[float, float]]) -> dict[str, tuple]:
    """Per (a) job: (calls, seconds) of each phase that started inside a job's window."""
    totals: dict[str, list[float]] = {}
    if not path.exists() or not windows:
        return {}
    for line in path.read_text().splitlines():
        phase, started, ended, _ = json.loads(line)
        if any(a <= started <= b for a, b in windows):
            entry = totals.setdefault(phase, [0, 0.0])
            entry[0] += 1
            entry[1] += ended - started
    return {phase: (n / len(windows), sec / len(windows)) for phase, (n, sec) in totals.items()}


# --- parent: raw Pillow reference -----------------------------------------------------------


def pillow_alone(runs: int) -> dict[str, float]:
    """Median seconds of the raw Pillow work (total and its decode / paste / encode PNG
    phases) and of ``canvas.compositing.composite`` alone on the decoded originals."""
    from PIL import Image

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anchorboard.settings")
    import django

    django.setup()  # canvas.compositing imports engines, which import models
    from canvas.compositing import CompositeItem, Region, composite

    scene = big_scene()
    times: dict[str, list[float]] = {
        "raw": [],
        "decode": [],
        "encode": [],
        "encode_rgba": [],
        "composite": [],
    }
    for _ in range(runs):
        started = time.perf_counter()
        canvas = Image.new("RGBA", (BIG_REGION["width"], BIG_REGION["height"]))
        decoded = []
        for data, p in scene:
            image = Image.open(io.BytesIO(data)).convert("RGBA")
            image.load()
            decoded.append((image, p))
        times["decode"].append(time.perf_counter() - started)
        for image, p in decoded:
            if p["rotation"]:
                # Rotation about the top-left corner, clockwise, then 50 % alpha.
                turned = image.rotate(-p["rotation"], Image.Resampling.BILINEAR, expand=True)
                alpha = turned.getchannel("A").point(lambda v, o=p["opacity"]: round(v * o))
                turned.putalpha(alpha)
                left = round(p["x"] - p["height"] * 0.342)  # sin 20° × height
                canvas.alpha_composite(turned, (max(0, left), p["y"]))
            else:
                crop = image.crop((0, 0, p["width"], p["height"]))
                canvas.alpha_composite(crop, (p["x"], p["y"]))
        encode_started = time.perf_counter()
        buffer = io.BytesIO()
        # As the job runner stores a result: zlib level 1, no alpha channel when opaque.
        if canvas.getchannel("A").getextrema() == (255, 255):
            canvas = canvas.convert("RGB")
        canvas.save(buffer, "PNG", compress_level=1)
        times["encode"].append(time.perf_counter() - encode_started)
        times["raw"].append(time.perf_counter() - started)
        buffer = io.BytesIO()
        rgba_started = time.perf_counter()
        canvas.convert("RGBA").save(buffer, "PNG", compress_level=1)
        times["encode_rgba"].append(time.perf_counter() - rgba_started)

        items = [
            CompositeItem(
                image=image,
                **{k: p[k] for k in ("x", "y", "width", "height")},
                rotation=p["rotation"],
                opacity=p["opacity"],
                z=p["z"],
            )
            for image, p in decoded
        ]
        started = time.perf_counter()
        composite(items, Region(0, 0, BIG_REGION["width"], BIG_REGION["height"]))
        times["composite"].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


# --- parent: the client side ----------------------------------------------------------------


class BoardSocket:
    """Reads the board websocket and timestamps every job and iteration message by job id."""

    def __init__(self) -> None:
        self.succeeded: dict[str, float] = {}
        self.iteration: dict[str, float] = {}
        self.failed: dict[str, dict] = {}
        self.changed = asyncio.Event()
        # Seconds from the job row's state change (``started_at`` / ``finished_at``, set in
        # the worker thread just before its transaction commits) to this socket reading the
        # message: the issue's "job events reach the socket within 50 ms" (an upper bound,
        # as it includes the commit itself). Same machine clock.
        self.event_delay: dict[str, list[float]] = {"running": [], "succeeded": []}
        self._timed: set[tuple[str, str]] = set()

    async def run(self, ws) -> None:
        async for text in ws:
            now = time.perf_counter()
            wall = time.time()
            message = json.loads(text)
            if message.get("type") == "job":
                job = message["job"]
                self._event_delay(job, wall)
                if job["state"] == "succeeded":
                    self.succeeded.setdefault(job["id"], now)
                elif job["state"] in ("failed", "cancelled"):
                    self.failed[job["id"]] = job
            elif message.get("type") == "iteration":
                self.iteration.setdefault(message["iteration"]["job"], now)
            self.changed.set()

    def _event_delay(self, job: dict, wall: float) -> None:
        stamp = {"running": "started_at", "succeeded": "finished_at"}.get(job["state"])
        key = (job["id"], job["state"])
        if stamp is None or not job.get(stamp) or key in self._timed:
            return  # only the first message of each state: later ones are progress
        self._timed.add(key)
        self.event_delay[job["state"]].append(wall - datetime.fromisoformat(job[stamp]).timestamp())

    async def wait(self, predicate, timeout: float = 600) -> None:
        deadline = time.perf_counter() + timeout
        while not predicate():
            if self.failed:
                raise SystemExit(f"a bench job failed: {next(iter(self.failed.values()))}")
            self.changed.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise SystemExit("timed out waiting for job results on the websocket")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)


def job_body(region: dict, seed: int) -> dict:
    return {"mode": "img2img", "engine": ENGINE, "region": region, "seed": seed, "count": 1}


def seconds_between(a: str | None, b: str | None) -> float:
    if not a or not b:
        return float("nan")
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system, all threads) process ``pid`` has used so far: what a part
    costs the server, whatever else the machine runs at the same time (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def client_side(
    base_url: str,
    seed: dict,
    runs: int,
    jobs: int,
    parts: str = "abcd",
    server_pid: int = 0,
    data_dir: Path | None = None,
) -> dict:
    import httpx
    import websockets

    ws_url = base_url.replace("http", "ws", 1) + f"/ws/boards/{seed['board']}/"
    headers = {"Cookie": f"sessionid={seed['session']}"}
    api = f"{base_url}/api/v1"
    auth = {"Authorization": f"Bearer {seed['token']}"}
    results: dict = {"overhead": [], "throughput": {}, "windows": [], "stacked": []}

    def cpu() -> float:
        return cpu_seconds(server_pid) if server_pid else float("nan")

    async with (
        websockets.connect(ws_url, additional_headers=headers, origin=base_url) as ws,
        httpx.AsyncClient(headers=auth, timeout=120) as http,
    ):
        await ws.send(json.dumps({"type": "sync", "since": None}))
        socket_reader = BoardSocket()
        reader = asyncio.create_task(socket_reader.run(ws))
        try:
            # (a) one big job at a time; the first run warms imports and caches.
            for run in range(runs + 1 if "a" in parts else 0):
                cpu_started = cpu()
                started = time.perf_counter()
                started_wall = time.time()
                reply = await http.post(
                    f"{api}/boards/{seed['board']}/jobs", json=job_body(BIG_REGION, run)
                )
                accepted = time.perf_counter()
                if reply.status_code != 201:
                    raise SystemExit(f"submit refused: {reply.status_code} {reply.text}")
                job_id = reply.json()["id"]
                await socket_reader.wait(
                    lambda j=job_id: j in socket_reader.succeeded and j in socket_reader.iteration
                )
                cpu_used = cpu() - cpu_started
                row = (await http.get(f"{api}/jobs/{job_id}")).json()
                if run == 0:
                    continue
                done = socket_reader.succeeded[job_id] - started
                results["windows"].append((started_wall, started_wall + done))
                results["overhead"].append(
                    {
                        "submit_s": accepted - started,
                        "iteration_s": socket_reader.iteration[job_id] - started,
                        "succeeded_s": socket_reader.succeeded[job_id] - started,
                        "queue_wait_s": seconds_between(row["queued_at"], row["started_at"]),
                        "run_s": seconds_between(row["started_at"], row["finished_at"]),
                        "server_cpu_s": cpu_used,
                    }
                )
                # Let the previews of the stored source/result finish before the next run.
                await asyncio.sleep(1.0)

            # (d) a region under STACKED opaque results: only the top one can show.
            for run in range(runs + 1 if "d" in parts else 0):
                reply = await http.post(
                    f"{api}/boards/{seed['board']}/jobs", json=job_body(STACK_REGION, run)
                )
                if reply.status_code != 201:
                    raise SystemExit(f"submit refused: {reply.status_code} {reply.text}")
                job_id = reply.json()["id"]
                await socket_reader.wait(lambda j=job_id: j in socket_reader.succeeded)
                row = (await http.get(f"{api}/jobs/{job_id}")).json()
                if run:
                    run_s = seconds_between(row["started_at"], row["finished_at"])
                    results["stacked"].append(run_s)
                await asyncio.sleep(1.0)

            # (b) many tiny jobs, submitted back to back.
            ids: list[str] = []
            cpu_started = cpu()
            started = time.perf_counter()
            for index in range(jobs if "b" in parts else 0):
                reply = await http.post(
                    f"{api}/boards/{seed['board']}/jobs", json=job_body(TINY_REGION, index)
                )
                if reply.status_code != 201:
                    raise SystemExit(f"submit refused: {reply.status_code} {reply.text}")
                ids.append(reply.json()["id"])
            submitted = time.perf_counter()
            await socket_reader.wait(lambda: all(j in socket_reader.succeeded for j in ids))
            if ids:
                finished = max(socket_reader.succeeded[j] for j in ids)
                results["throughput"] = {
                    "jobs": jobs,
                    "submit_s": submitted - started,
                    "total_s": finished - started,
                    "jobs_per_s": jobs / (finished - started),
                    "server_cpu_s": cpu() - cpu_started,
                }

            # (c) the worker pool alone: queue the same number with the board paused, then
            # resume and time until the last one succeeded.
            board_api = f"{api}/boards/{seed['board']}"
            if "c" in parts:
                (await http.post(f"{board_api}/queue/pause")).raise_for_status()
                ids = []
                for index in range(jobs):
                    reply = await http.post(f"{board_api}/jobs", json=job_body(TINY_REGION, index))
                    if reply.status_code != 201:
                        raise SystemExit(f"submit refused: {reply.status_code} {reply.text}")
                    ids.append(reply.json()["id"])
                await asyncio.sleep(2.0)  # the submits' own after-commit work is done
                counted = statements_now(server_pid, data_dir) if data_dir else {}
                cpu_started = cpu()
                resumed = time.perf_counter()
                (await http.post(f"{board_api}/queue/resume")).raise_for_status()
                await socket_reader.wait(lambda: all(j in socket_reader.succeeded for j in ids))
                drained = max(socket_reader.succeeded[j] for j in ids)
                results["drain"] = {
                    "jobs": jobs,
                    "total_s": drained - resumed,
                    "jobs_per_s": jobs / (drained - resumed),
                    "server_cpu_s": cpu() - cpu_started,
                }
                if counted:
                    await asyncio.sleep(1.0)  # the last jobs' after-commit work
                    after = statements_now(server_pid, data_dir)
                    results["drain"]["statements"] = {
                        key: after.get(key, 0) - value for key, value in counted.items()
                    }
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
    results["event_delay"] = socket_reader.event_delay
    return results


def wait_healthy(base_url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the server exited during start-up")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.3)
    raise SystemExit(f"the server did not answer /healthz within {timeout:.0f} s")


def report(results: dict, alone: dict[str, float] | None) -> None:
    rows = results["overhead"]

    def med(key: str) -> float:
        return statistics.median(r[key] for r in rows)

    print()
    print(f"load average (1/5/15 min) before/after: {results['load']} on {os.cpu_count()} CPUs")
    if rows and alone:
        raw_s = alone["raw"]
        print(f"(a) 2048×2048 region, engine {ENGINE} (returns its input), median of {len(rows)}")
        print(f"  API submit (201)                               {med('submit_s') * 1000:8.0f} ms")
        print(
            f"  submit → 'iteration' on the board websocket    {med('iteration_s') * 1000:8.0f} ms"
        )
        print(
            f"  submit → 'job' succeeded on the board websocket{med('succeeded_s') * 1000:8.0f} ms"
        )
        print(
            f"    of which queued (job row)                    {med('queue_wait_s') * 1000:8.0f} ms"
        )
        print(f"    of which running (job row)                   {med('run_s') * 1000:8.0f} ms")
        print(
            f"  server CPU, submit → 'succeeded' (all threads) {med('server_cpu_s') * 1000:8.0f} ms"
        )
        print(f"  raw Pillow alone (decode, crop, composite, PNG){raw_s * 1000:8.0f} ms")
        print(f"    of which decoding the 5 originals            {alone['decode'] * 1000:8.0f} ms")
        print(f"    of which encoding the 2048×2048 PNG          {alone['encode'] * 1000:8.0f} ms")
        print(
            f"  canvas.compositing.composite alone             {alone['composite'] * 1000:8.0f} ms"
        )
        print(
            f"    encoding it with an alpha channel instead    {alone['encode_rgba'] * 1e3:8.0f} ms"
        )
        overhead = med("succeeded_s") - raw_s
        print(
            f"  platform overhead over raw Pillow              {overhead * 1000:8.0f} ms "
            f"(×{med('succeeded_s') / raw_s:.2f})"
        )
    phases = results.get("phases") or {}
    if phases:
        print("  server phases per (a) job (calls, ms; nested phases count in their parent too)")
        for phase, (calls, seconds) in sorted(phases.items(), key=lambda x: -x[1][1]):
            print(f"    {phase:<52} {calls:4.1f} {seconds * 1000:8.0f}")
    stacked = results.get("stacked") or []
    if stacked:
        print()
        print(
            f"(d) {STACK_REGION['width']}² region under {STACKED} stacked opaque results: run "
            f"(job row) median {statistics.median(stacked) * 1000:.0f} ms of {len(stacked)}"
        )
    t = results.get("throughput")
    if t:
        print()
        print(f"(b) {t['jobs']} jobs of a 64×64 region, embedded pool, server defaults")
        print(f"  submitting all                                 {t['submit_s']:8.1f} s")
        print(f"  first submit → last 'succeeded'                {t['total_s']:8.1f} s")
        print(f"  throughput                                     {t['jobs_per_s']:8.1f} jobs/s")
        cpu_ms = t["server_cpu_s"] * 1000 / t["jobs"]
        print(f"  server CPU per job (submit included)           {cpu_ms:8.1f} ms")
    d = results.get("drain")
    if d:
        print(f"(c) {d['jobs']} such jobs queued while the board's queue was paused, then resumed")
        print(f"  resume → last 'succeeded'                      {d['total_s']:8.1f} s")
        print(f"  worker pool throughput                         {d['jobs_per_s']:8.1f} jobs/s")
        cpu_ms = d["server_cpu_s"] * 1000 / d["jobs"]
        print(f"  server CPU per job (all threads)               {cpu_ms:8.1f} ms")
        counted = d.get("statements")
        if counted:
            per_job = counted["all"] / d["jobs"]
            claims = counted["claim"] / d["jobs"]
            print(f"  SQL statements per job (all threads; claim)    {per_job:8.1f} ; {claims:.1f}")
    share = results.get("claim_share")
    if share and share["all"]:
        print(
            f"  profiled CPU: claim_next {share['claim']:.2f} s of the workers' "
            f"{share['workers']:.2f} s ({share['claim'] / max(share['workers'], 1e-9):.0%}), "
            f"{share['claim'] / share['all']:.0%} of every thread's {share['all']:.2f} s"
        )
    print()
    print("job row changed in a worker thread → message read on the board websocket (all jobs)")
    for state, delays in results["event_delay"].items():
        if delays:
            ordered = sorted(delays)
            p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
            print(
                f"  {state:<10} n={len(ordered):<4} p50 {statistics.median(ordered) * 1000:6.1f} ms"
                f"   p95 {p95 * 1000:6.1f} ms   max {ordered[-1] * 1000:6.1f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="big-region jobs (after a warm-up)")
    parser.add_argument("--jobs", type=int, default=200, help="tiny jobs for throughput")
    parser.add_argument(
        "--decoded-cache-mb",
        help="the server's ANCHORBOARD_DECODED_CACHE_MB (0: every job decodes its originals)",
    )
    parser.add_argument(
        "--parts", default="abcd", help="which parts to run (letters of a, b, c, d; default all)"
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="run the server's threads under cProfile counting CPU time; pstats files to DIR",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    parser.add_argument("--json", action="store_true", help="also print the raw results")
    parser.add_argument("--seed-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_child:
        seed_child()
        return
    if args.serve_child:
        serve_child(args.serve_child)
        return

    data_dir = Path(tempfile.mkdtemp(prefix="anchorboard-jobs-bench-"))
    proc = None
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--seed-child"],
            cwd=ROOT,
            env=server_env(data_dir, "inline"),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        seed = json.loads(next(x for x in out.splitlines() if x.startswith("SEED"))[4:])
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve-child", str(port)],
            cwd=ROOT,
            env={
                **server_env(data_dir, "embedded"),
                **(
                    {"ANCHORBOARD_DECODED_CACHE_MB": args.decoded_cache_mb}
                    if args.decoded_cache_mb is not None
                    else {}
                ),
                **(
                    {"JOBS_BENCH_PROFILE": str(Path(args.profile).resolve())}
                    if args.profile
                    else {}
                ),
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_healthy(base_url, proc)
        load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
        results = asyncio.run(
            client_side(base_url, seed, args.runs, args.jobs, args.parts, proc.pid, data_dir)
        )
        results["load"] = f"{load_before} / " + " ".join(f"{x:.1f}" for x in os.getloadavg())
        results["phases"] = phase_breakdown(data_dir / "phases.jsonl", results["windows"])
        # Measured after the server is stopped, so it does not compete for the CPU.
        proc.terminate()
        proc.wait(timeout=60)
        if args.profile:
            results["claim_share"] = claim_share(Path(args.profile))
        os.environ.update(server_env(data_dir, "inline"))
        report(results, pillow_alone(args.runs) if "a" in args.parts else None)
        if args.json:
            print(json.dumps(results, indent=2))
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
