"""A websocket that no message can crash (through the real ASGI stack, in process).

Each case was once a way to close a member's or a guest's socket with 1011, to lose the
messages queued behind it, to break the broadcast, or to get HTTP 500 for a URL. Now every
frame is answered (``error`` or ``rate_limited``), counts toward the socket's budget, is
logged at WARNING without a traceback, and nothing is saved or broadcast from it.
"""

from __future__ import annotations

import json
import logging

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from canvas.models import Board, Item
from canvas.protocol import limits
from tests import factories
from tests.review.conftest import make_link
from tests.wsclient import BoardSocket, create, open_socket, session_cookie, update

pytestmark = pytest.mark.django_db(transaction=True)

DEEP = "[" * 3000 + "]" * 3000  # ~6 KB: once a RecursionError and a 1011 close


@pytest.fixture
def people():
    owner = factories.make_user("olive")
    editor = factories.make_user("eddie")
    viewer = factories.make_user("vera")
    board = factories.make_board(owner=owner, name="Cliffs", editor=editor, viewer=viewer)
    return {"board": board, "owner": owner, "editor": editor, "viewer": viewer}


async def synced(board, user) -> BoardSocket:
    sock, welcome = await open_socket(board, user)
    assert welcome["type"] == "welcome"
    assert (await sock.sync(None))["type"] == "snapshot"
    return sock


async def guest_socket(board, owner) -> BoardSocket:
    _, token = await sync_to_async(make_link)(board, owner)
    sock = BoardSocket(None, path=f"/ws/share/{token}/")
    welcome = await sock.open()
    assert welcome["type"] == "welcome" and welcome["role"] == "guest"
    return sock


async def closed_with(sock: BoardSocket) -> int:
    event = await sock.recv_output()
    assert event["type"] == "websocket.close", event
    return event["code"]


@pytest.mark.parametrize("who", ["viewer", "editor"])
async def test_deep_nesting_is_answered_and_what_follows_is_not_lost(people, who):
    sock = await synced(people["board"], people[who])
    await sock.send_raw(DEEP)
    await sock.send_raw('{"type": "ping", "x": ' + DEEP + "}")
    await sock.send({"type": "ping"})  # queued behind the bad frames: still answered
    first, second, third = await sock.recv(), await sock.recv(), await sock.recv()
    assert first["code"] == second["code"] == "bad_message"
    assert "nested too deeply" in first["message"]
    assert third == {"type": "pong", "revision": 0}
    await sock.close()


async def test_a_guest_cannot_crash_the_share_socket(people):
    sock = await guest_socket(people["board"], people["owner"])
    await sock.send_raw(DEEP[:2000] + DEEP[-2000:])
    reply = await sock.recv()
    assert (reply["type"], reply["code"]) == ("error", "bad_message")
    await sock.send_raw(json.dumps({"type": "ping", "pad": "x" * limits.MAX_GUEST_MESSAGE_BYTES}))
    assert (await sock.recv())["code"] == "message_too_large"
    await sock.comm.send_to(bytes_data=b"\xff" * 100)
    assert (await sock.recv())["code"] == "bad_message"
    await sock.send({"type": "ping"})
    assert await sock.recv() == {"type": "pong"}  # guests follow snapshots, not revisions
    await sock.close()


async def test_deep_props_are_refused_and_the_broadcast_keeps_working(people):
    board = people["board"]
    editor = await synced(board, people["editor"])
    watcher = await synced(board, people["viewer"])
    text = json.dumps({"type": "ops", "batch_id": "deep", "ops": [create(props="PROPS")]})
    # Within the parser's limit: the props check names the batch and the field.
    await editor.send_raw(text.replace('"PROPS"', '{"k": ' * 150 + "{}" + "}" * 150))
    reply = await editor.recv()
    assert (reply["code"], reply["batch_id"]) == ("bad_message", "deep")
    assert "props is nested more than 16 levels" in reply["message"]
    # Beyond it (Python's json cannot even encode this): refused while parsing.
    await editor.send_raw(text.replace('"PROPS"', '{"k": ' * 950 + "{}" + "}" * 950))
    reply = await editor.recv()
    assert reply["code"] == "bad_message" and "nested too deeply" in reply["message"]
    await editor.send({"type": "ops", "batch_id": "ok", "ops": [create(props={"a": {"b": 1}})]})
    assert (await editor.recv())["type"] == "ack"
    assert (await watcher.recv())["type"] == "applied"  # the broadcast still works
    for s in (editor, watcher):
        await s.close()


@pytest.mark.parametrize("bad", ["a\ud800b", "nul\x00"])
async def test_unstorable_names_are_bad_messages_not_server_errors(people, bad):
    board = people["board"]
    sock = await synced(board, people["editor"])
    await sock.send({"type": "ops", "batch_id": "s", "ops": [create(name=bad)]})
    reply = await sock.recv()
    assert (reply["code"], reply.get("batch_id")) in {("bad_message", "s"), ("bad_message", None)}
    item = create(name="fine")
    await sock.send({"type": "ops", "batch_id": "f", "ops": [item]})
    assert (await sock.recv())["type"] == "ack"
    await sock.send({"type": "ops", "batch_id": "u", "ops": [update(item["item"]["id"], name=bad)]})
    assert (await sock.recv())["code"] == "bad_message"
    names = await database_sync_to_async(
        lambda: list(Item.objects.values_list("name", flat=True))
    )()
    assert names == ["fine"]
    await sock.close()


async def test_malformed_messages_count_toward_the_budget_and_are_still_answered(
    people, settings, caplog
):
    settings.ANCHORBOARD_WS_MESSAGE_BURST = 5
    settings.ANCHORBOARD_WS_MESSAGE_RATE = 0  # no refill: deterministic without timing
    sock, _ = await open_socket(people["board"], people["viewer"])
    with caplog.at_level(logging.INFO):
        for n in range(40):
            await sock.send_raw(
                "{not json" if n % 2 else json.dumps({"type": "ops", "batch_id": f"b{n}"})
            )
        replies = [await sock.recv() for _ in range(40)]
    assert [r["type"] for r in replies] == ["error"] * 40
    assert [r["code"] for r in replies[:5]] == ["bad_message"] * 5
    assert {r["code"] for r in replies[5:]} == {"rate_limited"}
    # The batch id is echoed even when rate limited, so the client knows what was dropped.
    assert replies[6] == {**replies[6], "batch_id": "b6"}
    warnings = [r for r in caplog.records if r.name == "canvas.sockets"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert warnings[0].exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await sock.close()


async def test_malformed_board_ids_and_unknown_paths_close_with_44xx(people):
    cookie = await sync_to_async(session_cookie)(people["owner"])
    for path, code in [
        ("/ws/boards/abc/", limits.CLOSE_NO_ACCESS),
        ("/ws/boards/%00%ff/", limits.CLOSE_NO_ACCESS),
        ("/ws/boards/", limits.CLOSE_NOT_FOUND),
        ("/ws/nowhere/", limits.CLOSE_NOT_FOUND),
        ("/ws/share/x/", limits.CLOSE_LINK_UNAVAILABLE),
        ("/ws/share/" + "t" * 5000 + "/", limits.CLOSE_LINK_UNAVAILABLE),
    ]:
        sock = BoardSocket(None, cookie, path=path)
        first = await sock.open()
        if first.get("type") == "error":  # share sockets say why before closing
            first = await sock.recv_output()
        assert first == {"type": "websocket.close", "code": code}, path


async def test_nothing_bad_reaches_the_board(people):
    """After every kind of bad frame the board is exactly as before."""
    board = people["board"]
    sock = await synced(board, people["owner"])
    for text in (DEEP, "\x00", '{"type": "ops", "batch_id": "x", "ops": [1]}', "null"):
        await sock.send_raw(text)
        assert (await sock.recv())["type"] == "error"
    revision = await database_sync_to_async(
        lambda: Board.objects.values_list("revision", flat=True).get(pk=board.pk)
    )()
    assert revision == 0
    await sock.close()
