"""Convergence is a protocol property (issue 10), on the embedded default.

Twenty editors on one board, each sending 5 batches/s for 20 s (issue 10's load), each a
websocket in a client process of its own (tests/load/swarm.py, never in this process or the
server's), send their batches open loop against ``manage.py serve`` as shipped (SQLite,
in-memory channel layer, one process).
Afterwards every batch must be acknowledged, and every client's model must equal a fresh
snapshot — same revision, every item and field — within ``BOUND`` seconds of the last ack.
The clients follow the same rules as the browser (docs/protocol.md "Staying in step":
revision gap, silence → ping → pong revision, unacknowledged batch), so a client left
behind by a dropped broadcast has to get there through the protocol, not through the next
edit. Latency is not asserted (bench/realtime_bench.py measures it); how long the acks took
is in the failure message.

The same run on PostgreSQL + Redis with two web processes is
tests/topology/test_convergence.py; both share ``LOAD`` and ``BOUND`` from here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from canvas.protocol import limits
from tests.load import client
from tests.load.runner import Scenario, convergence_problems, run_scenario
from tests.load.servers import EmbeddedServer, raise_fd_limit

# Issue 10's load: 20 editors × 5 batches/s × 20 s on one board (2,000 batches), open loop.
LOAD = {"editors": 20, "rate": 5.0, "seconds": 20.0}
# Issue 10's requirement, not a timeout: every client equals a fresh snapshot within 2 s of
# the last ack. It is a convergence deadline, not a latency one: by the last ack every batch
# is committed and its broadcast sent, so what is left is the clients taking in what is in
# flight and, for one that missed a broadcast, the protocol's own recovery (silence ping
# after limits.SILENCE_PING_MS = 1 s, then pong, then the batches). A client left behind by
# a real lag — a socket that stopped receiving, a gap nobody fills — needs more and fails.
BOUND = 2.0
# How long the acks may take to arrive at all (how fast they come is bench/realtime_bench.py's
# business; it is printed on failure, not asserted): generous for a shared CI machine.
ACK_WAIT = 120.0


def scenario(urls: list[str]) -> Scenario:
    return Scenario(
        **LOAD,
        editor_urls=urls,
        ack_wait=ACK_WAIT,
        converge_wait=BOUND + 1.0,  # a client arriving later is reported with its time
    )


def test_the_load_clients_follow_the_protocols_timings():
    """tests/load/client.py keeps its own copy (it must not import canvas): the same rules
    as the browser, or the convergence tests would test something else."""
    assert client.SILENCE_PING_S * 1000 == limits.SILENCE_PING_MS
    assert client.PING_EVERY_S * 1000 == limits.KEEPALIVE_PING_MS
    assert client.UNACKED_SYNC_S * 1000 == limits.UNACKED_SYNC_MS
    assert client.SYNC_RETRY_S * 1000 == limits.SYNC_RETRY_MS


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_twenty_editors_converge_on_the_embedded_default(tmp_path: Path):
    raise_fd_limit()
    server = EmbeddedServer(tmp_path / "embedded")
    server.start()
    try:
        seed = server.seed(LOAD["editors"])
        run = scenario([server.url])
        out = await run_scenario(seed, run, tmp_path / "clients", [server.pid])
    finally:
        server.stop()
    problems = convergence_problems(out, seed, run, BOUND)
    assert not problems, "\n".join(problems)
    assert "Traceback" not in server.tail(100_000), server.tail()
