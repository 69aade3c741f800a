"""A throwaway Anchorboard server for browser tests: migrate a temp data folder, run a seed
script, and serve the real ASGI app on a free port — plain Daphne, or ``manage.py serve``
with its embedded job worker when the test runs jobs.

Used by every Playwright test; it must not share anything with the pytest process's
database (the browser talks to a separate server process). The seed script prints one
line ``SEED{json}``, which becomes ``server.seed``.

A server never outlives the pytest process that started it, however the test ends: a
timeout that interrupts ``start`` (pytest-timeout's signal method) stops it there; one that
ends the process at once (the thread method's ``os._exit``, skipping every fixture
teardown and atexit) takes it along, as the kernel ends it with its parent
(``PR_SET_PDEATHSIG``); a normal exit ends whatever a skipped teardown left (atexit). Each
server leads a process group of its own, which ``stop`` ends whole.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]

SEED = """
import json
from django.test import Client
from tests import factories
editor = factories.make_user("ed")
editor2 = factories.make_user("ed2")
viewer = factories.make_user("vi")
board = factories.make_board(name="Browser board", owner=editor, editor=editor2, viewer=viewer)
out = {"board": str(board.pk)}
for name, user in (("editor", editor), ("editor2", editor2), ("viewer", viewer)):
    c = Client()
    c.force_login(user)
    out[name] = c.cookies["sessionid"].value
print("SEED" + json.dumps(out))
"""


PR_SET_PDEATHSIG = 1  # linux/prctl.h
_LIBC = ctypes.CDLL(ctypes.util.find_library("c")) if sys.platform == "linux" else None
_RUNNING: set[subprocess.Popen] = set()


def _ended_with_its_parent() -> None:
    """In the server's child process before exec: the kernel kills it when the thread that
    started it (pytest's main thread) ends, even by ``os._exit`` or SIGKILL."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _end(proc: subprocess.Popen, grace: float) -> None:
    """Stop the server's whole process group: SIGTERM, then SIGKILL after ``grace`` s."""
    _RUNNING.discard(proc)
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


@atexit.register
def _end_every_server() -> None:
    for proc in list(_RUNNING):
        _end(proc, grace=5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "DJANGO_ENV"):
        env.pop(name, None)
    env.update(
        {
            "ANCHORBOARD_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "anchorboard.settings",
            "ANCHORBOARD_DISPATCHER": "inline",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


class BrowserServer:
    def __init__(
        self,
        data_dir: Path,
        *,
        seed_script: str = SEED,
        with_workers: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        self.env = server_env(data_dir)
        self.seed_script = seed_script
        self.with_workers = with_workers
        if with_workers:  # `manage.py serve`: Daphne plus one embedded job worker
            self.env["ANCHORBOARD_DISPATCHER"] = "embedded"
            self.env["ANCHORBOARD_EMBEDDED_WORKERS"] = "1"
        self.env.update(env or {})
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.seed: dict = {}

    def start(self) -> None:
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=self.env, check=True)
        out = subprocess.run(
            [*manage, "shell", "-c", self.seed_script],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        line = next(x for x in out.splitlines() if x.startswith("SEED"))
        self.seed = json.loads(line[4:])
        if self.with_workers:
            command = [*manage, "serve", "--no-demo", "--port", str(self.port)]
        else:
            command = [
                *(sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)),
                "anchorboard.asgi:application",
            ]
        self.proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_ended_with_its_parent,
        )
        _RUNNING.add(self.proc)
        try:
            self._wait_until_healthy()
        except BaseException:  # a failed start-up, or a timeout raised in the middle of it
            self.stop()
            raise

    def _wait_until_healthy(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("the test server exited during start-up")
            time.sleep(0.2)
        raise RuntimeError("the test server did not answer /healthz within 60 s")

    def stop(self) -> None:
        if self.proc is not None:
            _end(self.proc, grace=30)


def open_signed_in(
    browser,
    server: BrowserServer,
    session: str,
    path: str,
    viewport=None,
    before_goto=None,
    **context_options,
):
    """(context, page, page errors) of the seeded person whose session cookie is
    ``server.seed[session]``, on ``path``: what most browser tests start from.
    ``before_goto(page)``, when given, runs before the first navigation, so listeners it
    attaches see the page's very first requests (a listener attached after ``goto`` can
    miss the start of a read still in flight and only see its end).
    ``context_options`` go to ``browser.new_context`` (``accept_downloads``, ``is_mobile``…)."""
    context = browser.new_context(
        viewport=viewport or {"width": 1440, "height": 900}, **context_options
    )
    context.add_cookies(
        [{"name": "sessionid", "value": server.seed[session], "url": server.base_url}]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    if before_goto is not None:
        before_goto(page)
    page.goto(f"{server.base_url}{path}")
    return context, page, errors


def screenshot(page, name: str, full_page: bool = False) -> None:
    """Save ``name``.png into ``$ANCHORBOARD_SCREENSHOTS`` when it is set (to look at what a
    browser test saw); nothing otherwise."""
    folder = os.environ.get("ANCHORBOARD_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)


BOARD_ONLINE = "window.__anchorboard && window.__anchorboard.stats().status === 'online'"


def wait_board(page, items: int = 0, until: str = "", timeout: float = 30_000) -> None:
    """Until the board page's socket is online, its document holds at least ``items``
    items and the JavaScript condition ``until`` (if any) holds."""
    condition = f"{BOARD_ONLINE} && window.__anchorboard.stats().documentItems >= {items}"
    page.wait_for_function(f"{condition} && ({until})" if until else condition, timeout=timeout)


def open_board(
    browser,
    server: BrowserServer,
    session: str,
    *,
    board: str = "board",
    items: int = 0,
    until: str = "",
    viewport=None,
    timeout: float = 30_000,
    **context_options,
):
    """``open_signed_in`` on the page of the board ``server.seed[board]``, once
    ``wait_board`` says it is ready; returns (context, page, page errors)."""
    context, page, errors = open_signed_in(
        browser, server, session, f"/boards/{server.seed[board]}/", viewport, **context_options
    )
    wait_board(page, items, until, timeout)
    return context, page, errors
