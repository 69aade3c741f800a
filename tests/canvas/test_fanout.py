"""One process's fan-out (canvas.boardsocket.fanout) through the real ASGI stack: one group
membership per board however many sockets, every socket gets every broadcast in order, a removed
member's socket stops at once, and a crowd syncing together shares snapshot reads."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from canvas import realtime
from canvas.boards import documents
from canvas.boardsocket import consumer as consumers
from canvas.models import BoardMember
from tests import factories
from tests.canvas.wsclient import create, open_socket, update

pytestmark = pytest.mark.django_db(transaction=True)
VIEWERS = 12


@pytest.fixture
def crowd():
    owner = factories.make_user("olive")
    board = factories.make_board(owner=owner, name="Crowd")
    viewers = []
    for n in range(VIEWERS):
        viewer = factories.make_user(f"viewer{n}")
        BoardMember.objects.create(board=board, user=viewer, role="viewer")
        viewers.append(viewer)
    return {"board": board, "owner": owner, "viewers": viewers}


async def open_synced(board, users):
    sockets = []
    for user in users:
        sock, welcome = await open_socket(board, user)
        assert welcome["type"] == "welcome"
        sockets.append(sock)
    replies = await asyncio.gather(*(sock.sync(None) for sock in sockets))
    assert all(reply["type"] == "snapshot" for reply in replies)
    return sockets


async def test_one_membership_per_board_per_process(crowd):
    board = crowd["board"]
    group = realtime.board_group(board.pk)
    sockets = await open_synced(board, [crowd["owner"], *crowd["viewers"]])
    layer = get_channel_layer()
    assert len(layer.groups[group]) == 1  # not one per socket
    for sock in sockets:
        await sock.close()
    assert not layer.groups.get(group)  # the last socket out unsubscribes the process


async def test_every_socket_gets_every_broadcast_in_order(crowd):
    board = crowd["board"]
    owner, *viewers = await open_synced(board, [crowd["owner"], *crowd["viewers"]])
    await owner.send({"type": "ops", "batch_id": "c", "ops": [create("frame", name="f")]})
    revisions = [(await owner.recv())["revision"]]
    created = [await viewer.recv() for viewer in viewers]
    assert {message["revision"] for message in created} == {revisions[0]}
    item_id = created[0]["ops"][0]["item"]["id"]
    for n in range(5):
        await owner.send({"type": "ops", "batch_id": f"u{n}", "ops": [update(item_id, x=n)]})
        revisions.append((await owner.recv())["revision"])
    for viewer in viewers:
        got = [await viewer.recv() for _ in range(5)]
        assert [message["revision"] for message in got] == revisions[1:]  # in order, once
        assert [message["ops"][0]["set"]["x"] for message in got] == [0, 1, 2, 3, 4]
        await viewer.ping()  # and nothing else was queued before the pong
    for sock in [owner, *viewers]:
        await sock.close()


async def test_removed_member_stops_receiving_at_once(crowd):
    board = crowd["board"]
    removed_user = crowd["viewers"][0]
    owner, removed, *others = await open_synced(board, [crowd["owner"], *crowd["viewers"]])
    await database_sync_to_async(
        BoardMember.objects.filter(board=board, user=removed_user).delete
    )()
    await owner.send({"type": "ops", "batch_id": "after", "ops": [create()]})
    assert (await owner.recv())["type"] == "ack"
    # The access change was committed before the edit: the removed socket is told and
    # closed, and the edit never reaches it.
    assert (await removed.recv())["code"] == "forbidden"
    assert await removed.recv_output() == {"type": "websocket.close", "code": 4403}
    assert await removed.comm.receive_nothing(timeout=0.2)
    for sock in others:
        assert (await sock.recv())["type"] == "applied"
        await sock.close()
    await owner.close()


async def test_a_crowd_syncing_at_once_shares_snapshot_reads(crowd, monkeypatch):
    """Sockets syncing together share a read; a read never answers a later question."""
    board = crowd["board"]
    reads = []
    real = consumers.snapshot_frames

    def counted(board):
        reads.append(board.pk)
        return real(board)

    monkeypatch.setattr(consumers, "snapshot_frames", counted)
    sockets = await open_synced(board, [crowd["owner"], *crowd["viewers"]])
    assert 1 <= len(reads) < len(sockets)
    # A later socket never gets an older read: the edit below is in its snapshot.
    await sockets[0].send({"type": "ops", "batch_id": "x", "ops": [create(name="late")]})
    assert (await sockets[0].recv())["type"] == "ack"
    late, _ = await open_socket(board, crowd["viewers"][0])
    snapshot = await late.sync(None)
    assert [item["name"] for item in snapshot["items"]] == ["late"]
    for sock in [*sockets, late]:
        await sock.close()


async def test_a_crowd_pinging_at_once_shares_revision_reads(crowd, monkeypatch):
    """``pong`` names the board's committed revision, read once for sockets asking together."""
    board = crowd["board"]
    sockets = await open_synced(board, [crowd["owner"], *crowd["viewers"]])
    await sockets[0].send({"type": "ops", "batch_id": "x", "ops": [create()]})
    revision = (await sockets[0].recv())["revision"]
    for sock in sockets[1:]:
        assert (await sock.recv())["revision"] == revision
    reads = []
    real = documents.current_revision

    def counted(board):
        reads.append(board.pk)
        return real(board)

    monkeypatch.setattr(documents, "current_revision", counted)
    await asyncio.gather(*(sock.send({"type": "ping"}) for sock in sockets))
    pongs = await asyncio.gather(*(sock.recv() for sock in sockets))
    assert pongs == [{"type": "pong", "revision": revision}] * len(sockets)
    assert 1 <= len(reads) < len(sockets)
    for sock in sockets:
        await sock.close()
