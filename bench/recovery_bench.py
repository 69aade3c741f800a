"""Recovery benchmark: how long a dead worker's job waits before it is requeued.

Starts the scaled-out topology on this machine (dedicated PostgreSQL database, private
redis-server, moto S3 — tests/topology/harness.py) with the shipped job settings
(heartbeat 2 s, lease 6 s, poll 1 s) and two Celery workers, then, ``--trials`` times each:

- **killed** (SIGKILL): a worker dies in the middle of a job. Same host as the surviving
  worker, so recovery finds it by its pid at the next upkeep tick.
- **hung** (SIGSTOP, then SIGKILL): a worker stops answering without dying, like a lost
  machine or a partition. Its pid lives on, so only its lease tells: the job is requeued
  one lease after its last heartbeat, at the next tick.

For each it reports, on the machine's clock: signal → requeued (the recovery note's time),
and requeued → running again on the other worker.

``--circuit N`` adds the provider case of the same issue: a provider's circuit is half-open
(a probe call is running), a job of that provider arrives and is deferred; then the probe
succeeds and closes the circuit (``record_answer`` in a process of its own, like the
probe's worker). Reported: circuit closed → the deferred job running.

    .venv/bin/python bench/recovery_bench.py [--trials 5] [--circuit 5]

Needs PostgreSQL on 127.0.0.1:5432 (trust auth) and redis-server installed. Prints a
Markdown table and the load average. Not imported by the application or the tests.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.topology.harness import Topology, topology, wait_until

ENV = {
    # The shipped defaults, spelled out so the numbers say what they measured.
    "ANCHORBOARD_JOB_HEARTBEAT_SECONDS": "2",
    "ANCHORBOARD_JOB_LEASE_SECONDS": "6",
    "ANCHORBOARD_JOB_POLL_SECONDS": "1",
    "ANCHORBOARD_JOB_MAX_ATTEMPTS": "100",
    "ANCHORBOARD_JOB_USER_CONCURRENCY": "100",
    # Long enough that every signal lands mid-job.
    "ANCHORBOARD_TOPOLOGY_ENGINE_SECONDS": "20",
}


def _submit(topo: Topology, board: str) -> str:
    topo.run("-m", "tests.topology.seed", "--submit", board, "1")
    [(job,)] = topo.sql(
        "SELECT id::text FROM canvas_job WHERE board_id = %s ORDER BY queued_at DESC LIMIT 1",
        (board,),
    )
    return job


def _note_time(topo: Topology, job: str, index: int) -> float:
    [(notes,)] = topo.sql("SELECT notes FROM canvas_job WHERE id = %s", (job,))
    return datetime.fromisoformat(notes[index]["at"]).timestamp()


def recovery_round(topo: Topology, board: str, how: str) -> tuple[float, float]:
    """One job, its worker signalled mid-job; returns (to requeue, requeue to rerun) in s."""
    job = _submit(topo, board)

    def running_on():
        rows = topo.sql(
            "SELECT worker_id FROM canvas_job WHERE id = %s AND state = 'running' "
            "AND progress > 0.1",
            (job,),
        )
        return rows[0][0] if rows else None

    worker_id = wait_until(running_on, timeout=120, what="the job to run", every=0.05)
    victim = next(p for p in topo.workers if str(p.pid) == worker_id.split(":")[1])
    [(notes_before,)] = topo.sql(
        "SELECT jsonb_array_length(notes) FROM canvas_job WHERE id = %s", (job,)
    )
    signalled = time.time()
    if how == "killed":
        topo.kill(victim)
    else:
        assert victim.popen is not None
        victim.popen.send_signal(signal.SIGSTOP)

    def rerun_on():
        rows = topo.sql(
            "SELECT worker_id FROM canvas_job WHERE id = %s AND state = 'running' "
            "AND worker_id <> %s",
            (job, worker_id),
        )
        return rows[0][0] if rows else None

    wait_until(rerun_on, timeout=120, what="the job to run again", every=0.02)
    rerun = time.time()
    requeued = _note_time(topo, job, notes_before)
    if how == "hung":
        topo.kill(victim)  # SIGKILL works on a stopped process
    topo.start_worker()
    return requeued - signalled, rerun - requeued


CLOSE_CIRCUIT = """
import os, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anchorboard.settings")
django.setup()
import canvas.jobs.deferrals  # noqa: F401  (a worker process has it: the release)
from canvas.engines.providers.resilience import record_answer
closed = time.time()
record_answer("topology-provider")
print(closed)
"""


def circuit_round(topo: Topology, board: str) -> float:
    """A job deferred during a probe; returns seconds from the probe's close to its start."""
    topo.sql(
        "INSERT INTO canvas_providerhealth (provider, state, consecutive_failures, "
        "next_probe_at, last_error, updated_at) VALUES ('topology-provider', 'half_open', 3, "
        "now() + interval '60 seconds', '', now()) ON CONFLICT (provider) DO UPDATE SET "
        "state = 'half_open', next_probe_at = now() + interval '60 seconds' RETURNING 1"
    )
    topo.run("-m", "tests.topology.seed", "--submit", board, "1", "topology-provider")
    [(job,)] = topo.sql(
        "SELECT id::text FROM canvas_job WHERE board_id = %s ORDER BY queued_at DESC LIMIT 1",
        (board,),
    )
    wait_until(
        lambda: topo.sql(
            "SELECT 1 FROM canvas_job WHERE id = %s AND deferred_for = 'topology-provider'",
            (job,),
        ),
        timeout=60,
        what="the job to be deferred",
        every=0.05,
    )
    closed = float(topo.run("-c", CLOSE_CIRCUIT).split()[-1])

    def started():
        rows = topo.sql(
            "SELECT extract(epoch FROM started_at) FROM canvas_job WHERE id = %s "
            "AND state <> 'queued' AND attempts = 1",
            (job,),
        )
        return rows[0][0] if rows else None

    return float(wait_until(started, timeout=120, what="the deferred job to start")) - closed


def _row(name: str, values: list[float]) -> str:
    return (
        f"| {name} | {len(values)} | {statistics.median(values):.2f} s "
        f"| {min(values):.2f} s | {max(values):.2f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--circuit", type=int, default=0)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    results: dict[str, list[float]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="anchorboard-recovery-bench-") as tmp,
        topology(Path(tmp), extra_env=ENV) as topo,
    ):
        topo.start_worker()
        topo.start_worker()
        seed = topo.seed("bench")
        for how in ("killed", "hung"):
            for trial in range(args.trials):
                to_requeue, to_rerun = recovery_round(topo, seed["board"], how)
                results.setdefault(f"{how}: signal → requeued", []).append(to_requeue)
                results.setdefault(f"{how}: requeued → running again", []).append(to_rerun)
                print(f"… {how} {trial + 1}: requeued after {to_requeue:.2f} s", flush=True)
        for trial in range(args.circuit):
            waited = circuit_round(topo, seed["board"])
            results.setdefault("circuit closed → deferred job running", []).append(waited)
            print(f"… circuit {trial + 1}: started {waited:.2f} s after the close", flush=True)
    print("\n| measure | n | median | min | max |\n| --- | ---: | ---: | ---: | ---: |")
    for name, values in results.items():
        print(_row(name, values))
    print(f"\nload average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
