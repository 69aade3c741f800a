"""Batch benchmark with 2 Celery workers (issue 15): the 500-job batch of batch_bench.py
against PostgreSQL + Redis, the jobs run by two Celery worker processes.

Starts the scaled-out topology on this machine (tests/topology/harness.py: a dedicated
PostgreSQL database, a private redis-server, moto S3, ANCHORBOARD_DISPATCHER=celery), one
web server as deployed (``anchorboard.daphne_server``) and two Celery workers (thread pool,
``--concurrency`` slots each, default 5: 10 slots for C = 8, as the embedded bench runs
C + 2 threads). Then, as a client over HTTP with API tokens, it posts the batch
(``POST /api/v1/boards/{id}/batches``, timed, after a timed ``?dry_run=1`` of the same
spec, which is the server's first request) on a board with a 128 px image: one prompt
template, 5 × 4 values, 25 seeds = 500 jobs of ``topology-provider``
(tests/topology/engines.py: waits ``--latency`` s, default 2, in ten progress steps,
behind provider ``topology-provider``) with
``ANCHORBOARD_PROVIDER_LIMITS=topology-provider=C`` (``--parallel``, default 8). The
per-person cap is left at its default (2): it counts interactive jobs only (docs/jobs.md).
``--interactive-at`` seconds after the submit, another person posts one interactive job
on their own board.

Measured from the database (one clock) unless said: (a) the submit's HTTP round trip;
(b) the batch's ``created_at`` → ``finished_at`` against the ideal 500 × latency / C;
(c) the interactive job's start after the first provider slot freed once it was queued.
Prints ``uptime``'s load average before and after. Everything it started (web server,
workers, redis-server, moto, the database) is stopped or dropped at the end, also on Ctrl-C.

    .venv/bin/python bench/batch_celery_bench.py [--parallel 8] [--latency 2] [--workers 2]
        [--concurrency 5] [--interactive-at 30]

Needs PostgreSQL on 127.0.0.1:5432 (trust auth) and redis-server installed. Must not be
imported by the application or the tests.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from batch_bench import spec  # noqa: E402  (bench/ is the script's folder)

from tests.topology.harness import topology, wait_until  # noqa: E402

ENGINE = "topology-provider"
EDGE = 128


def batch_spec() -> dict:
    body = spec()
    body["engines"] = [ENGINE]
    body["targets"] = [{"region": {"x": 0, "y": 0, "width": EDGE, "height": EDGE}}]
    return body


def tokens_child(usernames: list[str]) -> None:
    """In the deployment's environment: an API token for each user (printed as JSON)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anchorboard.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from canvas.models import ApiToken

    users = get_user_model().objects
    tokens = {name: ApiToken.issue(users.get(username=name), "bench")[1] for name in usernames}
    print("TOKENS" + json.dumps(tokens), flush=True)


def submit(base_url: str, tokens: dict, board: str, other: str, interactive_at: float) -> dict:
    """Post the batch (timed), then, ``interactive_at`` s later, the other person's job."""
    import httpx

    api = f"{base_url}/api/v1"
    mine = httpx.Client(headers={"Authorization": f"Bearer {tokens['bench']}"}, timeout=300)
    theirs = httpx.Client(headers={"Authorization": f"Bearer {tokens['other']}"}, timeout=60)
    with mine, theirs:
        # The dry run first: expansion and checks only (no insert, no broker, no broadcast),
        # and it is the server's first request, so imports are warm for the submit.
        started = time.perf_counter()
        dry = mine.post(f"{api}/boards/{board}/batches?dry_run=1", json=batch_spec())
        dry_s = time.perf_counter() - started
        dry.raise_for_status()
        started = time.perf_counter()
        reply = mine.post(f"{api}/boards/{board}/batches", json=batch_spec())
        submit_s = time.perf_counter() - started
        if reply.status_code != 201:
            raise SystemExit(f"batch refused: {reply.status_code} {reply.text}")
        assert reply.json()["accepted"] == 500, reply.json()["refusals"]
        time.sleep(interactive_at)  # the moment the other person submits, as in batch_bench.py
        region = {"x": 0, "y": 0, "width": EDGE, "height": EDGE}
        job = {"mode": "img2img", "engine": ENGINE, "region": region, "seed": 1}
        answer = theirs.post(f"{api}/boards/{other}/jobs", json=job)
        answer.raise_for_status()
    return {
        "batch": reply.json()["batch"],
        "submit_s": submit_s,
        "dry_s": dry_s,
        "job": answer.json()["id"],
    }


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure(topo, batch_id: str, interactive_id: str, latency: float, parallel: int) -> dict:
    [(created, finished)] = topo.sql(
        "SELECT created_at, finished_at FROM canvas_batch WHERE id = %s", (batch_id,)
    )
    runs = topo.sql(
        "SELECT extract(epoch FROM started_at), extract(epoch FROM finished_at), state "
        "FROM canvas_job WHERE batch_id = %s",
        (batch_id,),
    )
    [(queued, started)] = topo.sql(
        "SELECT extract(epoch FROM queued_at), extract(epoch FROM started_at) "
        "FROM canvas_job WHERE id = %s",
        (interactive_id,),
    )
    starts = [float(s) for s, _, _ in runs]
    ends = [float(e) for _, e, _ in runs]
    freed = min(e for e in ends if e >= float(queued))
    wall = (finished - created).total_seconds()
    run_wall = max(ends) - min(starts)
    durations = [e - s for s, e in zip(starts, ends, strict=True)]
    out = {
        "wall": wall,
        "ideal": 500 * latency / parallel,
        "run_wall": run_wall,
        "mean_run": statistics.mean(durations),
        "busy": sum(durations) / (parallel * run_wall),
        "not_succeeded": sum(1 for _, _, state in runs if state != "succeeded"),
        "interactive_wait": float(started) - freed,
        "interactive_after": float(queued) - min(starts),
        "slot_freed_after": freed - float(queued),
    }
    out.update(measure_calls(topo, batch_id, interactive_id, latency, parallel))
    return out


def measure_calls(topo, batch_id: str, interactive_id: str, latency: float, parallel: int):
    """From the provider slots (canvas.jobs.slots; empty before they existed): how busy the
    C slots were between the first call and the last call's end, a call lasting the
    engine's ``latency``; when the interactive job took a slot after the first batch call
    that ended once it was queued (a free slot)."""
    try:
        takes = [
            float(t)
            for (t,) in topo.sql(
                "SELECT extract(epoch FROM slot_taken_at) FROM canvas_job "
                "WHERE batch_id = %s AND slot_taken_at IS NOT NULL",
                (batch_id,),
            )
        ]
        [(queued, taken)] = topo.sql(
            "SELECT extract(epoch FROM queued_at), extract(epoch FROM slot_taken_at) "
            "FROM canvas_job WHERE id = %s",
            (interactive_id,),
        )
    except Exception:  # before provider slots: no such column
        return {}
    if not takes or taken is None:
        return {}
    span = max(takes) + latency - min(takes)
    freed = min(t + latency for t in takes if t + latency >= float(queued))
    return {
        "call_busy": len(takes) * latency / (parallel * span),
        "interactive_call_wait": float(taken) - freed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=5)
    parser.add_argument("--interactive-at", type=float, default=30.0)
    parser.add_argument("--tokens-child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tokens_child:
        tokens_child(args.tokens_child)
        return
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    env = {
        "ANCHORBOARD_TOPOLOGY_ENGINE_SECONDS": str(args.latency),
        "ANCHORBOARD_PROVIDER_LIMITS": f"{ENGINE}={args.parallel}",
        "ANCHORBOARD_JOB_PROGRESS_INTERVAL": "0.5",
        # Logging stays at INFO: the harness waits for each worker's "job sweeper started".
    }
    before = load()
    with (
        tempfile.TemporaryDirectory(prefix="batch-celery-bench-") as tmp,
        topology(Path(tmp), extra_env=env) as topo,
    ):
        board = topo.seed("bench", EDGE)["board"]
        other = topo.seed("other", EDGE)["board"]
        out = topo.run(str(Path(__file__).resolve()), "--tokens-child", "bench", "other")
        tokens = json.loads(next(x for x in out.splitlines() if x.startswith("TOKENS"))[6:])
        web = topo.start_web()
        for _ in range(args.workers):
            topo.start_worker(concurrency=args.concurrency)
        batch = submit(f"http://127.0.0.1:{web.port}", tokens, board, other, args.interactive_at)
        interactive = {"job": batch["job"]}

        def ended() -> bool:
            rows = topo.sql("SELECT finished_at FROM canvas_batch WHERE id = %s", (batch["batch"],))
            return rows[0][0] is not None

        wait_until(ended, timeout=3600, what="the batch to end", every=1.0)
        wait_until(
            lambda: topo.sql(
                "SELECT started_at FROM canvas_job WHERE id = %s", (interactive["job"],)
            )[0][0] is not None,
            timeout=600, what="the interactive job to start", every=0.5,
        )  # fmt: skip
        row = measure(topo, batch["batch"], interactive["job"], args.latency, args.parallel)
    after = load()
    slots = args.workers * args.concurrency
    print()
    print(f"load average (1/5/15 min) before / after: {before} / {after} on {os.cpu_count()} CPUs")
    print(f"{args.workers} Celery workers × {args.concurrency} threads = {slots} slots; "
          f"provider limit C = {args.parallel}; PostgreSQL + Redis")  # fmt: skip
    print(f"(a) expand + submit 500 jobs: HTTP {batch['submit_s']:.2f} s (before it, the "
          f"dry run, the server's first request: {batch['dry_s']:.2f} s)")  # fmt: skip
    print(f"(b) batch created → finished {row['wall']:.1f} s; first start → last end "
          f"{row['run_wall']:.1f} s; ideal 500 × {args.latency:g} / {args.parallel} = "
          f"{row['ideal']:.1f} s → ×{row['wall'] / row['ideal']:.3f} (target ≤ 1.1); "
          f"{row['not_succeeded']} not succeeded")  # fmt: skip
    print(f"    job started → finished mean {row['mean_run']:.3f} s; provider slots busy "
          f"{row['busy']:.1%} of the run")  # fmt: skip
    print(f"(c) interactive job queued {row['interactive_after']:.1f} s into the batch; a slot "
          f"freed {row['slot_freed_after']:.2f} s after; it started "
          f"{row['interactive_wait']:.3f} s after the free slot (target ≤ 1 s)")  # fmt: skip
    if "call_busy" in row:
        print(f"    provider calls (slot taken + {args.latency:g} s): slots busy "
              f"{row['call_busy']:.1%} from the first call to the last end; the interactive "
              f"job took a slot {row['interactive_call_wait']:.3f} s after a batch call "
              "ended")  # fmt: skip


if __name__ == "__main__":
    main()
