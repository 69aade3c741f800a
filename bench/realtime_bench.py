"""Realtime benchmark: editors' acks and convergence, and fan-out to many viewers.

Every client is a board websocket in a child process (tests/load/swarm.py: asyncio +
``websockets``, up to 5 editors or 500 viewers per process), never in the server's process
or in this one. Two measurements, each bounded in time:

- **editors**: E editor accounts on one board, each sending ``--rate`` batches/s (one
  operation each: mostly moves of their own frames, some of anyone's, restyles, creates and
  deletes) for ``--seconds``, open loop as a browser does. Prints ack latency (send → own
  ``ack``), delivery latency to the other editors, and convergence: how long after the last
  ``ack`` every client's model equals a fresh snapshot (same revision, same digest). Clients
  follow the client-side convergence rules of docs/protocol.md (tests/load/client.py).
- **fan-out**: V viewer sockets on ONE web process, one editor sending 1 batch/s for
  ``--fanout-seconds``. Prints delivery latency p50/p95/max over every viewer and edit, the
  viewers that did not end on the snapshot, closes and errors.

Latency is measured with the sender's ``time.time()`` carried in the operation's
``props.t`` and compared at receive on the same machine clock; the server cannot move it.
Each row also prints the server's CPU (seconds per second, over the sending window; 1.0 =
one core), the client processes' CPU and their worst event-loop lag (a late client loop
would inflate every timestamp it takes), and ``/proc/loadavg`` before → after.

Targets: ``embedded`` (``manage.py serve``: SQLite, in-memory channel layer, one process),
``pg1`` / ``pg2`` (tests/topology/harness.py: PostgreSQL, a private redis-server, 1 or 2
Daphne processes; editors spread over both, fan-out viewers on the first and the sending
editor on the last).

    .venv/bin/python bench/realtime_bench.py                      # everything, ~25 min
    .venv/bin/python bench/realtime_bench.py --targets embedded --editors 20 --viewers ""
    .venv/bin/python bench/realtime_bench.py --profile /tmp/serve.txt --targets embedded \\
        --editors 20 --viewers ""        # the embedded server under py-spy (pip install py-spy)

Needs PostgreSQL on 127.0.0.1:5432 (trust) and redis-server for the pg targets.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.load.client import LoadClient
from tests.load.runner import Outcome, Scenario, fresh_snapshot, percentile, run_scenario
from tests.load.servers import EmbeddedServer, parse_seed, raise_fd_limit, seed_args


@dataclass
class Target:
    name: str
    urls: list[str]
    pids: list[int]
    seed: object  # (editors, viewers, items) -> seed dict
    redis_port: int = 0  # the private redis-server of the pg targets
    topo: Any = None  # tests.topology.harness.Topology of the pg targets

    def redis_commands(self) -> int:
        """Commands the channel layer's Redis has run so far (0 without Redis)."""
        if not self.redis_port:
            return 0
        import redis

        stats = redis.Redis(port=self.redis_port).info("commandstats")
        return sum(value["calls"] for key, value in stats.items() if key != "cmdstat_info")


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)  # polling a bounded wait for a process that is not our child
    return True


def wait_idle(target: Target, seed: dict, timeout: float = 600) -> float:
    """Wait until the server has worked off what the last row left queued, so one row's
    backlog does not slow the next: a new socket must get its snapshot within 1 s (its
    handshake and sync queue behind everything else on the server's database thread).
    Returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        probe = time.monotonic()
        try:
            asyncio.run(fresh_snapshot(target.urls[0], seed["board"], seed["owner"], 30))
        except Exception as exc:  # still too busy to answer a handshake: keep waiting
            print(f"… server still busy ({exc!r})", flush=True)
            continue
        if time.monotonic() - probe < 1.0:
            break
    return time.monotonic() - started


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def ms(value: float) -> str:
    return "—" if value != value else f"{value * 1000:,.0f} ms"  # NaN → dash


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def behind(out: Outcome, role: str | None = None) -> str:
    """How many clients did not end on the snapshot, and by how many revisions."""
    late = [b for b in out.behind if role is None or b["role"] == role]
    of = "" if role else f"/{len(out.converge)}"
    if not late:
        return f"0{of}"
    short = [out.revision - (b["revision"] or 0) for b in late]
    parts = []
    behind_by = [n for n in short if n > 0]
    if behind_by:
        parts.append(f"{len(behind_by)} short by {min(behind_by)}–{max(behind_by)}")
    if min(short) < 0:  # the snapshot was read while unacknowledged batches still committed
        parts.append(f"{sum(1 for n in short if n < 0)} past the snapshot")
    if 0 in short:
        parts.append(f"{short.count(0)} same revision, other items")
    return f"{len(late)}{of} ({'; '.join(parts)})"


def presence(out: Outcome) -> str:
    """Cursor messages sent → received by the other editors."""
    return f"{out.presence_sent:,} → {out.presence_received:,}" if out.presence_sent else "—"


def closes(out: Outcome) -> str:
    """Sockets the server closed (and the codes); each client then reconnected."""
    return f"{out.closes} ({', '.join(out.close_codes)})" if out.closes else "0"


def counts(mapping: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(mapping.items())) or "0"


@contextlib.contextmanager
def embedded(workdir: Path, profile: str | None) -> Iterator[list[Target]]:
    prefix = []
    if profile:
        spy = Path(sys.executable).with_name("py-spy")
        prefix = [
            str(spy),
            "record",
            "-r",
            "100",
            "--nonblocking",
            "--threads",
            "-f",
            "raw",
            "-o",
            profile,
            "--",
        ]
    server = EmbeddedServer(workdir / "embedded", command_prefix=prefix)
    server.start()
    pid = server.pid
    if profile:  # py-spy is the parent: measure its child, the server
        pid = int(subprocess.check_output(["pgrep", "-P", str(server.pid)]).split()[0])
    try:
        yield [Target("embedded", [server.url], [pid], server.seed)]
    finally:
        if profile:  # Ctrl+C makes py-spy write its profile; then stop the server itself
            server.proc.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.proc.wait(120)
            os.kill(pid, signal.SIGTERM)
            if not wait_gone(pid, 60):
                os.kill(pid, signal.SIGKILL)
        server.stop()
        if "Traceback" in server.tail(100000):
            print(f"!! the embedded server logged tracebacks; see {server.log}", flush=True)


@contextlib.contextmanager
def attached_profiler(pid: int, profile: str | None) -> Iterator[None]:
    """py-spy sampling a running process (the first web process of the pg targets) until
    the block ends; raw output (flame graph input) to ``profile``."""
    if not profile:
        yield
        return
    spy = Path(sys.executable).with_name("py-spy")
    args = ["record", "-r", "100", "--nonblocking", "-f", "raw", "-o", profile]
    proc = subprocess.Popen([str(spy), *args, "--pid", str(pid)], stdout=subprocess.DEVNULL)
    try:
        yield
    finally:
        proc.send_signal(signal.SIGINT)  # py-spy writes its profile on Ctrl+C
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(120)


@contextlib.contextmanager
def scaled_out(
    workdir: Path, names: list[str], job_seconds: float, profile: str | None = None
) -> Iterator[list[Target]]:
    from tests.topology.harness import topology

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    env = {"ANCHORBOARD_TOPOLOGY_ENGINE_SECONDS": str(job_seconds)}
    with topology(workdir / "topology", extra_env=env) as topo:
        webs = [topo.start_web() for _ in range(2 if "pg2" in names else 1)]
        with attached_profiler(webs[0].pid, profile):
            yield from _scaled_out_targets(topo, webs, names)
        for web in webs:
            if "Traceback" in web.log_text():
                print(f"!! {web.name} logged tracebacks; see {web.log}", flush=True)


def _scaled_out_targets(topo, webs, names: list[str]) -> Iterator[list[Target]]:
    def seed(editors: int, viewers: int = 0, items: int = 0) -> dict:
        args = seed_args(editors, viewers, items or max(20, 4 * editors))
        return parse_seed(topo.run(*args, timeout=600))

    urls = [f"http://127.0.0.1:{web.port}" for web in webs]
    targets = {
        "pg1": Target("pg1", urls[:1], [webs[0].pid], seed, topo.redis_port, topo),
        "pg2": Target("pg2", urls, [web.pid for web in webs], seed, topo.redis_port, topo),
    }
    yield [targets[name] for name in names if name in targets]


def run_row(target: Target, seed: dict, scenario: Scenario, logs: Path) -> tuple[Outcome, str]:
    """One row, once the server is idle: (outcome, load average before). Server CPU is
    measured on the processes the row's sockets use; fan-out uses the first only."""
    idle = wait_idle(target, seed)
    if idle > 5:
        print(f"… waited {idle:.0f} s for the server to finish the previous row", flush=True)
    before = loadavg()
    pids = target.pids if scenario.editors > 1 else target.pids[:1]
    counters = {"redis": target.redis_commands}
    return asyncio.run(run_scenario(seed, scenario, logs, pids, counters)), before


def editors_row(target: Target, editors: int, args, workdir: Path) -> str:
    seed = target.seed(editors)
    scenario = Scenario(
        editors=editors,
        rate=args.rate,
        seconds=args.seconds,
        presence=args.presence,
        editor_urls=target.urls,
        ack_wait=args.ack_wait,
        converge_wait=args.converge_wait,
    )
    out, before = run_row(target, seed, scenario, workdir / f"{target.name}-e{editors}")
    # Commands during the sending window, per batch committed in it (at the mean rate).
    per_batch = out.counted["redis"] / max(1.0, out.acked_per_s * out.window_s)
    converged = [c for c in out.converge if c is not None]
    return (
        f"| {target.name} | {editors} | {out.sent} ({out.sent / args.seconds:.0f}/s) "
        f"| {ms(percentile(out.ack_latency, 50))} | {ms(percentile(out.ack_latency, 95))} "
        f"| {ms(max(out.ack_latency, default=float('nan')))} | {out.acked_per_s:.1f} "
        f"| {out.unacked} "
        f"| {ms(percentile(out.delivery_latency, 95))} "
        f"| {seconds(max(converged) if converged else None)} "
        f"| {behind(out)} | {counts({**out.syncs, 'pings': out.pings})} "
        f"| {presence(out)} "
        f"| {counts(out.errors)} | {closes(out)} | {server_cpu(out)} "
        f"| {out.client_cpu:.2f} | {ms(out.loop_lag_p99)} / {ms(out.loop_lag_max)} "
        f"| {redis_column(target, per_batch)} | {before} → {loadavg()} |"
    )


def redis_column(target: Target, value: float) -> str:
    return f"{value:.1f}" if target.redis_port else "—"


def server_cpu(out: Outcome) -> str:
    return " + ".join(f"{value:.2f}" for value in out.server_cpu.values())


def fanout_rows(target: Target, viewers: list[int], args, workdir: Path) -> list[str]:
    seed = target.seed(1, max(viewers), 20)
    rows = []
    for count in viewers:
        scenario = Scenario(
            editors=1,
            rate=1.0,
            seconds=args.fanout_seconds,
            editor_urls=target.urls[-1:],
            viewers=count,
            viewer_url=target.urls[0],
            ack_wait=args.ack_wait,
            converge_wait=args.converge_wait,
            viewers_per_process=args.viewers_per_process,
        )
        try:
            out, before = run_row(target, seed, scenario, workdir / f"{target.name}-v{count}")
        except Exception as exc:  # a row that broke is a result too
            rows.append(f"| {target.name} | {count} | failed: {exc!r} |")
            print(rows[-1], flush=True)
            continue
        per_edit = out.counted["redis"] / max(1, out.sent)
        expected = out.sent * (out.connected - 1)  # every viewer, every edit
        rows.append(
            f"| {target.name} | {count} | {out.connected} ({len(out.connect_failures)} failed) "
            f"| {ms(percentile(out.connect_s, 95))} | {ms(percentile(out.ack_latency, 50))} / "
            f"{ms(percentile(out.ack_latency, 95))} "
            f"| {len(out.viewer_latency)}/{expected} "
            f"| {ms(percentile(out.viewer_latency, 50))} "
            f"| {ms(percentile(out.viewer_latency, 95))} "
            f"| {ms(max(out.viewer_latency, default=float('nan')))} "
            f"| {behind(out, 'viewer')} | {counts({**out.syncs, 'pings': out.pings})} "
            f"| {closes(out)} | {counts(out.errors)} "
            f"| {server_cpu(out)} | {out.server_rss_mib[target.pids[0]]:.0f} MiB "
            f"| {out.client_cpu:.2f} | {ms(out.loop_lag_p99)} / {ms(out.loop_lag_max)} "
            f"| {redis_column(target, per_edit)} | {before} → {loadavg()} |"
        )
        print(rows[-1], flush=True)
        if out.connect_failures:
            rows.append(f"|  | first connect failure: {out.connect_failures[0]} |")
            print(rows[-1], flush=True)
    return rows


async def count_job_messages(topo, jobs: int) -> dict:
    """Submit ``jobs`` one-image jobs of the topology engine on a fresh board and count,
    on one board socket, every message they cause (by type, with bytes) and the Redis
    commands run meanwhile (channel layer and Celery broker together)."""
    from tests.topology.client import BoardClient

    seed = topo.seed(f"jobs{int(time.time())}")
    web = f"http://127.0.0.1:{topo.webs[0].port}"
    login = BoardClient(web, seed["board"])
    await login.login(seed["username"], seed["password"])
    cookie = login.http.cookies["sessionid"]
    await login.http.aclose()
    client = LoadClient(web, seed["board"], cookie, web)
    redis = Target("jobs", [web], [], None, topo.redis_port)
    await client.connect()
    try:
        await asyncio.wait_for(client.synced.wait(), 60)
        # The idle rate (broker polling, sweeper, socket keep-alive) is subtracted below.
        idle_started, idle_before = time.monotonic(), redis.redis_commands()
        await asyncio.sleep(10)
        idle_rate = (redis.redis_commands() - idle_before) / (time.monotonic() - idle_started)
        started, before = time.monotonic(), redis.redis_commands()
        await asyncio.to_thread(
            topo.run, "-m", "tests.topology.seed", "--submit", seed["board"], str(jobs)
        )
        deadline = time.monotonic() + 60 + jobs * 10
        while time.monotonic() < deadline and len(client.finished_jobs) < jobs:
            await asyncio.sleep(0.1)
        commands = redis.redis_commands() - before - idle_rate * (time.monotonic() - started)
    finally:
        await client.close()
    by_type = {kind: sizes for kind, sizes in client.other.items() if kind.startswith("job")}
    by_type.update({"iteration": client.other.get("iteration", [])})
    return {
        "jobs": jobs,
        "done": len(client.finished_jobs),
        "by_type": by_type,
        "redis": commands,
        "closes": client.stats.closes,
    }


def job_rows(result: dict, seconds: float) -> list[str]:
    jobs = result["jobs"]
    rows = [
        f"{result['done']}/{jobs} jobs finished (socket closes: {result['closes'] or 0}); "
        f"the engine takes {seconds:g} s per job and "
        f"reports 10 steps; progress writes are throttled to 0.5 s. Redis commands per job "
        f"(channel layer + broker, above the idle rate): {result['redis'] / jobs:.0f}\n",
        "| message | per job | bytes per job |",
        "| --- | ---: | ---: |",
    ]
    for kind, sizes in sorted(result["by_type"].items()):
        rows.append(f"| `{kind}` | {len(sizes) / jobs:.1f} | {sum(sizes) / jobs:,.0f} |")
    total = [size for sizes in result["by_type"].values() for size in sizes]
    rows.append(f"| all | {len(total) / jobs:.1f} | {sum(total) / jobs:,.0f} |")
    return rows


EDITOR_HEADER = (
    "| target | editors | batches sent | ack p50 | ack p95 | ack max | acked/s | unacked "
    "| delivery p95 | converged after last ack (max) | clients behind | syncs, pings "
    "| presence sent → received | errors | closes "
    "| server CPU | client CPU | client loop lag p99 / max | Redis cmds per batch | load avg |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: "
    "| --- | --- | ---: | ---: | ---: | ---: | --- |"
)
FANOUT_HEADER = (
    "| target | viewers | connected | connect p95 | sender's ack p50 / p95 "
    "| edits received live / expected "
    "| delivery p50 | p95 | max | viewers behind | syncs, pings | closes | errors | server CPU "
    "| server RSS "
    "| client CPU | client loop lag p99 / max | Redis cmds per edit | load avg |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- "
    "| ---: | ---: | ---: | ---: | ---: | --- |"
)


def numbers(text: str) -> list[int]:
    return [int(value) for value in text.split(",") if value.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="embedded,pg1,pg2")
    parser.add_argument("--editors", default="5,20,50")
    parser.add_argument("--rate", type=float, default=5.0, help="batches/s per editor")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--presence", type=float, default=0.0, help="cursor messages/s per editor (browser ≤ 16)"
    )
    parser.add_argument("--viewers", default="100,250,500,1000,2000")
    parser.add_argument("--fanout-seconds", type=float, default=20.0)
    parser.add_argument(
        "--viewers-per-process",
        type=int,
        default=Scenario.viewers_per_process,
        help="viewer sockets per client process (fewer: less client loop lag per message)",
    )
    parser.add_argument("--ack-wait", type=float, default=90.0)
    parser.add_argument("--converge-wait", type=float, default=20.0)
    parser.add_argument("--jobs", type=int, default=20, help="jobs whose messages are counted")
    parser.add_argument("--job-seconds", type=float, default=2.0)
    parser.add_argument(
        "--profile",
        help="py-spy raw output here: the embedded server run under py-spy, or the first "
        "web process of the pg targets with py-spy attached",
    )
    parser.add_argument("--keep", action="store_true", help="keep logs and data")
    args = parser.parse_args()
    raise_fd_limit()
    names = [name for name in args.targets.split(",") if name]
    editor_rows: list[str] = []
    fanout: list[str] = []
    jobs: list[str] = []
    started = time.monotonic()
    print(f"uptime at start: {subprocess.check_output(['uptime'], text=True).strip()}")
    workdir = Path(tempfile.mkdtemp(prefix="realtime-bench-"))
    groups = []
    if "embedded" in names:
        groups.append(lambda: embedded(workdir, args.profile))
    if {"pg1", "pg2"} & set(names):
        groups.append(lambda: scaled_out(workdir, names, args.job_seconds, args.profile))
    for group in groups:
        with group() as targets:
            for target in targets:
                for editors in numbers(args.editors):
                    try:
                        editor_rows.append(editors_row(target, editors, args, workdir))
                    except Exception as exc:  # a row that broke is a result too
                        editor_rows.append(f"| {target.name} | {editors} | failed: {exc!r} |")
                    print(editor_rows[-1], flush=True)
                if numbers(args.viewers):
                    fanout += fanout_rows(target, numbers(args.viewers), args, workdir)
            if args.jobs and target.topo is not None and not jobs:
                topo = target.topo
                worker = topo.start_worker(concurrency=4)
                jobs = job_rows(asyncio.run(count_job_messages(topo, args.jobs)), args.job_seconds)
                topo.kill(worker)
                print("\n".join(jobs), flush=True)
    print(f"\nuptime at end: {subprocess.check_output(['uptime'], text=True).strip()}")
    print(f"{time.monotonic() - started:.0f} s in all; logs in {workdir}\n")
    if editor_rows:
        extra = f" and {args.presence:g} cursor messages/s" if args.presence else ""
        print(f"Editors: {args.rate:g} batches/s{extra} each for {args.seconds:g} s\n")
        print(EDITOR_HEADER)
        print("\n".join(editor_rows))
    if fanout:
        print(f"\nFan-out: 1 editor at 1 batch/s for {args.fanout_seconds:g} s\n")
        print(FANOUT_HEADER)
        print("\n".join(fanout))
    if jobs:
        print("\nJob messages on one board socket (pg, one Celery worker)\n")
        print("\n".join(jobs))
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
