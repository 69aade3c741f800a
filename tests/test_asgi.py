"""The ASGI entry point: HTTP goes to Django, websockets pass the origin check first.

A board socket carries the user's session cookie, so a page on another site must not be
able to open one (cross-site websocket hijacking). The origin check sits outside routing:
these tests do not depend on which websocket consumers exist yet.
"""

from __future__ import annotations

import uuid

import pytest
from channels.auth import AuthMiddleware
from channels.security.websocket import OriginValidator
from channels.sessions import CookieMiddleware, SessionMiddleware
from channels.testing import HttpCommunicator, WebsocketCommunicator

from anchorboard.asgi import application
from canvas.protocol.limits import CLOSE_NOT_FOUND
from tests.wsclient import RECEIVE_TIMEOUT

# Channels closes stale database connections around every websocket event, and Django does
# at the start of every request; both need database access to be allowed in the test.
pytestmark = pytest.mark.django_db(transaction=True)


def board_path() -> str:
    return f"/ws/boards/{uuid.uuid4()}/"


async def open_socket(path: str, headers: list[tuple[bytes, bytes]]) -> tuple[bool, object]:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    try:
        return await communicator.connect(timeout=RECEIVE_TIMEOUT)
    finally:
        await communicator.disconnect(timeout=RECEIVE_TIMEOUT)


def test_websocket_stack_is_origin_then_auth_then_routing():
    websocket_app = application.application_mapping["websocket"]
    assert isinstance(websocket_app, OriginValidator)
    cookies = websocket_app.application
    assert isinstance(cookies, CookieMiddleware)
    assert isinstance(cookies.inner, SessionMiddleware)
    assert isinstance(cookies.inner.inner, AuthMiddleware)


async def test_http_is_served_by_django():
    communicator = HttpCommunicator(
        application, "GET", "/healthz", headers=[(b"host", b"localhost")]
    )
    # A generous timeout: the first request of a fresh process imports the URLconf and every
    # view (about 2 s on a loaded 2-core machine); this test is about routing, not speed.
    response = await communicator.get_response(timeout=60)
    assert response["status"] == 200
    assert response["body"] == b'{"status": "ok"}'


@pytest.mark.parametrize(
    "origin",
    [b"https://evil.example", b"http://localhost.evil.example", b"null"],
)
async def test_websocket_from_a_foreign_origin_is_rejected(origin):
    connected, _ = await open_socket(board_path(), [(b"host", b"localhost"), (b"origin", origin)])
    assert connected is False


async def test_websocket_without_origin_is_rejected():
    connected, _ = await open_socket(board_path(), [(b"host", b"localhost")])
    assert connected is False


async def test_foreign_origin_is_rejected_before_routing():
    # An unknown path with a foreign origin is refused cleanly by the validator ...
    connected, _ = await open_socket("/ws/nowhere/", [(b"origin", b"https://evil.example")])
    assert connected is False


async def test_allowed_origin_reaches_routing():
    # ... while the same path from an allowed origin gets through to the URL router, whose
    # catch-all route accepts and closes with 4404 (never an HTTP 500 handshake failure).
    communicator = WebsocketCommunicator(
        application, "/ws/nowhere/", headers=[(b"origin", b"http://localhost:8000")]
    )
    connected, _ = await communicator.connect(timeout=RECEIVE_TIMEOUT)
    assert connected is True
    closed = await communicator.receive_output(timeout=RECEIVE_TIMEOUT)
    assert closed == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}
    await communicator.disconnect(timeout=RECEIVE_TIMEOUT)  # the consumer ends on it
