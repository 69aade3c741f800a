"""The scaled-out topology, started once for this folder's tests.

Two Daphne web servers and two Celery workers (thread pool, 2 slots each) as real
subprocesses, on a dedicated PostgreSQL database, a private redis-server and an S3 server
(moto) on loopback, all with ANCHORBOARD_DISPATCHER=celery. Leases are short (3 s) so
recovery after a SIGKILL is quick. Missing services fail in CI and skip on a laptop.
"""

from __future__ import annotations

import logging

import pytest

from tests.conftest import missing_service
from tests.topology.harness import ServiceMissing, Topology, topology

TEST_ENV = {
    "ANCHORBOARD_JOB_LEASE_SECONDS": "3",
    "ANCHORBOARD_JOB_POLL_SECONDS": "0.5",
    "ANCHORBOARD_JOB_PROGRESS_INTERVAL": "0.1",
    "ANCHORBOARD_JOB_USER_CONCURRENCY": "16",
    # Kill tests interrupt some jobs several times; they must still end in success.
    "ANCHORBOARD_JOB_MAX_ATTEMPTS": "25",
    "ANCHORBOARD_TOPOLOGY_ENGINE_SECONDS": "1",
}


@pytest.fixture(scope="package")
def topo(tmp_path_factory) -> Topology:
    """Services, two web servers and two workers; tests may kill and start workers."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    try:
        with topology(tmp_path_factory.mktemp("topology"), extra_env=TEST_ENV) as topo:
            topo.start_web()
            topo.start_web()
            topo.start_worker()
            topo.start_worker()
            yield topo
    except ServiceMissing as exc:
        missing_service(str(exc), "Start PostgreSQL on 127.0.0.1:5432 and install redis-server.")


def url(proc) -> str:
    return f"http://127.0.0.1:{proc.port}"
