"""Daphne's websocket connection with a cheaper send path, for fan-out to many sockets.

Every board event is written to every socket of the process by the one event-loop thread,
so what one write costs is paid a thousand times per event at 1,000 viewers. Measured with
bench/fanout_write_bench.py (1,000 TCP connections, a 264-byte message, CPU time per
socket, load 14–21 on 2 cores): a ``websocket.send`` came down to ~60 µs — Daphne's
``serverSend``, autobahn's framing and checks, the coloured debug strings autobahn builds
for every frame whether debug logging is on or not (``hltype``/``hlval`` through
``click.style``), and Twisted's buffered ``write``, which registers the socket for
writability and unregisters it again on the next turn of the loop. Now ~11 µs:

- a frame built once for every socket (foundation.websocket_frames) is written by
  ``FrameWriter``, the ``scope["extensions"]`` entry every websocket connection of our
  server gets, instead of going through Channels' send, Daphne's reply handling and
  autobahn's framing once per socket;
- ``write_now`` sends it straight to the socket when nothing is queued there;
- ``QuietWebSocketProtocol`` skips autobahn's debug strings on every other write and read
  (~10 µs a frame; acks, pongs, keep-alive pings and every message received) and sends
  those with ``write_now`` too.

Nothing else about the connection changes: the close handshake, pings, size caps and
everything sent the ordinary way stay Daphne's and autobahn's.
"""

from __future__ import annotations

from typing import Any

from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import tcp


class QuietWebSocketProtocol(WebSocketProtocol):
    """Daphne's websocket protocol whose plain writes and reads skip autobahn's debug
    formatting, and whose plain writes go out at once (``write_now``)."""

    def dataReceived(self, data: bytes) -> None:
        # autobahn's own dataReceived builds a debug line, then does exactly this.
        self._dataReceived(data)

    def sendData(self, data: bytes, sync: bool = False, chopsize: int | None = None) -> None:
        # autobahn's own sendData does exactly this in this case, then builds a debug line.
        if sync or chopsize or self.send_queue or self.logOctets:
            super().sendData(data, sync, chopsize)
            return
        write_now(self.transport, data)
        if self.state == self.STATE_OPEN:
            self.trafficStats.outgoingOctetsWireLevel += len(data)
        elif self.state in (self.STATE_CONNECTING, self.STATE_PROXY_CONNECTING):
            self.trafficStats.preopenOutgoingOctetsWireLevel += len(data)


class FrameWriter:
    """Writes frames built once for many sockets to one connection (the contract is
    foundation.websocket_frames.FrameWriter)."""

    __slots__ = ("protocol",)

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol

    def __call__(self, frame: bytes, payload_size: int) -> bool:
        protocol = self.protocol
        if (
            protocol.state != protocol.STATE_OPEN
            or protocol.send_queue  # autobahn's own delayed writes go first
            or 0 < protocol.maxMessagePayloadSize < payload_size
        ):
            return False
        write_now(protocol.transport, frame)
        stats = protocol.trafficStats
        stats.outgoingWebSocketMessages += 1
        stats.outgoingWebSocketFrames += 1
        stats.outgoingOctetsAppLevel += payload_size
        stats.outgoingOctetsWebSocketLevel += payload_size
        stats.outgoingOctetsWireLevel += len(frame)
        return True


def write_now(transport: Any, data: bytes) -> None:
    """Write ``data`` to a connection, straight to its socket when nothing is queued there.

    Twisted's ``write`` only buffers: it registers the socket for writability, and on the
    next turn of the loop sends the buffer and unregisters it again — two ``epoll_ctl``
    calls and a callback per socket per message, the largest part of a fan-out's time per
    socket after the frame is built once. With an empty buffer this sends now instead; what
    the kernel does not take (a slow reader), every other kind of transport (TLS) and any
    error go through ``write``, which keeps the order and reports a lost connection as usual.
    """
    # Twisted's private buffer attributes, read with defaults that mean "use write": a
    # Twisted that renamed them gets the ordinary path, not an error.
    if (
        type(transport) is tcp.Server
        and transport.connected
        and not transport.disconnecting
        and not getattr(transport, "_writeDisconnected", True)
        and not transport.dataBuffer
        and not getattr(transport, "_tempDataBuffer", [b""])
    ):
        try:
            sent = transport.socket.send(data)
        except OSError:  # full, or broken: Twisted's own write finds out which
            sent = 0
        if sent == len(data):
            return
        data = data[sent:]
    transport.write(data)
