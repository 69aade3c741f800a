"""With the Celery dispatcher, a broker that is down never turns a saved change into an
error: the send is logged and given up quickly (the workers' sweeper finds the job).

Run in a fresh interpreter: the Celery app keeps process-wide state (configuration,
connection pools) that other tests in the same worker process change.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import django
django.setup()
from foundation.background import dispatch_now
dispatch_now("canvas.jobs.wake")  # must not raise
print("dispatched without raising")
"""


def test_an_unreachable_broker_is_logged_not_raised(tmp_path):
    # A port that is bound but never listens: connections are refused, and no other test
    # (several start their own servers) can take it while this one runs.
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "ANCHORBOARD_DATA_DIR": str(tmp_path),
        "ANCHORBOARD_DISPATCHER": "celery",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0",
    }
    env.pop("REDIS_URL", None)
    try:
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        closed.close()
    assert result.returncode == 0, result.stderr[-2000:]
    assert "dispatched without raising" in result.stdout
    assert "could not send task canvas.jobs.wake" in result.stderr, result.stderr[-2000:]
