"""A threaded HTTP server in a background thread with a per-request behaviour script.

Subclasses answer ``POST`` (the scripted, counted calls) in ``handle`` and ``GET`` (model
listings: cheap, unscripted, uncounted) in ``handle_get``; ``path``/``query`` are the split
request target. ``send_json`` and ``send_events`` (server-sent events) write answers.
"""

from __future__ import annotations

import base64
import io
import json
import random
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image


@dataclass
class Behaviour:
    """What the fake does with one request. ``kind``: ok, error, slow, drop, malformed, or
    a provider-specific kind (safety, block, text_only, thought)."""

    kind: str = "ok"
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    reason: str = ""


def png_b64(size: tuple[int, int], color: tuple[int, int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out or a scripted drop leaves a broken socket: expected here.
        pass


class FakeServer:
    """Subclasses implement ``handle(handler, body, number)`` (POST, using
    ``self.next_behaviour(number)``) and may implement ``handle_get(handler)``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._script: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._chaos: tuple[float, random.Random, list[Behaviour], tuple[int, int]] | None = None
        self.count = 0
        self.calls_in_flight = 0
        self.max_in_flight = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                outer.handle_get(self)

            def do_DELETE(self) -> None:
                outer.handle_delete(self)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                with outer._lock:
                    outer.count += 1
                    number = outer.count
                    outer.calls_in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.calls_in_flight)
                try:
                    outer.handle(self, body, number)
                finally:
                    with outer._lock:
                        outer.calls_in_flight -= 1

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- scripting ------------------------------------------------------------------------

    def script(self, *behaviours: Behaviour) -> None:
        """Answer the next requests with these behaviours, in order; then succeed."""
        with self._lock:
            self._script.extend(behaviours)

    def chaos(
        self, rate: float, failures: list[Behaviour], *, seed: int = 1, outage=(0, 0)
    ) -> None:
        """Fail ``rate`` of requests with a random one of ``failures``; requests numbered
        ``outage[0] <= n < outage[1]`` all fail with the first failure (a sustained outage)."""
        self._chaos = (rate, random.Random(seed), failures, outage)

    def next_behaviour(self, number: int) -> Behaviour:
        with self._lock:
            if self._script:
                return self._script.popleft()
            if self._chaos:
                rate, rng, failures, (start, end) = self._chaos
                if start <= number < end:
                    return failures[0]
                if rng.random() < rate:
                    return rng.choice(failures)
        return Behaviour()

    # --- answering ------------------------------------------------------------------------

    @staticmethod
    def send_json(handler: BaseHTTPRequestHandler, status: int, body: Any, headers=None) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)

    def common(self, handler: BaseHTTPRequestHandler, behaviour: Behaviour) -> bool:
        """Apply slow/drop/malformed/error; True if the request was answered."""
        if behaviour.kind == "slow":
            time.sleep(behaviour.seconds)
            return False
        if behaviour.kind == "drop":
            handler.close_connection = True
            handler.connection.shutdown(2)  # no answer at all: the client sees a lost connection
            return True
        if behaviour.kind == "malformed":
            data = b'{"candidates": [ this is not json'
            handler.send_response(200)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
            return True
        if behaviour.kind == "error":
            self.send_json(handler, behaviour.status, behaviour.body, behaviour.headers)
            return True
        return False

    @staticmethod
    def send_events(
        handler: BaseHTTPRequestHandler, events: list[tuple[str | None, Any]], headers=None
    ) -> None:
        """A ``text/event-stream`` answer: one ``event:`` (when named) + ``data:`` block per
        event, then the connection closes (no length is known up front, as with the real
        services' streams)."""
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("cache-control", "no-cache")
        handler.send_header("connection", "close")
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        for name, data in events:
            block = (f"event: {name}\n" if name else "") + f"data: {json.dumps(data)}\n\n"
            handler.wfile.write(block.encode())
            handler.wfile.flush()
        handler.close_connection = True

    @staticmethod
    def target(handler: BaseHTTPRequestHandler) -> tuple[str, dict[str, str]]:
        """The request's path and its query parameters (last value wins)."""
        split = urllib.parse.urlsplit(handler.path)
        return split.path, dict(urllib.parse.parse_qsl(split.query))

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes, number: int) -> None:
        raise NotImplementedError

    def handle_get(self, handler: BaseHTTPRequestHandler) -> None:
        self.send_json(handler, 404, {"error": {"code": 404, "message": "Not found"}})

    def handle_delete(self, handler: BaseHTTPRequestHandler) -> None:
        self.send_json(handler, 404, {"error": {"code": 404, "message": "Not found"}})

    @staticmethod
    def send_bytes(
        handler: BaseHTTPRequestHandler, status: int, data: bytes, content_type: str, headers=None
    ) -> None:
        handler.send_response(status)
        handler.send_header("content-type", content_type)
        handler.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)
