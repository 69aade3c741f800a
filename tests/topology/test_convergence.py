"""Convergence is a protocol property (issue 10), scaled out: PostgreSQL, the Redis channel
layer and two web processes, editors spread over both (so every other batch crosses Redis).

The same run and requirement as tests/load/test_convergence.py (whose docstring explains
it): every batch acknowledged, every client equal to a fresh snapshot within ``BOUND``
seconds of the last ack, clients in processes of their own following the browser's rules.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.load.runner import convergence_problems, run_scenario
from tests.load.servers import parse_seed, raise_fd_limit, seed_args
from tests.load.test_convergence import BOUND, LOAD, scenario
from tests.topology.conftest import url

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(600)]


async def test_twenty_editors_on_two_web_processes_converge(topo, tmp_path):
    raise_fd_limit()
    editors = int(LOAD["editors"])
    output = await asyncio.to_thread(topo.run, *seed_args(editors, 0, 4 * editors), timeout=600)
    seed = parse_seed(output)
    run = scenario([url(web) for web in topo.webs])
    out = await run_scenario(seed, run, tmp_path / "clients", [web.pid for web in topo.webs])
    problems = convergence_problems(out, seed, run, BOUND)
    assert not problems, topo.logs(10) + "\n\n" + "\n".join(problems)
