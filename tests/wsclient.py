"""Helpers shared by the websocket tests: a communicator safe to await on several sockets
at once, a logged-in board socket, assets, operation builders, and a reference
implementation of how a client applies batches.

The reference ``apply_batches`` is deliberately independent of canvas.boards: it is what
frontend code does with ``catchup``/``applied`` messages, written from docs/protocol.md.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import channels.db
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator as AsgirefCommunicator
from channels.testing import WebsocketCommunicator
from channels.testing.application import no_op
from django.test import Client

from anchorboard.asgi import application
from assets.models import Asset, Blob
from canvas import protocol
from canvas.protocol import ITEM_DEFAULTS

# Generous: a bound on waiting for what must come (a message, a connect, the consumer ending
# after a disconnect), never an assertion about time. Channels' own default is 1 s, which a
# loaded 2-core machine exceeds.
RECEIVE_TIMEOUT = 30


_awaiting: set[object] = set()  # Communicator awaits under way (on the test's event loop)
_swapped_out: list[Any] = []  # what the no-op replaced while any await is under way


@contextlib.contextmanager
def _old_connections_kept() -> Iterator[None]:
    """Channels' no-op in place of ``channels.db.close_old_connections`` while any
    Communicator awaits: the first await to start puts it in, the last to end takes it out,
    whatever the order they end in."""
    token = object()
    if not _awaiting:
        _swapped_out[:] = [channels.db.close_old_connections]
        channels.db.close_old_connections = no_op
    _awaiting.add(token)
    try:
        yield
    finally:
        if token in _awaiting:  # not forgotten by forget_awaits()
            _awaiting.discard(token)
            if not _awaiting:
                channels.db.close_old_connections = _swapped_out.pop()


def forget_awaits() -> int:
    """Forget the awaits a finished test left under way (tests/conftest.py has already put
    the real function back); returns how many there were."""
    left = len(_awaiting)
    _awaiting.clear()
    _swapped_out.clear()
    return left


class Communicator(WebsocketCommunicator):
    """Channels' WebsocketCommunicator, safe to await on several sockets at once.

    Channels' test communicator swaps ``channels.db.close_old_connections`` for a no-op with
    ``mock.patch`` around each ``send_input`` and ``receive_output``, so the test's database
    connection survives the consumer's queries. Awaits on several sockets at once
    (``asyncio.gather``) end in another order than they began; the patches then unwind out
    of order and the last one puts the no-op back for good: every later test of the worker
    process ran with Channels never closing database connections. Here the swap is counted
    instead (tests/conftest.py fails a test that leaves it in place)."""

    async def send_input(self, message: dict[str, Any]) -> None:
        with _old_connections_kept():
            return await AsgirefCommunicator.send_input(self, message)

    async def receive_output(self, timeout: float = RECEIVE_TIMEOUT) -> dict[str, Any]:
        with _old_connections_kept():
            return await AsgirefCommunicator.receive_output(self, timeout)

    # Channels waits 1 s by default for a connect to be answered and for the consumer to end
    # after a disconnect (then raises TimeoutError): the same generous bound here.
    async def connect(self, timeout: float = RECEIVE_TIMEOUT) -> tuple[bool, Any]:
        return await super().connect(timeout)

    async def disconnect(self, code: int = 1000, timeout: float = RECEIVE_TIMEOUT) -> None:
        await super().disconnect(code, timeout)

    async def wait(self, timeout: float = RECEIVE_TIMEOUT) -> None:
        await super().wait(timeout)


def make_asset(board, *, width: int = 640, height: int = 480, levels=(256,)) -> Asset:
    digest = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    blob = Blob.objects.create(
        sha256=digest,
        storage_key=f"blobs/{digest}",
        format="PNG",
        mime_type="image/png",
        size_bytes=1234,
        width=width,
        height=height,
        stored_width=width,
        stored_height=height,
        mode="RGB",
        derivative_levels=list(levels),
    )
    return Asset.objects.create(board=board, blob=blob, filename="sketch.png")


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


class BoardSocket:
    """A WebsocketCommunicator speaking JSON to /ws/boards/<id>/ through the real ASGI stack."""

    def __init__(
        self,
        board_id,
        cookie: str | None = None,
        origin: str = "http://testserver",
        path: str | None = None,
    ):
        headers = [(b"origin", origin.encode()), (b"host", b"testserver")]
        if cookie:
            headers.append((b"cookie", f"sessionid={cookie}".encode()))
        path = path or f"/ws/boards/{board_id}/"
        self.comm = Communicator(application, path, headers=headers)

    async def open(self) -> dict[str, Any]:
        """Connect and return the first server message (``welcome``) or the close event."""
        connected, _ = await self.comm.connect(timeout=RECEIVE_TIMEOUT)
        assert connected
        event = await self.comm.receive_output(timeout=RECEIVE_TIMEOUT)
        if event["type"] == "websocket.send":
            return json.loads(event["text"])
        return event

    async def send(self, message: Any) -> None:
        await self.comm.send_to(text_data=json.dumps(message))

    async def send_raw(self, text: str) -> None:
        await self.comm.send_to(text_data=text)

    async def recv(self) -> dict[str, Any]:
        return json.loads(await self.comm.receive_from(timeout=RECEIVE_TIMEOUT))

    async def recv_output(self) -> dict[str, Any]:
        return await self.comm.receive_output(timeout=RECEIVE_TIMEOUT)

    async def ping(self) -> int:
        """Round-trip a ping: everything the server queued before it has been received.
        Returns the board revision the pong names."""
        await self.send({"type": "ping"})
        reply = await self.recv()
        assert reply["type"] == "pong" and set(reply) == {"type", "revision"}, reply
        return reply["revision"]

    async def sync(self, since: int | None = None) -> dict[str, Any]:
        await self.send({"type": "sync", "since": since})
        return await self.recv()

    async def close(self) -> None:
        await self.comm.disconnect()


async def open_socket(
    board, user=None, extensions: dict[str, Any] | None = None
) -> tuple[BoardSocket, dict[str, Any]]:
    """A board socket of ``user``; ``extensions`` are the server's ASGI extensions."""
    cookie = await sync_to_async(session_cookie)(user) if user is not None else None
    sock = BoardSocket(board.pk, cookie)
    if extensions:
        sock.comm.scope["extensions"] = extensions
    return sock, await sock.open()


def item(kind: str = "frame", *, asset=None, **fields) -> dict[str, Any]:
    data = {"id": str(uuid.uuid4()), "kind": kind, **fields}
    if asset is not None:
        data["asset"] = str(asset.pk)
    return data


def create(kind: str = "frame", **fields) -> dict[str, Any]:
    return {"op": "create", "item": item(kind, **fields)}


def update(item_id: str, **changes) -> dict[str, Any]:
    return {"op": "update", "id": item_id, "set": changes}


def delete(item_id: str) -> dict[str, Any]:
    return {"op": "delete", "id": item_id}


def parse_ops(ops: list[dict[str, Any]]) -> list[protocol.Operation]:
    """The operations of an ``ops`` message, parsed as the socket parses them."""
    message = {"type": "ops", "batch_id": "x", "ops": ops}
    return protocol.parse_client_message(json.dumps(message)).operations()


# --- Reference client ------------------------------------------------------------------------


def state_from_items(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {entry["id"]: copy.deepcopy(entry) for entry in items}


def apply_batches(
    state: dict[str, dict[str, Any]], batches: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Apply AppliedBatch objects to a client's live items, as docs/protocol.md says."""
    state = copy.deepcopy(state)
    for batch in batches:
        for op in batch["ops"]:
            if op["op"] == "create":
                state[op["item"]["id"]] = {
                    **ITEM_DEFAULTS,
                    **copy.deepcopy(op["item"]),
                    "revision": batch["revision"],
                }
            elif op["op"] == "update":
                state[op["id"]].update(copy.deepcopy(op["set"]))
                state[op["id"]]["revision"] = batch["revision"]
            else:
                del state[op["id"]]
    return state


def in_paint_order(state: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(state.values(), key=lambda entry: (entry["z"], entry["id"]))
