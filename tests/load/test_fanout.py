"""Fan-out on one web process (issue 10): many viewers on one board, each a websocket in
client processes of their own (tests/load/swarm.py), against ``manage.py serve`` as
shipped (SQLite, in-memory channel layer). One editor sends batches; every viewer must get
every one of them live, in revision order, and end on a fresh snapshot. Latency is not
asserted (bench/realtime_bench.py measures it).

The same on PostgreSQL + Redis with viewers on two web processes is
tests/topology/test_fanout.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.load.runner import Scenario, fanout_problems, run_scenario
from tests.load.servers import EmbeddedServer, raise_fd_limit

VIEWERS = 200  # the target is 1,000 per process: bench/README.md has those runs
LOAD = {"editors": 1, "rate": 2.0, "seconds": 10.0}


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_every_viewer_on_one_process_gets_every_edit_in_order(tmp_path: Path):
    raise_fd_limit()
    server = EmbeddedServer(tmp_path / "embedded")
    server.start()
    try:
        seed = server.seed(1, VIEWERS, 20)
        run = Scenario(
            **LOAD,
            editor_urls=[server.url],
            viewers=VIEWERS,
            viewer_url=server.url,
            viewers_per_process=VIEWERS // 2,
            connect_concurrency=10,  # a loaded CI machine answers handshakes slowly
            ack_wait=120.0,
            converge_wait=10.0,
        )
        out = await run_scenario(seed, run, tmp_path / "clients", [server.pid])
    finally:
        server.stop()
    problems = fanout_problems(out, run)
    assert out.sent == LOAD["rate"] * LOAD["seconds"]
    assert not problems, "\n".join(problems)
    assert "Traceback" not in server.tail(100_000), server.tail()
