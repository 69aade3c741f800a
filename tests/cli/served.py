"""A real server for the CLI's end-to-end tests: ``manage.py serve`` in a subprocess.

Its jobs run on the embedded worker pool (two threads) and its exports on the embedded
dispatcher, as in a deployment, against a file SQLite database of its own in a throwaway data
folder. The child registers the test engines (tests/jobs/engines.py) before serving and,
first, makes the owner, the board with an image under the batch region, and an API token.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.assets.live_server import child_env, free_port, stop_server

ROOT = Path(__file__).resolve().parents[2]
START_DEADLINE_S = 180

_SETUP = """
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from canvas.models import ApiToken
from tests import factories
from tests.jobs.conftest import add_image
owner = factories.make_user("owner")
board = factories.make_board(owner=owner)
item = add_image(board, owner)
print("SEED" + json.dumps({"board": str(board.pk), "item": str(item.pk),
                           "token": ApiToken.issue(owner, "cli")[1]}))
"""

_SERVE = """
import sys
import django
django.setup()
import tests.jobs.engines  # registers test-echo, test-broken…
from django.core.management import call_command
call_command("serve", no_demo=True, port=int(sys.argv[1]))
"""


@dataclass
class Served:
    proc: subprocess.Popen
    url: str
    data_dir: Path
    board: str
    item: str
    token: str


def start() -> Served:
    data_dir = Path(tempfile.mkdtemp(prefix="anchorboard-cli-e2e-"))
    env = child_env(
        data_dir,
        {"DJANGO_SETTINGS_MODULE": "anchorboard.settings", "DJANGO_LOG_LEVEL": "WARNING",
         "ANCHORBOARD_EMBEDDED_WORKERS": "2"},
    )  # fmt: skip
    try:
        out = subprocess.run(
            [sys.executable, "-c", _SETUP], cwd=ROOT, env=env, check=True,
            capture_output=True, text=True, timeout=300,
        ).stdout  # fmt: skip
        seed = json.loads(next(x for x in out.splitlines() if x.startswith("SEED"))[4:])
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(port)], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    except BaseException:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    served = Served(proc, f"http://127.0.0.1:{port}", data_dir, **seed)
    try:
        wait_healthy(served)
    except BaseException:
        stop(served)
        raise
    return served


def wait_healthy(served: Served) -> None:
    """Poll ``/healthz`` until the server answers (start-up: migrations ran already)."""
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if served.proc.poll() is not None:
            raise RuntimeError(f"the server exited with {served.proc.returncode}")
        try:
            if httpx.get(f"{served.url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)  # start-up polling, bounded by the deadline
    raise RuntimeError("the server did not answer /healthz in time")


def stop(served: Served) -> None:
    """Terminate the server (kill after 30 s) and delete its data folder."""
    stop_server(served)  # type: ignore[arg-type]  (it reads .proc and .data_dir)
