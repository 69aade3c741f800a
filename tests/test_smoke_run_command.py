"""Smoke test of the README's run command: ``python3 dev.py start`` really serves the app.

Starts the command as a user would (fresh data folder, PORT set), waits for the banner,
logs in over HTTP with the printed demo credentials and finds the demo board on the board
list, then stops the server with SIGTERM and expects it to exit by itself.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.assets.live_server import child_env as server_env

ROOT = Path(__file__).resolve().parent.parent
# The first run may install the runtime lock into .venv; later runs start in seconds.
START_DEADLINE_S = 600
STOP_DEADLINE_S = 120

pytestmark = [pytest.mark.slow, pytest.mark.timeout(START_DEADLINE_S + STOP_DEADLINE_S + 60)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(port: int, data_dir: Path) -> dict[str, str]:
    # The test process's own settings must not leak into the server: it runs the real
    # settings with the embedded defaults (SQLite, in-memory layer, in-process workers).
    return server_env(data_dir, {"PORT": str(port)})


class OutputReader:
    """Collects the server's output lines on a thread so waiting never blocks on a pipe."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream) -> None:
        for line in iter(stream.readline, ""):
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, pattern: str, deadline: float, proc: subprocess.Popen) -> re.Match:
        regex = re.compile(pattern)
        for line in self.lines:
            if match := regex.search(line):
                return match
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=1)
            except queue.Empty:
                if proc.poll() is not None:
                    break
                continue
            if line is None:
                break
            self.lines.append(line)
            if match := regex.search(line):
                return match
        pytest.fail(f"server never printed {pattern!r}; output:\n" + "".join(self.lines))

    def text(self) -> str:
        return "".join(self.lines)


def test_readme_run_command_serves_the_demo_board(tmp_path):
    port = free_port()
    python = shutil.which("python3") or sys.executable
    proc = subprocess.Popen(
        [python, "dev.py", "start"],
        cwd=ROOT,
        env=child_env(port, tmp_path / "data"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # so a failed test can stop everything it started
    )
    output = OutputReader(proc.stdout)
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        url = output.wait_for(r"running at\s+(http://\S+/)", deadline, proc).group(1)
        login = output.wait_for(r"Demo login:\s+username (\S+)\s+password (\S+)", deadline, proc)
        username, password = login.group(1), login.group(2)
        assert url == f"http://127.0.0.1:{port}/"
        assert (tmp_path / "data" / "demo-login.txt").read_text().count(password) == 1

        with httpx.Client(base_url=url, timeout=30, follow_redirects=False) as client:
            assert client.get("healthz").json() == {"status": "ok"}
            login_page = client.get("login/")
            assert login_page.status_code == 200
            token = client.cookies["csrftoken"]
            response = client.post(
                "login/",
                data={"username": username, "password": password, "csrfmiddlewaretoken": token},
                headers={"Referer": url + "login/"},
            )
            assert response.status_code == 302, response.text[:500]
            assert response.headers["location"] == "/"
            board_list = client.get("")
            assert board_list.status_code == 200
            assert "Demo — Spring campaign" in board_list.text
            board_link = re.search(r'href="(/boards/[0-9a-f-]{36}/)"', board_list.text)
            assert board_link, "no board link on the board list"
            board_page = client.get(board_link.group(1))
            assert board_page.status_code == 200
            assert 'id="board-bootstrap"' in board_page.text

        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_DEADLINE_S)
        except subprocess.TimeoutExpired:
            pytest.fail("server did not stop on SIGTERM; output:\n" + output.text())
        assert proc.returncode == 0, output.text()
    finally:
        if proc.poll() is None:  # a failed assertion above: leave nothing running
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def test_busy_port_is_a_clear_error(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "manage.py", "serve", "--port", str(port), "--no-demo"],
            cwd=ROOT,
            env=child_env(port, tmp_path / "data"),
            capture_output=True,
            text=True,
            timeout=START_DEADLINE_S,
        )
    assert result.returncode == 1
    assert f"Could not listen on 127.0.0.1:{port}; is the port already in use?" in result.stderr
    assert "Traceback" not in result.stderr
