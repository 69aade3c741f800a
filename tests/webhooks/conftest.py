"""Fixtures for the webhook tests: a real HTTP receiver on loopback, a team with an admin,
an endpoint pointing at the receiver, and a clock the tests move by hand."""

from __future__ import annotations

import json
import queue
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from canvas.webhooks import endpoints, signing
from tests import factories


@dataclass
class Reply:
    """What the receiver answers to one request: ``hold`` keeps the request open until the
    event is set (a hanging endpoint); ``headers`` are added to the answer."""

    status: int = 200
    body: str = "ok"
    hold: threading.Event | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    error: str
    duplicate: bool

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


class Receiver:
    """A threaded ``http.server`` on 127.0.0.1 that checks every request's signature with
    the documented helper (``canvas.webhooks.signing.verify``) and recognises an event id
    it has already processed (the receiver's side of idempotency)."""

    def __init__(self, clock: Any = None) -> None:
        self.clock = clock  # the receiver's time (a datetime callable); None: real time
        self.secret = ""
        self.tolerance = signing.DEFAULT_TOLERANCE_SECONDS
        self.replies: queue.Queue[Reply] = queue.Queue()
        self.default = Reply()  # the answer once ``replies`` is used up
        self.received: list[Received] = []
        self.processed: set[str] = set()
        self.arrived = threading.Event()  # a request came in
        self.answered = threading.Event()  # an answer went out
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/anchorboard"

    def reply(self, *replies: Reply) -> None:
        for r in replies:
            self.replies.put(r)

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length", 0))
        body = request.rfile.read(length)
        headers = {k: v for k, v in request.headers.items()}
        error = ""
        try:
            signing.verify(
                headers.get(signing.SIGNATURE_HEADER, ""), body, self.secret,
                tolerance=self.tolerance,
                now=self.clock().timestamp() if self.clock else None,
            )  # fmt: skip
        except signing.SignatureError as exc:
            error = str(exc)
        event_id = headers.get(signing.EVENT_ID_HEADER, "")
        try:
            reply = self.replies.get_nowait()
        except queue.Empty:
            reply = self.default
        if error:
            reply = Reply(400, "bad signature")
        with self._lock:
            duplicate = not error and event_id in self.processed
            if 200 <= reply.status < 300:
                self.processed.add(event_id)  # an event counts as handled once answered 2xx
            self.received.append(Received(request.path, headers, body, not error, error, duplicate))
        self.arrived.set()
        if reply.hold is not None:
            reply.hold.wait(30)
        try:
            request.send_response(reply.status)
            for name, value in reply.headers.items():
                request.send_header(name, value)
            data = reply.body.encode()
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except OSError:  # the sender gave up on us (timeout): nothing to answer
            return
        self.answered.set()

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(clock):
    """The receiver, on the tests' clock (so days of retries stay within its tolerance)."""
    r = Receiver(clock).start()
    yield r
    r.stop()


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    """The receiver is plain http on 127.0.0.1: allowed only with the development knob."""
    settings.ANCHORBOARD_WEBHOOK_ALLOW_PRIVATE_URLS = True


class Clock:
    """Time the tests move by hand: ``clock()`` is now, ``clock.advance(seconds)``."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def admin(db):
    return factories.make_user("ada")


@pytest.fixture
def team(admin):
    return factories.make_team("Studio", admin=admin)


@pytest.fixture
def endpoint(team, admin, receiver):
    """An endpoint of ``team`` at the receiver, subscribed to every event; the receiver
    knows its secret."""
    made = endpoints.create(
        team,
        admin,
        url=receiver.url,
        events=["job.succeeded", "job.failed", "review.decided", "batch.completed"],
    )
    receiver.secret = made.secret
    return made.endpoint
