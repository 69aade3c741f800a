"""A websocket message framed once and written to many connections: the contract between
the server (anchorboard.daphne_websocket offers it) and the sockets that fan out (canvas).

A board event goes to every socket of a board in the process. Through ASGI each socket's
copy is a ``websocket.send`` message that Channels, Daphne and autobahn turn into a frame
again — encode to UTF-8, frame, check, count, format debug strings, buffer — ~60 µs of
the event loop's time per socket (anchorboard.daphne_websocket has the numbers). The
frame a server sends is the same bytes for every client (servers do not mask), so it is
built once
(``text_frame``) and the server's ``FrameWriter`` extension writes those bytes straight to
each connection. A socket without the extension (another ASGI server, the test
communicator) sends the text as usual; the client cannot tell the difference.

This module only builds bytes and names the extension; it knows no server and no socket.
"""

from __future__ import annotations

import struct
from typing import Protocol

# scope["extensions"][FRAME_WRITER_EXTENSION] on websocket connections of our Daphne.
FRAME_WRITER_EXTENSION = "anchorboard.websocket_frame_writer"

_FIN_TEXT = 0x81  # FIN bit + opcode 1 (text); no extension bits (no compression)


class FrameWriter(Protocol):
    """Writes a whole frame built by ``text_frame`` to one connection, after everything
    sent on it before. Returns False without writing anything when it cannot (connection
    not open, the frame over the connection's message cap, writes of the server's own still
    queued): the caller then sends the message the ordinary way, which behaves as usual
    (drops it for a closed socket, refuses an oversized one)."""

    def __call__(self, frame: bytes, payload_size: int) -> bool: ...


def text_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked websocket text frame (RFC 6455 §5.2) of UTF-8 ``payload``."""
    size = len(payload)
    if size <= 125:
        header = struct.pack("!BB", _FIN_TEXT, size)
    elif size <= 0xFFFF:
        header = struct.pack("!BBH", _FIN_TEXT, 126, size)
    else:
        header = struct.pack("!BBQ", _FIN_TEXT, 127, size)
    return header + payload
