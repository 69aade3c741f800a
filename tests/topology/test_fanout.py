"""Fan-out scaled out (issue 10): PostgreSQL, the Redis channel layer and two web
processes, viewers on both, the editor on the second. Each process holds one membership of
the board's group (canvas.boardsocket.fanout) and hands every edit to its own viewers; none may be
lost on either process. Clients run in processes of their own; latency is not asserted.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.load.runner import Scenario, fanout_problems, run_scenario
from tests.load.servers import parse_seed, raise_fd_limit, seed_args
from tests.topology.conftest import url

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(600)]
VIEWERS = 100  # 50 on each web process


async def test_every_edit_reaches_viewers_on_both_web_processes(topo, tmp_path):
    raise_fd_limit()
    output = await asyncio.to_thread(topo.run, *seed_args(1, VIEWERS, 20), timeout=600)
    seed = parse_seed(output)
    webs = [url(web) for web in topo.webs]
    run = Scenario(
        editors=1,
        rate=2.0,
        seconds=10.0,
        editor_urls=webs[-1:],
        viewers=VIEWERS,
        viewer_urls=webs,
        viewers_per_process=VIEWERS // 2,
        connect_concurrency=10,  # a loaded CI machine answers handshakes slowly
        ack_wait=120.0,
        converge_wait=10.0,
    )
    out = await run_scenario(seed, run, tmp_path / "clients", [web.pid for web in topo.webs])
    problems = fanout_problems(out, run)
    assert out.sent == 20
    assert not problems, topo.logs(10) + "\n\n" + "\n".join(problems)
