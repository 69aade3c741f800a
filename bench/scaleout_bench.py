"""Scale-out benchmark: 500 jobs against a fake provider that takes 2 s per call.

Starts the scaled-out topology on this machine (dedicated PostgreSQL database, private
redis-server, moto S3 — see tests/topology/harness.py), then for 1, 2 and 4 Celery worker
processes (thread pool, ``--concurrency`` slots each) queues the jobs and measures the wall
time from the first submit until the last job has succeeded, against the ideal
``jobs × seconds / (workers × concurrency)``. Prints a table (Markdown).

    .venv/bin/python bench/scaleout_bench.py [--jobs 500] [--seconds 2] [--concurrency 4]
        [--workers 1,2,4]

Needs PostgreSQL on 127.0.0.1:5432 (trust auth) and redis-server installed. The fake
provider sleeps: the benchmark measures the queue, the broker and the workers, not images.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.topology.harness import topology, wait_until


def run_round(topo, board: str, *, jobs: int, workers: int, concurrency: int) -> dict:
    procs = [topo.start_worker(concurrency=concurrency) for _ in range(workers)]
    [(since,)] = topo.sql("SELECT now()")
    topo.run("-m", "tests.topology.seed", "--submit", board, str(jobs), timeout=600)

    def all_done() -> bool:
        query = "SELECT count(*) FROM canvas_job WHERE state = 'succeeded' AND queued_at >= %s"
        return topo.sql(query, (since,))[0][0] >= jobs

    wait_until(all_done, timeout=jobs * 10, what=f"{jobs} jobs", every=0.25)
    # Database clock on both ends: the first job queued → the last job finished.
    [(first, last_queued, last_done)] = topo.sql(
        "SELECT min(queued_at), max(queued_at), max(finished_at) FROM canvas_job "
        "WHERE queued_at >= %s",
        (since,),
    )
    wall = (last_done - first).total_seconds()
    # Where the time went: inside jobs (claim → finished) versus slots left idle.
    [(mean_run, busy)] = topo.sql(
        "SELECT avg(extract(epoch FROM finished_at - started_at)), "
        "sum(extract(epoch FROM finished_at - started_at)) FROM canvas_job "
        "WHERE queued_at >= %s",
        (since,),
    )
    submitted = (last_queued - first).total_seconds()
    failed = topo.sql(
        "SELECT count(*) FROM canvas_job WHERE state <> 'succeeded' AND queued_at >= %s", (since,)
    )[0][0]
    stop_started = time.monotonic()
    for proc in procs:
        topo._stop(proc, signal.SIGTERM)  # warm shutdown: idle workers exit at once
        topo.workers.remove(proc)
    return {
        "workers": workers,
        "slots": workers * concurrency,
        "wall": wall,
        "submit": submitted,
        "mean_run": float(mean_run),
        "utilisation": float(busy) / (wall * workers * concurrency),
        "failed": failed,
        "shutdown": time.monotonic() - stop_started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    env = {
        "ANCHORBOARD_TOPOLOGY_ENGINE_SECONDS": str(args.seconds),
        "ANCHORBOARD_JOB_USER_CONCURRENCY": "1000",  # measure the workers, not the user cap
        "ANCHORBOARD_JOB_PROGRESS_INTERVAL": "0.5",
    }
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="scaleout-bench-") as tmp,
        topology(Path(tmp), extra_env=env) as topo,
    ):
        seed = topo.seed("bench")
        for workers in [int(n) for n in args.workers.split(",")]:
            row = run_round(
                topo, seed["board"], jobs=args.jobs, workers=workers, concurrency=args.concurrency
            )
            row["ideal"] = args.jobs * args.seconds / row["slots"]
            rows.append(row)
            print(
                f"… {workers} worker(s): {row['wall']:.1f} s (ideal {row['ideal']:.1f} s)",
                flush=True,
            )

    print(
        f"\n{args.jobs} jobs × {args.seconds:g} s fake provider, "
        f"--pool threads --concurrency {args.concurrency} per worker process\n"
    )
    print(
        "| worker processes | slots | wall time | ideal | efficiency | jobs/s "
        "| mean job run | slots busy | not succeeded |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['workers']} | {row['slots']} | {row['wall']:.1f} s | {row['ideal']:.1f} s "
            f"| {row['ideal'] / row['wall']:.0%} | {args.jobs / row['wall']:.2f} "
            f"| {row['mean_run']:.2f} s | {row['utilisation']:.0%} | {row['failed']} |"
        )
    print(
        "\nwall time = first job queued → last job finished (database clock); submitting "
        f"the {args.jobs} jobs took {rows[0]['submit']:.1f} s of it in the first round.\n"
        "mean job run = claim → finished (the fake provider's sleep plus compositing, storing "
        "results and progress); slots busy = time inside jobs / (slots × wall time)."
    )


if __name__ == "__main__":
    main()
