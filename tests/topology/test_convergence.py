"""Convergence is a protocol property (issue 10), scaled out: PostgreSQL, the Redis channel
layer and two web processes, editors spread over both (so every other batch crosses Redis).

The same run and requirement as tests/load/test_convergence.py (whose docstring explains
it): every batch acknowledged, every client equal to a fresh snapshot within ``BOUND``
seconds of the last ack, clients in processes of their own following the browser's rules.

Meanwhile one socket per web process sits on another board, idle (not even pinging), for
at least ``IDLE_SECONDS``: on the Redis layer it must see no close (issue 10: idle sockets
were closed with 1011 every ~10 s). It shares the run's wall time instead of adding its own.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.load.runner import convergence_problems, run_scenario
from tests.load.servers import parse_seed, raise_fd_limit, seed_args
from tests.load.test_convergence import BOUND, LOAD, scenario
from tests.topology.client import BoardClient
from tests.topology.conftest import url

IDLE_SECONDS = 60.0

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(600)]


async def test_twenty_editors_on_two_web_processes_converge(topo, tmp_path):
    raise_fd_limit()
    idle = await _idle_sockets(topo)
    opened = time.monotonic()
    try:
        editors = int(LOAD["editors"])
        seeding = [*seed_args(editors, 0, 4 * editors)]
        seed = parse_seed(await asyncio.to_thread(topo.run, *seeding, timeout=600))
        run = scenario([url(web) for web in topo.webs])
        out = await run_scenario(seed, run, tmp_path / "clients", [web.pid for web in topo.webs])
        problems = convergence_problems(out, seed, run, BOUND)
        assert not problems, topo.logs(10) + "\n\n" + "\n".join(problems)
        # Idleness is the subject here: the sockets must stay open this long, doing nothing.
        await asyncio.sleep(max(0.0, IDLE_SECONDS - (time.monotonic() - opened)))
        for client in idle:
            assert client.connects == 1 and not client.closed_codes, (
                client.base,
                client.closed_codes,
            )
            assert client._socket is not None and client._socket.close_code is None
    finally:
        for client in idle:
            await client.close()


async def _idle_sockets(topo) -> list[BoardClient]:
    """One synced board socket per web process, on a board nobody edits."""
    seed = await asyncio.to_thread(topo.seed, "idler")
    clients = [BoardClient(url(web), seed["board"], reread=False) for web in topo.webs]
    for client in clients:
        await client.login(seed["username"], seed["password"])
        await client.open()
    return clients
