"""Run a load scenario against running web servers, with every client in a child process.

``run_scenario`` starts the swarm processes (tests/load/swarm.py), waits until all their
sockets are synced, starts everyone's clock at the same ``time.time()``, waits for the
editors' last ``ack``, reads a fresh snapshot through a new socket, and then gives every
client until ``converge_wait`` seconds after the last ack to reach that snapshot's revision.
It returns raw numbers (``Outcome``); the bench prints them, the tests assert on them.

The runner decides nothing about the server's correctness except the one thing the tests
need: whether each client's model equals the fresh snapshot (same digest, same revision).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

from tests.load.client import LoadClient, canonical

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Scenario:
    editors: int  # each an editor account with its own socket, sending ``rate`` batches/s
    rate: float
    seconds: float
    editor_urls: list[str]  # editors are spread over these web servers, round robin
    viewers: int = 0
    viewer_url: str = ""  # every viewer on this one web server (fan-out of one process)
    viewer_urls: list[str] = field(default_factory=list)  # or spread over these, by process
    presence: float = 0.0  # cursor messages per second per editor, besides the batches
    editors_per_process: int = 5
    viewers_per_process: int = 500
    ack_wait: float = 60.0
    converge_wait: float = 30.0
    connect_concurrency: int = 50


@dataclass
class Outcome:
    revision: int  # the fresh snapshot's
    sent: int
    unacked: int
    ack_latency: list[float]
    delivery_latency: list[float]  # every receiver's, of every edit it was sent live
    viewer_latency: list[float]  # the viewers' alone
    converge: list[float | None]  # per client: s from the last ack to its final revision
    behind: list[dict[str, Any]]  # clients whose model is not the snapshot's (with why)
    connected: int
    connect_failures: list[str]
    connect_s: list[float]
    closes: int  # sockets the server dropped (each then reconnected, as a browser does)
    close_codes: list[str]
    reconnects: int
    pings: int  # sent by the silence rule (each costs the server a message)
    presence_sent: int
    presence_received: int
    errors: dict[str, int]
    syncs: dict[str, int]
    client_cpu: float  # CPU seconds of all client processes / their wall seconds
    loop_lag_p99: float
    loop_lag_max: float
    server_cpu: dict[int, float] = field(default_factory=dict)  # pid → CPU s / wall s
    window_s: float = 0.0  # the sending window (server CPU is measured over it)
    acked_per_s: float = 0.0  # batches acknowledged / (last ack − start): the throughput
    counted: dict[str, float] = field(default_factory=dict)  # see run_scenario's counters
    server_rss_mib: dict[int, float] = field(default_factory=dict)  # pid → RSS, all connected
    viewer_received: list[int] = field(default_factory=list)  # per viewer: batches applied


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def rss_mib(pid: int) -> float:
    """Resident memory of a process, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Swarm:
    """One child process of sockets and the JSON-lines conversation with it."""

    def __init__(self, role: str, config: dict[str, Any], log: Path) -> None:
        self.role = role
        self.config = {**config, "role": role}
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        with self.log.open("ab") as stderr:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.load.swarm",
                cwd=ROOT,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                limit=2**27,  # latency lists arrive as one line
            )
        await self.tell(self.config)

    async def tell(self, message: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        await self.proc.stdin.drain()

    async def hear(self, event: str, timeout: float) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.role} swarm: no {event!r} within {timeout:g} s") from None
        if not line:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"{self.role} swarm exited before {event!r}:\n{tail}")
        message = json.loads(line)
        assert message["event"] == event, message
        return message

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


def _chunks(values: list[Any], size: int) -> list[list[Any]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


def _swarms(seed: dict[str, Any], scenario: Scenario, logs: Path) -> list[Swarm]:
    items = seed["items"]
    swarms = []
    editors = list(range(scenario.editors))
    for number, group in enumerate(_chunks(editors, scenario.editors_per_process)):
        url = scenario.editor_urls[number % len(scenario.editor_urls)]
        config = {
            "url": url,
            "origin": url,
            "board": seed["board"],
            "cookies": [seed["editors"][i] for i in group],
            "own": [items[i :: scenario.editors] for i in group],
            "shared": items,
            "rate": scenario.rate,
            "presence": scenario.presence,
            "seed": group[0] * 1000,
            "connect_concurrency": scenario.connect_concurrency,
        }
        swarms.append(Swarm("editor", config, logs / f"editors-{number}.log"))
    viewers = seed["viewers"][: scenario.viewers]
    viewer_urls = viewer_urls_of(scenario)
    for number, group in enumerate(_chunks(viewers, scenario.viewers_per_process)):
        viewer_url = viewer_urls[number % len(viewer_urls)]
        config = {
            "url": viewer_url,
            "origin": viewer_url,
            "board": seed["board"],
            "cookies": group,
            "connect_concurrency": scenario.connect_concurrency,
        }
        swarms.append(Swarm("viewer", config, logs / f"viewers-{number}.log"))
    return swarms


async def fresh_snapshot(
    url: str, board: str, cookie: str, timeout: float = 120
) -> tuple[int, str]:
    """The board as a new client sees it: (revision, model digest). A busy server may drop
    handshakes; this tries again until ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        client = LoadClient(url, board, cookie, url)
        try:
            await client.connect()
            await asyncio.wait_for(client.synced.wait(), max(1.0, deadline - time.monotonic()))
            assert client.revision is not None
            return client.revision, canonical(client.items)
        except (OSError, TimeoutError, websockets.WebSocketException):
            if time.monotonic() > deadline:
                raise
        finally:
            await client.close()


async def run_scenario(
    seed: dict[str, Any],
    scenario: Scenario,
    logs: Path,
    server_pids: list[int] = (),
    counters: dict[str, Callable[[], float]] | None = None,
) -> Outcome:
    """``counters`` are read at the start and the end of the sending window; their
    differences are in ``Outcome.counted`` (e.g. Redis commands run meanwhile)."""
    logs.mkdir(parents=True, exist_ok=True)
    swarms = _swarms(seed, scenario, logs)
    try:
        await asyncio.gather(*(swarm.start() for swarm in swarms))
        connect_budget = 60 + 0.1 * (scenario.editors + scenario.viewers)
        ready = await asyncio.gather(*(s.hear("ready", connect_budget) for s in swarms))

        start = time.time() + 1.0
        go = {"cmd": "go", "start": start, "seconds": scenario.seconds}
        await asyncio.gather(*(s.tell({**go, "ack_wait": scenario.ack_wait}) for s in swarms))
        # Server CPU over the sending window only (not the drain after it).
        await asyncio.sleep(max(0.0, start - time.time()))
        cpu_before = {pid: cpu_seconds(pid) for pid in server_pids}
        rss = {pid: rss_mib(pid) for pid in server_pids}  # every socket connected, idle
        counted = {name: read() for name, read in (counters or {}).items()}
        budget = scenario.seconds + scenario.ack_wait + 60
        hearing = asyncio.gather(*(s.hear("sent", budget) for s in swarms))
        await asyncio.sleep(max(0.0, start + scenario.seconds - time.time()))
        window = time.time() - start
        server_cpu = {pid: (cpu_seconds(pid) - cpu_before[pid]) / window for pid in server_pids}
        counted = {name: read() - counted[name] for name, read in (counters or {}).items()}
        sent = await hearing

        url = scenario.editor_urls[0] if scenario.editors else viewer_urls_of(scenario)[0]
        revision, digest = await fresh_snapshot(url, seed["board"], seed["owner"])
        last_ack = max((message["last_ack"] for message in sent), default=0.0) or start
        until = max(time.time(), last_ack) + scenario.converge_wait
        await asyncio.gather(
            *(s.tell({"cmd": "target", "revision": revision, "until": until}) for s in swarms)
        )
        reports = await asyncio.gather(
            *(s.hear("report", until - time.time() + 60) for s in swarms)
        )
    finally:
        await asyncio.gather(*(swarm.stop() for swarm in swarms))
    outcome = _outcome(swarms, ready, sent, reports, revision, digest, last_ack, server_cpu)
    outcome.window_s = window
    outcome.counted = counted
    outcome.server_rss_mib = rss
    outcome.acked_per_s = (outcome.sent - outcome.unacked) / max(1e-9, last_ack - start)
    return outcome


def viewer_urls_of(scenario: Scenario) -> list[str]:
    return scenario.viewer_urls or [scenario.viewer_url]


def fanout_problems(out: Outcome, scenario: Scenario) -> list[str]:
    """What keeps a fan-out run from delivering every edit to every viewer in order, in
    words (empty when it did): every socket connected, no close or error, each viewer
    applied each edit exactly once and never saw a revision gap (a lost or reordered
    broadcast), and every viewer's model equal to a fresh snapshot at the end.

    Live delivery is the rule but not required edit by edit: a viewer that hears nothing
    for a second pings, and a ``pong`` naming a revision whose broadcast is still on its
    way (across Redis) makes it catch up, after which the live copy is not sent again."""
    problems = []
    clients = scenario.editors + scenario.viewers
    if out.connected != clients:
        problems.append(f"{clients - out.connected} sockets failed: {out.connect_failures[:3]}")
    wrong = [n for n in out.viewer_received if n != out.sent]
    if wrong or len(out.viewer_received) != scenario.viewers:
        problems.append(
            f"{len(wrong)} viewers applied another number of edits than the {out.sent} sent "
            f"({sorted(set(wrong))[:5]}); {len(out.viewer_received)} viewers reported"
        )
    if out.syncs.get("gap"):
        problems.append(f"{out.syncs['gap']} revision gaps seen (a batch lost or out of order)")
    if out.errors or out.closes:
        problems.append(f"errors {out.errors}, {out.closes} sockets closed {out.close_codes}")
    if out.behind:
        problems.append(f"{len(out.behind)} clients not on the final snapshot: {out.behind[:5]}")
    if problems:  # context for the reader
        live = len(out.viewer_latency)
        problems.append(f"(live deliveries {live} of {out.sent * scenario.viewers}; {out.syncs})")
    return problems


def _outcome(swarms, ready, sent, reports, revision, digest, last_ack, server_cpu) -> Outcome:
    clients = [
        (s.role, c) for s, report in zip(swarms, reports, strict=True) for c in report["clients"]
    ]
    converge: list[float | None] = []
    behind = []
    errors: dict[str, int] = {}
    syncs: dict[str, int] = {}
    for role, client in clients:
        ok = client["revision"] == revision and client["digest"] == digest
        converge.append(max(0.0, client["reached_at"] - last_ack) if ok else None)
        if not ok:
            behind.append({"role": role, "revision": client["revision"], "open": client["open"]})
        for code, count in client["errors"].items():
            errors[code] = errors.get(code, 0) + count
        for reason, count in client["syncs"].items():
            syncs[reason] = syncs.get(reason, 0) + count
    lags = [value for report in reports for value in report["loop_lag"]]
    return Outcome(
        revision=revision,
        sent=sum(message["sent"] for message in sent),
        unacked=sum(message["unacked"] for message in sent),
        ack_latency=[v for message in sent for v in message["ack_latency"]],
        delivery_latency=[v for report in reports for v in report["delivery_latency"]],
        viewer_latency=[
            v
            for swarm, report in zip(swarms, reports, strict=True)
            if swarm.role == "viewer"
            for v in report["delivery_latency"]
        ],
        converge=converge,
        behind=behind,
        connected=sum(message["connected"] for message in ready),
        connect_failures=[f for message in ready for f in message["failures"]],
        connect_s=[v for message in ready for v in message["connect_s"]],
        closes=sum(len(client["closes"]) for _, client in clients),
        close_codes=sorted({str(code) for _, c in clients for code in c["closes"]}),
        reconnects=sum(client["reconnects"] for _, client in clients),
        pings=sum(client["pings"] for _, client in clients),
        presence_sent=sum(client["presence_sent"] for _, client in clients),
        presence_received=sum(client["presence_received"] for _, client in clients),
        errors=errors,
        syncs=syncs,
        client_cpu=sum(r["cpu_s"] for r in reports) / max(1e-9, max(r["wall_s"] for r in reports)),
        loop_lag_p99=percentile(lags, 99),
        loop_lag_max=max(lags, default=math.nan),
        server_cpu=server_cpu,
        viewer_received=[client["received"] for role, client in clients if role == "viewer"],
    )


def convergence_problems(out: Outcome, seed: dict[str, Any], scenario: Scenario, bound: float):
    """What keeps a run from meeting issue 10's requirement, in words (empty when met):
    every batch sent and acknowledged, nothing refused or closed, and every client's model
    equal to a fresh snapshot within ``bound`` seconds of the last ack."""
    clients = scenario.editors + scenario.viewers
    expected = round(scenario.editors * scenario.rate * scenario.seconds)
    ack = f"ack p50/p95/max {percentile(out.ack_latency, 50):.2f}/"
    ack += f"{percentile(out.ack_latency, 95):.2f}/{max(out.ack_latency, default=0):.2f} s"
    problems = []
    if out.connected != clients:
        problems.append(f"{clients - out.connected} sockets failed: {out.connect_failures[:3]}")
    if out.sent != expected:
        problems.append(f"{out.sent} batches sent, not {expected} (a socket closed?)")
    if out.unacked:
        problems.append(f"{out.unacked} batches unacknowledged {scenario.ack_wait:g} s on ({ack})")
    if out.revision != seed["revision"] + out.sent:
        problems.append(f"board at revision {out.revision}, not {seed['revision'] + out.sent}")
    if out.errors or out.closes:
        problems.append(f"errors {out.errors}, {out.closes} sockets closed {out.close_codes}")
    late = [c for c in out.converge if c is None or c > bound]
    if late:
        times = sorted(f"{c:.2f}" if c is not None else "never" for c in out.converge)
        problems.append(
            f"{len(late)} of {len(out.converge)} clients did not equal a fresh snapshot within "
            f"{bound:g} s of the last ack (s after it: {', '.join(times)}; behind: "
            f"{out.behind[:5]}; syncs {out.syncs}; {ack}; server CPU {out.server_cpu})"
        )
    return problems
