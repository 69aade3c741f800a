"""Daphne's websocket connection with a cheaper send path, for fan-out to many sockets.

Measured at 1,000 viewers of one board (bench/README.md, "Fan-out"), every board event
is written to every socket by the one event-loop thread, so what one write costs is paid
a thousand times per event:

- autobahn's ``sendData`` formats a coloured debug line (``hltype``/``hlval``, through
  ``click.style``) for every frame it writes, debug logging on or off: about half of a
  ``websocket.send``'s time. ``QuietWebSocketProtocol`` writes the same bytes without it.
- a frame built once for every socket (foundation.websocket_frames) is written straight
  to the connection by ``FrameWriter``, the ``scope["extensions"]`` entry every websocket
  connection gets, instead of going through Channels' send, Daphne's reply handling and
  autobahn's framing once per socket.

Nothing else about the connection changes: the close handshake, pings, size caps and
everything sent the ordinary way stay Daphne's and autobahn's.
"""

from __future__ import annotations

from typing import Any

from daphne.ws_protocol import WebSocketProtocol


class QuietWebSocketProtocol(WebSocketProtocol):
    """Daphne's websocket protocol whose plain writes skip autobahn's debug formatting."""

    def sendData(self, data: bytes, sync: bool = False, chopsize: int | None = None) -> None:
        # autobahn's own sendData does exactly this in this case, then builds a debug line.
        if sync or chopsize or self.send_queue or self.logOctets:
            super().sendData(data, sync, chopsize)
            return
        self.transport.write(data)
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
        protocol.transport.write(frame)
        stats = protocol.trafficStats
        stats.outgoingWebSocketMessages += 1
        stats.outgoingWebSocketFrames += 1
        stats.outgoingOctetsAppLevel += payload_size
        stats.outgoingOctetsWebSocketLevel += payload_size
        stats.outgoingOctetsWireLevel += len(frame)
        return True
