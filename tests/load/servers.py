"""The servers a load run talks to: the embedded default as one ``manage.py serve``
process, and a seeding helper that works for it and for the topology harness alike.

``EmbeddedServer`` is the product as a team installs it: SQLite in a throwaway data folder,
the in-memory channel layer, Daphne and the embedded job workers in one process. Its output
goes to a log file (read on failure). ``command_prefix`` lets the bench run it under a
profiler (``py-spy record -o … --``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.frontend.browser_server import free_port, server_env

ROOT = Path(__file__).resolve().parents[2]


def parse_seed(stdout: str) -> dict[str, Any]:
    line = next(x for x in stdout.splitlines() if x.startswith("SEED"))
    return json.loads(line[4:])


def seed_args(editors: int, viewers: int, items: int) -> list[str]:
    return ["-m", "tests.load.seed", str(editors), str(viewers), str(items)]


class EmbeddedServer:
    def __init__(self, data_dir: Path, command_prefix: list[str] = ()) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.env = server_env(data_dir)
        self.env.pop("ANCHORBOARD_DISPATCHER")  # the default (embedded), as shipped
        self.env["PYTHONPATH"] = str(ROOT)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "serve.log"
        self.command_prefix = list(command_prefix)
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def seed(self, editors: int, viewers: int = 0, items: int = 0) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, *seed_args(editors, viewers, items or max(20, 4 * editors))],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise AssertionError(f"seeding failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        return parse_seed(done.stdout)

    def start(self) -> None:
        command = [sys.executable, "manage.py", "serve", "--no-demo", "--port", str(self.port)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [*self.command_prefix, *command],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_healthy(self.url, self.proc.poll, self.tail)

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def wait_healthy(url: str, exited: Callable[[], int | None], tail: Callable[[], str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if exited() is not None:
            raise AssertionError(f"the server exited during start-up:\n{tail()}")
        time.sleep(0.2)  # polling interval of a bounded wait
    raise AssertionError(f"the server did not answer /healthz within 120 s:\n{tail()}")


def raise_fd_limit() -> None:
    """Let this process and its children hold thousands of sockets (soft limit → hard)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
