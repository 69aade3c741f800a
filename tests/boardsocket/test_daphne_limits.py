"""The websocket limits a real Daphne enforces (``manage.py serve`` in a subprocess, which runs
the production server class, ``anchorboard.daphne_server.GuardedServer``).

What WebsocketCommunicator cannot show: a frame over the server's cap closes the socket
with 1009 ("message too big", as documented) instead of a dropped connection (1006), and
no websocket URL makes the handshake answer HTTP 500.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from canvas.protocol import limits
from tests.test_smoke_run_command import ROOT, OutputReader, child_env, free_port
from tests.wsclient import create as create_op

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
START_DEADLINE_S = 120

SETUP = textwrap.dedent(
    """
    import json, os
    import django
    os.environ["DJANGO_SETTINGS_MODULE"] = "anchorboard.settings"
    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from tests import factories
    call_command("migrate", verbosity=0)
    user = factories.make_user("dora")
    board = factories.make_board(owner=user, name="Daphne")
    client = Client()
    client.force_login(user)
    print(json.dumps({"board": str(board.pk), "session": client.cookies["sessionid"].value}))
    """
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A logged-in user's board, served by ``manage.py serve`` (real Daphne)."""
    port = free_port()
    env = child_env(port, tmp_path_factory.mktemp("daphne") / "data")
    made = subprocess.run(
        [sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr[-2000:]
    seed = json.loads(made.stdout.strip().splitlines()[-1])
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--no-demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = OutputReader(proc.stdout)
    try:
        output.wait_for(r"running at", time.monotonic() + START_DEADLINE_S, proc)
        yield {"base": f"ws://127.0.0.1:{port}", "origin": f"http://127.0.0.1:{port}", **seed}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def open_socket(server, path: str, *, logged_in: bool = True):
    headers = {"Cookie": f"sessionid={server['session']}"} if logged_in else {}
    return connect(
        server["base"] + path,
        origin=server["origin"],
        additional_headers=headers,
        max_size=None,
        open_timeout=30,
    )


def close_code(sock) -> int:
    """Read until the server closes; the close code it sent."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            sock.recv(timeout=30)
    assert closed.value.rcvd is not None, "the connection was dropped without a close frame"
    return closed.value.rcvd.code


def test_a_frame_over_the_cap_closes_with_1009_and_the_server_carries_on(server):
    with open_socket(server, f"/ws/boards/{server['board']}/") as sock:
        assert json.loads(sock.recv(timeout=30))["type"] == "welcome"
        # Over the board's own limit but under the server's cap: answered, socket open.
        sock.send(json.dumps({"type": "ping", "pad": "x" * (limits.MAX_MESSAGE_BYTES + 10)}))
        assert json.loads(sock.recv(timeout=30))["code"] == "message_too_large"
        sock.send(json.dumps({"type": "ping", "pad": "x" * (limits.MAX_FRAME_BYTES + 10)}))
        assert close_code(sock) == limits.CLOSE_MESSAGE_TOO_BIG
    with open_socket(server, f"/ws/boards/{server['board']}/") as sock:
        assert json.loads(sock.recv(timeout=30))["type"] == "welcome"
        sock.send('{"type": "ping"}')
        assert json.loads(sock.recv(timeout=30))["type"] == "pong"


def test_broadcasts_written_once_for_every_socket_arrive_whole_and_in_order(server):
    """Board events reach other sockets as one frame built per event and written straight
    to each connection (anchorboard.daphne_websocket); a real client must read them as
    ordinary text messages, small and large, in order, between the ordinary replies."""
    path = f"/ws/boards/{server['board']}/"
    with open_socket(server, path) as editor, open_socket(server, path) as viewer:
        for sock in (editor, viewer):
            assert json.loads(sock.recv(timeout=30))["type"] == "welcome"
            sock.send(json.dumps({"type": "sync", "since": None}))
            assert json.loads(sock.recv(timeout=30))["type"] == "snapshot"
        # Both frame length encodings a broadcast uses: 16-bit, 64-bit (> 65,535 bytes).
        batches = [
            [create_op("frame", name="a")],
            [create_op("frame", name="b" * 200)],
            [create_op("frame", name=f"c{n}", props={"note": "x" * 15_000}) for n in range(5)],
        ]
        revisions = []
        for n, ops in enumerate(batches):
            editor.send(json.dumps({"type": "ops", "batch_id": f"b{n}", "ops": ops}))
            revisions.append(json.loads(editor.recv(timeout=30))["revision"])
        texts = [viewer.recv(timeout=30) for _ in batches]
        assert 125 < len(texts[0]) < len(texts[1]) <= 65_535 < len(texts[2])
        got = [json.loads(text) for text in texts]
        assert [m["revision"] for m in got] == revisions
        assert [[op["item"]["name"] for op in m["ops"]] for m in got] == [
            [op["item"]["name"] for op in ops] for ops in batches
        ]
        viewer.send('{"type": "ping"}')
        assert json.loads(viewer.recv(timeout=30)) == {"type": "pong", "revision": revisions[-1]}


@pytest.mark.parametrize(
    ("path", "logged_in", "code"),
    [
        ("/ws/boards/abc/", True, limits.CLOSE_NO_ACCESS),
        ("/ws/boards/abc/", False, limits.CLOSE_NOT_LOGGED_IN),
        ("/ws/boards/00000000-0000-0000-0000-000000000000/", True, limits.CLOSE_NO_ACCESS),
        ("/ws/nowhere/", True, limits.CLOSE_NOT_FOUND),
        ("/ws/boards/a/b/", True, limits.CLOSE_NOT_FOUND),
        ("/ws/share/%ff%00/", False, limits.CLOSE_LINK_UNAVAILABLE),
    ],
)
def test_bad_websocket_urls_close_with_44xx_never_http_500(server, path, logged_in, code):
    with open_socket(server, path, logged_in=logged_in) as sock:  # the handshake succeeds
        assert close_code(sock) == code
