"""Daphne, with request bodies admitted before they are read and never held in memory.

Measured on stock Daphne 4.2 / Twisted 26 (docs/assets.md, "Memory"), a 100 MB multipart
upload grew the server by ~1.3 GB before Django saw the request, anonymous or not:

1. Twisted's ``Request.requestReceived`` parses every multipart/form-data body into
   ``request.args`` with the ``email`` package (about 13 times the body in memory, in the
   reactor thread, stalling every socket for seconds). Daphne never uses ``args``; it is
   switched off with Twisted's own ``parsePOSTFormSubmission=False``.
2. Twisted receives the whole body (to a temporary file) before Daphne starts the
   application, so nothing in the application can refuse it early. ``GuardedRequest``
   asks anchorboard.request_admission as soon as the headers are in: a declared size over
   the limit is refused at once; on the upload route reading is paused while the caller's
   token/session and board role are checked, and ``Expect: 100-continue`` is answered only
   when they pass. A refused request gets its answer and the connection is drained for a
   moment and closed (so the client can read the answer), without storing a byte. Chunked
   bodies are counted and cut off as soon as they pass the limit.
3. Daphne then copies the whole body into the application's queue at once (as many
   8 KB messages as it takes: the body again, in memory). ``GuardedServer`` hands the
   spooled file to anchorboard.asgi_guard instead, which reads it chunk by chunk as Django
   asks for it.

Used by ``manage.py serve`` and, for scale-out, ``python -m anchorboard.daphne_server``
(the ``daphne`` command line with this server class; same options). This module
changes how bytes reach the application; what is admitted is decided elsewhere.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Any
from urllib.parse import unquote

from daphne.cli import CommandLineInterface
from daphne.http_protocol import HTTPFactory, WebRequest
from daphne.server import Server
from twisted.internet import reactor as _reactor
from twisted.internet.protocol import Protocol
from twisted.protocols.policies import ProtocolWrapper
from twisted.web.http import RESPONSES

from anchorboard.daphne_websocket import FrameWriter, QuietWebSocketProtocol
from foundation import socket_connection
from foundation.errors import AppError
from foundation.websocket_frames import FRAME_WRITER_EXTENSION

logger = logging.getLogger(__name__)
reactor: Any = _reactor  # Twisted's reactor is a module-level object without static types

# How long a refused connection is read (and the bytes thrown away) before it is closed:
# closing a socket with unread data makes the kernel reset it, and a client still sending
# might then lose our answer before reading it.
LINGER_SECONDS = 2.0
ANSWER_FIRST_SECONDS = 0.1
# How long the tasks left on the event loop after Daphne stops get to end (close_event_loop).
LOOP_CLOSE_SECONDS = 10.0


class _Drain(Protocol):
    """Takes over a refused connection: discards what arrives, closes after a moment."""

    def connectionMade(self) -> None:
        transport: Any = self.transport
        # Read (and discard) again only once the answer is surely on its way, so a client
        # that watches for it stops sending instead of filling the drain.
        self._reader: Any = reactor.callLater(ANSWER_FIRST_SECONDS, transport.resumeProducing)
        self._closer: Any = reactor.callLater(LINGER_SECONDS, transport.loseConnection)

    def dataReceived(self, data: bytes) -> None:
        pass  # thrown away: the request was refused

    def connectionLost(self, reason: Any = None) -> None:
        for call in (self._reader, self._closer):
            if call.active():
                call.cancel()


def _head(request: WebRequest) -> tuple[str, str]:
    """(method, path) of a request whose headers are in but whose body is not yet read."""
    channel = request.channel
    # Twisted keeps the request line on the channel until the body is complete.
    method = getattr(channel, "_command", b"").decode("latin-1").upper()
    raw = getattr(channel, "_path", b"").split(b"?", 1)[0]
    return method, unquote(raw.decode("latin-1"))


class GuardedRequest(WebRequest):
    """Daphne's request, admitted at headers time and spooled to disk (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["parsePOSTFormSubmission"] = False
        super().__init__(*args, **kwargs)
        self.admission: Any = None
        self.body_file: Any = None
        self._method_path = ("", "")
        self._pending = False
        self._process_waiting = False
        self._refused = False
        self._received = 0
        self._expect_continue = False

    # --- headers are in ------------------------------------------------------------------

    def gotLength(self, length: int | None) -> None:
        # Imported here: it needs Django's app registry, and `python -m
        # anchorboard.daphne_server` imports this module before Django is set up.
        from anchorboard.request_admission import Admission, admit, admit_now, body_limit

        super().gotLength(length)
        method, path = self._method_path = _head(self)
        if not method:
            # Not an HTTP/1 channel (Daphne's HTTP/2 over TLS keeps no request line there):
            # the body is still spooled and streamed, and the ASGI guard admits it.
            return
        if length == 0:
            self.admission = Admission(body_limit(method, path))
            return
        headers = [
            (name.lower(), value)
            for name, values in self.requestHeaders.getAllRawHeaders()
            for value in values
        ]
        decided = admit_now(method, path, headers)
        if decided is not None and decided.refusal is None:
            self.admission = decided
            return
        # Either refused, or the caller must be checked first: no 100 Continue from Twisted.
        expect = self.requestHeaders.getRawHeaders(b"expect") or []
        self._expect_continue = any(v.lower() == b"100-continue" for v in expect)
        self.requestHeaders.removeHeader(b"expect")
        if decided is not None:
            self._refuse(decided.refusal)
            return
        self._pending = True
        self.channel.transport.pauseProducing()
        client = [str(self.client.host), self.client.port] if hasattr(self.client, "host") else None
        future = asyncio.ensure_future(admit(method, path, headers, client))
        future.add_done_callback(self._admitted)

    def _admitted(self, future: asyncio.Future) -> None:
        # Imported here: it needs Django's app registry, and `python -m
        # anchorboard.daphne_server` imports this module before Django is set up.
        from anchorboard.request_admission import refusal_from_error

        self._pending = False
        if getattr(self, "_disconnected", False) or self.channel is None:
            return
        try:
            admission = future.result()
        except Exception:
            logger.exception("could not admit %s %s", *self._method_path)
            self._refuse(refusal_from_error(AppError(status=503, code="unavailable")))
            return
        if admission.refusal is not None:
            self._refuse(admission.refusal)
            return
        self.admission = admission
        if self._expect_continue:
            self.channel.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.channel.transport.resumeProducing()
        if self._process_waiting:
            self._process_waiting = False
            self.process()

    # --- the body ------------------------------------------------------------------------

    def handleContentChunk(self, data: bytes) -> None:
        if self._refused:
            return
        self._received += len(data)
        limit = self.admission.limit if self.admission is not None else None
        if limit is not None and self._received > limit:
            # Imported here: it needs Django's app registry, and `python -m
            # anchorboard.daphne_server` imports this module before Django is set up.
            from anchorboard.request_admission import too_large

            self._refuse(too_large(*self._method_path, None))
            return
        super().handleContentChunk(data)

    def process(self) -> Any:
        if self._refused:
            return None
        if self._pending:
            self._process_waiting = True  # the whole body came with the headers
            return None
        if self._received and not self.requestHeaders.hasHeader(b"content-length"):
            # A chunked body, now complete: tell the application its length, as a proxy
            # would (Django reads multipart bodies only with a Content-Length).
            self.requestHeaders.removeHeader(b"transfer-encoding")
            self.requestHeaders.setRawHeaders(b"content-length", [b"%d" % self._received])
        content: Any = self.content  # type: ignore[has-type]
        if not isinstance(content, io.BytesIO):
            # On disk (Twisted spools bodies of 100 KB and more): hand the file over
            # instead of letting Daphne queue all of it in memory.
            self.body_file, self.content = content, io.BytesIO()
        return super().process()

    # --- refusing ------------------------------------------------------------------------

    def _refuse(self, refusal: Any) -> None:
        """Answer ``refusal`` and take the connection away from HTTP processing."""
        self._refused = True
        self._close_body_file()
        content: Any = self.content
        if content is not None and not isinstance(content, io.BytesIO):
            content.close()  # whatever arrived before the refusal
            self.content = io.BytesIO()
        transport: Any = self.channel.transport
        reason = RESPONSES.get(refusal.status, b"Error")
        lines = [b"HTTP/1.1 %d %s" % (refusal.status, reason)]
        lines += [name + b": " + value for name, value in refusal.headers]
        lines += [b"Content-Length: %d" % len(refusal.body), b"Connection: close", b"", b""]
        drain: Any = _Drain()
        if isinstance(transport, ProtocolWrapper):  # TLS
            transport.wrappedProtocol = drain
        else:
            transport.protocol = drain
        drain.makeConnection(transport)
        transport.write(b"\r\n".join(lines) + refusal.body)
        if hasattr(transport, "loseWriteConnection"):
            transport.loseWriteConnection()  # the answer is complete: the client sees EOF
        self.server.protocol_disconnected(self)

    def _close_body_file(self) -> None:
        if self.body_file is not None:
            self.body_file.close()
            self.body_file = None

    def finish(self) -> Any:
        self._close_body_file()
        return super().finish()

    def connectionLost(self, reason: Any) -> None:
        self._close_body_file()
        super().connectionLost(reason)


class GuardedHTTPFactory(HTTPFactory):
    def buildProtocol(self, addr: Any) -> Any:
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = GuardedRequest
        return protocol


# Twisted listens with a backlog of 50 connections: a crowd of browsers opening a board at
# once (every tab reconnecting after a deploy) overflowed it, and the kernel dropped their
# handshakes, which the browsers retried seconds later. The kernel caps it (somaxconn).
LISTEN_BACKLOG = 1024
# Daphne closes a websocket whose handshake the application has not answered in 5 s; the
# session is read from the database before the board socket can accept, and a crowd's
# handshakes wait their turn for the database thread.
HANDSHAKE_TIMEOUT_SECONDS = 30


def with_backlog(endpoint: str) -> str:
    """A Twisted endpoint description with ``LISTEN_BACKLOG`` unless it names one."""
    if endpoint.split(":", 1)[0] in {"tcp", "tcp6", "unix", "ssl"} and "backlog=" not in endpoint:
        return f"{endpoint}:backlog={LISTEN_BACKLOG}"
    return endpoint


class GuardedServer(Server):
    """Daphne's server with ``GuardedRequest`` and the spooled body handed to the app,
    oversized websocket frames closed with 1009 rather than dropped, and a listen backlog
    for crowds."""

    def __init__(self, application: Any, endpoints: list[str] | None = None, **kwargs: Any):
        super().__init__(application, [with_backlog(e) for e in endpoints or []], **kwargs)

    # Daphne's run() builds its HTTP factory itself; swap it as it is assigned.
    @property
    def http_factory(self) -> HTTPFactory:
        return self._guarded_http_factory

    @http_factory.setter
    def http_factory(self, factory: HTTPFactory) -> None:
        if type(factory) is HTTPFactory:
            factory = GuardedHTTPFactory(self)
        self._guarded_http_factory = factory

    # A websocket frame or message over the cap closes the socket with 1009 ("message too
    # big", docs/protocol.md). Autobahn fails such connections "by drop" by default: it cuts
    # the TCP connection and the browser sees 1006 without a reason. run() builds the
    # websocket factory itself, so failByDrop is switched off as it is assigned (the other
    # options run() sets afterwards leave it alone; every connection copies them).
    @property
    def ws_factory(self) -> Any:
        return self._ws_factory

    @ws_factory.setter
    def ws_factory(self, factory: Any) -> None:
        factory.setProtocolOptions(failByDrop=False)
        factory.protocol = QuietWebSocketProtocol
        self._ws_factory = factory

    def run(self) -> None:
        # The websockets' database thread keeps its connection (foundation.socket_connection).
        reactor.callWhenRunning(lambda: asyncio.ensure_future(socket_connection.keep_open()))
        try:
            super().run()
        finally:
            close_event_loop(reactor._asyncioEventloop)

    def create_application(self, protocol: Any, scope: dict[str, Any]) -> Any:
        # Imported late: this module is loaded before Django is set up (``python -m``).
        from anchorboard.asgi_guard import ADMISSION_EXTENSION, BODY_FILE_EXTENSION

        if scope.get("type") == "websocket":
            # Fan-out writes frames built once for many sockets (anchorboard.daphne_websocket).
            scope.setdefault("extensions", {})[FRAME_WRITER_EXTENSION] = FrameWriter(protocol)
        if isinstance(protocol, GuardedRequest) and scope.get("type") == "http":
            extensions = scope.setdefault("extensions", {})
            if protocol.admission is not None:
                extensions[ADMISSION_EXTENSION] = protocol.admission
            if protocol.body_file is not None:
                extensions[BODY_FILE_EXTENSION] = protocol.body_file
        return super().create_application(protocol, scope)


def close_event_loop(loop: asyncio.AbstractEventLoop, timeout: float = LOOP_CLOSE_SECONDS) -> None:
    """End what still runs on the server's event loop once Daphne has stopped, then close it.

    Daphne cancels the socket applications but leaves the loop open with every other task
    still pending (the channel layer's receive loops, canvas.realtime's group sender, …).
    Those suspended coroutines were then torn down by the garbage collector while the
    interpreter was already finalising ``asyncio``: on Python 3.11 a server stopped with
    SIGTERM during a burst of edits died with a segmentation fault (exit -11) instead of
    exiting 0 (tests/topology/test_shutdown.py). Cancelled here while everything is alive,
    each runs its cleanup; whatever does not finish within ``timeout`` is left behind.
    """
    if loop.is_closed() or loop.is_running():
        return
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        finished = asyncio.wait(pending, timeout=timeout)
        try:
            loop.run_until_complete(finished)
        except Exception:  # the loop is going away either way; say why it was untidy
            logger.warning("tasks did not end cleanly at shutdown", exc_info=True)
    try:
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


class GuardedCommandLineInterface(CommandLineInterface):
    server_class = GuardedServer

    def __init__(self) -> None:
        super().__init__()
        self.parser.set_defaults(websocket_connect_timeout=HANDSHAKE_TIMEOUT_SECONDS)


if __name__ == "__main__":
    GuardedCommandLineInterface.entrypoint()
