"""The websocket send path for fan-out (anchorboard.daphne_websocket,
foundation.websocket_frames): a frame built once is byte for byte what autobahn would have
sent, the writer puts it on the connection only when autobahn itself would send, and the
quiet protocol writes what autobahn writes without building its debug strings."""

from __future__ import annotations

import pytest
from autobahn.websocket import protocol as autobahn_protocol
from autobahn.websocket.protocol import PreparedMessage
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from twisted.internet.testing import StringTransport

from anchorboard.daphne_server import GuardedServer
from anchorboard.daphne_websocket import FrameWriter, QuietWebSocketProtocol
from foundation.websocket_frames import FRAME_WRITER_EXTENSION, text_frame

CAP = 1024 * 1024


def open_connection(cls: type = QuietWebSocketProtocol, cap: int = CAP) -> tuple:
    """A server-side websocket connection of ``cls`` in the open state, on a fake transport
    (the handshake itself is autobahn's business and not what is tested here)."""
    factory = WebSocketFactory(server_class=None)
    factory.protocol = cls
    factory.setProtocolOptions(maxMessagePayloadSize=cap, openHandshakeTimeout=0)
    connection = factory.buildProtocol(None)
    transport = StringTransport()
    connection.makeConnection(transport)
    connection.state = connection.STATE_OPEN
    connection.client_addr = None
    return connection, transport


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65_535, 65_536, 300_000])
def test_a_text_frame_is_what_autobahn_would_send(size):
    payload = ("é" * size).encode()[:size]
    expected = PreparedMessage(payload, False, False, False).payloadHybi
    assert text_frame(payload) == expected


def test_the_writer_writes_the_frame_when_the_connection_is_open():
    connection, transport = open_connection()
    payload = b'{"type":"applied"}'
    assert FrameWriter(connection)(text_frame(payload), len(payload)) is True
    assert transport.value() == text_frame(payload)
    assert connection.trafficStats.outgoingWebSocketMessages == 1


@pytest.mark.parametrize("why", ["closing", "closed", "queued", "over the cap"])
def test_the_writer_declines_where_autobahn_would_not_send_at_once(why):
    connection, transport = open_connection(cap=100)
    payload = b"x" * 50
    if why == "closing":
        connection.state = connection.STATE_CLOSING
    elif why == "closed":
        connection.state = connection.STATE_CLOSED
    elif why == "queued":
        connection.send_queue.append((b"earlier", True))
    else:
        payload = b"x" * 101
    assert FrameWriter(connection)(text_frame(payload), len(payload)) is False
    assert transport.value() == b""


def test_the_quiet_protocol_sends_what_autobahn_sends_without_debug_strings(monkeypatch):
    loud, loud_transport = open_connection(WebSocketProtocol)
    assert type(loud) is WebSocketProtocol
    loud.serverSend('{"type":"pong","revision":3}')
    quiet, quiet_transport = open_connection(QuietWebSocketProtocol)

    def no_debug_strings(*args, **kwargs):
        raise AssertionError("a debug string was built for a plain write")

    monkeypatch.setattr(autobahn_protocol, "hltype", no_debug_strings)
    monkeypatch.setattr(autobahn_protocol, "hlval", no_debug_strings)
    quiet.serverSend('{"type":"pong","revision":3}')
    assert quiet_transport.value() == loud_transport.value() != b""
    assert quiet.trafficStats.outgoingOctetsWireLevel == len(quiet_transport.value())


async def test_websocket_connections_of_the_guarded_server_get_the_writer():
    server = GuardedServer(application=None, endpoints=["tcp:port=0"])
    server.ws_factory = WebSocketFactory(server)
    assert server.ws_factory.protocol is QuietWebSocketProtocol
    scopes = []

    async def application(scope, receive, send):
        scopes.append(scope)

    server.application = application
    connection = object()
    server.connections = {connection: {}}
    server.create_application(connection, {"type": "websocket", "path": "/ws/boards/x/"})
    await server.connections[connection]["application_instance"]
    writer = scopes[0]["extensions"][FRAME_WRITER_EXTENSION]
    assert isinstance(writer, FrameWriter) and writer.protocol is connection
