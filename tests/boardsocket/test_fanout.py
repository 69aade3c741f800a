"""One process's fan-out (canvas.boardsocket.fanout) through the real ASGI stack: one group
membership per board however many sockets, every socket gets every broadcast in order, as one
frame built once for all of them, a removed member's socket stops at once, an access change is
read once for the whole room, and a crowd syncing together shares snapshot reads."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connections
from django.test.utils import CaptureQueriesContext

from canvas import realtime
from canvas.boards import documents
from canvas.boardsocket import consumer as consumers
from canvas.boardsocket import fanout
from canvas.models import BoardMember
from foundation.websocket_frames import FRAME_WRITER_EXTENSION, text_frame
from tests import factories
from tests.wsclient import (
    RECEIVE_TIMEOUT,
    BoardSocket,
    create,
    open_socket,
    session_cookie,
    update,
)

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


class RecordingWriter:
    """A server's frame writer (foundation.websocket_frames) that keeps what it is given,
    or declines every frame (the socket then sends the text the ordinary way)."""

    def __init__(self, accept: bool = True) -> None:
        self.accept = accept
        self.frames: asyncio.Queue[bytes] = asyncio.Queue()

    def __call__(self, frame: bytes, payload_size: int) -> bool:
        if self.accept:
            self.frames.put_nowait(frame)
        return self.accept

    async def next(self) -> bytes:
        return await asyncio.wait_for(self.frames.get(), RECEIVE_TIMEOUT)


async def test_a_broadcast_is_one_frame_built_once_and_written_to_every_socket(crowd):
    board = crowd["board"]
    owner, _ = await open_socket(board, crowd["owner"])
    writers = [RecordingWriter() for _ in crowd["viewers"][1:]]
    declining = RecordingWriter(accept=False)
    viewers = []
    for user, writer in zip(crowd["viewers"], [declining, *writers], strict=True):
        sock, _ = await open_socket(board, user, {FRAME_WRITER_EXTENSION: writer})
        viewers.append(sock)
    for sock in [owner, *viewers]:
        assert (await sock.sync(None))["type"] == "snapshot"  # replies: not through writers
    await owner.send({"type": "ops", "batch_id": "c", "ops": [create("frame", name="f")]})
    revision = (await owner.recv())["revision"]
    frames = [await writer.next() for writer in writers]
    assert all(frame is frames[0] for frame in frames)  # one frame for every socket
    applied = await viewers[0].recv()  # the declined frame went out as text
    assert applied["type"] == "applied" and applied["revision"] == revision
    assert frames[0] == text_frame(json.dumps(applied, separators=(",", ":")).encode())
    for sock in viewers[1:]:
        assert await sock.comm.receive_nothing(timeout=0.1)  # nothing sent twice
    for sock in [owner, *viewers]:
        await sock.close()


async def test_an_access_change_reads_the_roles_of_the_whole_room_at_once():
    """A role change on a board re-checks every socket on it with one read for the room,
    not one per socket (1,000 viewers: three queries, not three thousand)."""
    members = [await database_sync_to_async(factories.make_user)() for _ in range(VIEWERS)]
    team = await database_sync_to_async(factories.make_team)(
        members=members, default_board_role="viewer"
    )
    board = await database_sync_to_async(factories.make_board)(team)
    sockets = await open_synced(board, members)
    # Every query of the sockets runs on the one database thread: count them there.
    database_thread_connection = await database_sync_to_async(lambda: connections["default"])()
    counter = CaptureQueriesContext(database_thread_connection)
    await database_sync_to_async(counter.__enter__)()
    try:
        team.default_board_role = "reviewer"
        await database_sync_to_async(team.save)()
        for sock in sockets:  # everyone is welcomed again with the new role
            assert (await sock.recv())["role"] == "reviewer"
    finally:
        await database_sync_to_async(counter.__exit__)(None, None, None)
    queries = [q["sql"] for q in counter.captured_queries]
    assert sum("canvas_teammembership" in sql for sql in queries) == 1, queries
    assert sum("canvas_boardmember" in sql for sql in queries) == 1, queries
    assert len(queries) == 5, queries  # the save's two, then the room's three
    for sock in sockets:
        await sock.close()


def commit_unannounced(board, user, ops):
    """Commit a batch whose broadcast is lost and that this process does not keep either:
    what a socket sees when another process's broadcast never reaches this one."""
    from canvas import protocol, recent_batches
    from canvas.boards import operations

    real_send, real_remember = realtime.send_group_now, recent_batches.remember
    realtime.send_group_now = lambda group, event: None
    recent_batches.remember = lambda *args, **kwargs: None
    try:
        parsed = [protocol.parse_operation(op) for op in ops]
        return operations.apply_batch(board.pk, user, parsed)[0]
    finally:
        realtime.send_group_now, recent_batches.remember = real_send, real_remember


async def counting_queries():
    """Every query of the sockets runs on the one database thread: a counter there."""
    connection = await database_sync_to_async(lambda: connections["default"])()
    counter = CaptureQueriesContext(connection)
    await database_sync_to_async(counter.__enter__)()
    return counter


async def test_a_crowd_pinging_after_lost_broadcasts_reads_once_for_the_room(crowd):
    """Every socket of the board lost two broadcasts; all of them ping at once. The pong's
    revision is read once for the room and the missing batches once from the log, not once
    per socket, and every socket still gets both batches in order before its pong."""
    board = crowd["board"]
    sockets = await open_synced(board, [crowd["owner"], *crowd["viewers"]])
    seed = create("frame", name="lost")
    first = await database_sync_to_async(commit_unannounced)(board, crowd["owner"], [seed])
    second = await database_sync_to_async(commit_unannounced)(
        board, crowd["owner"], [update(seed["item"]["id"], x=7.0)]
    )
    counter = await counting_queries()
    try:
        await asyncio.gather(*(sock.send({"type": "ping"}) for sock in sockets))
        for sock in sockets:
            replies = [await sock.recv() for _ in range(3)]
            assert [(r["type"], r["revision"]) for r in replies] == [
                ("applied", first),
                ("applied", second),
                ("pong", second),
            ]
            assert replies[1]["ops"][0]["set"]["x"] == 7.0
    finally:
        await database_sync_to_async(counter.__exit__)(None, None, None)
    queries = [q["sql"] for q in counter.captured_queries]
    revision_reads = [sql for sql in queries if 'FROM "canvas_board" ' in sql]
    log_reads = [sql for sql in queries if 'FROM "canvas_boardoperation"' in sql]
    assert len(revision_reads) == 1, queries
    assert len(log_reads) == 1, queries
    for sock in sockets:
        await sock.close()


async def test_pings_while_the_room_hears_the_board_are_answered_without_a_read(crowd, monkeypatch):
    """A room that delivered an event a moment ago knows the board's revision: a crowd's
    pings then cost no database read at all."""
    monkeypatch.setattr(fanout, "PONG_FRESH_SECONDS", 3600.0)  # "a moment", on a slow machine
    board = crowd["board"]
    owner, *viewers = await open_synced(board, [crowd["owner"], *crowd["viewers"]])
    assert await owner.ping() == 0  # the room learns the revision once
    await owner.send({"type": "ops", "batch_id": "c", "ops": [create("frame")]})
    revision = (await owner.recv())["revision"]
    for viewer in viewers:
        assert (await viewer.recv())["revision"] == revision
    counter = await counting_queries()
    try:
        await asyncio.gather(*(viewer.send({"type": "ping"}) for viewer in viewers))
        for viewer in viewers:
            assert await viewer.recv() == {"type": "pong", "revision": revision}
    finally:
        await database_sync_to_async(counter.__exit__)(None, None, None)
    assert counter.captured_queries == []
    for sock in [owner, *viewers]:
        await sock.close()


async def test_a_stale_known_revision_is_read_again(crowd, monkeypatch):
    """Once what the room knows is older than PONG_FRESH_SECONDS, a ping reads the board's
    revision again: that is how a broadcast lost on its way to this process is found."""
    board = crowd["board"]
    owner, viewer = await open_synced(board, [crowd["owner"], crowd["viewers"][0]])
    assert await viewer.ping() == 0
    monkeypatch.setattr(fanout, "PONG_FRESH_SECONDS", 0.0)
    revision = await database_sync_to_async(commit_unannounced)(board, crowd["owner"], [create()])
    await viewer.send({"type": "ping"})
    assert (await viewer.recv())["revision"] == revision  # the lost batch, then the pong
    assert await viewer.recv() == {"type": "pong", "revision": revision}
    for sock in [owner, viewer]:
        await sock.close()


async def test_a_crowd_opening_a_board_reads_the_roles_together(crowd):
    """Handshakes arriving together share one read of everyone's role on the board (three
    queries per read, on the one database thread), not three queries per socket; each
    socket is still welcomed with its own role, and a stranger among them is refused."""
    board = crowd["board"]
    stranger = await database_sync_to_async(factories.make_user)("stranger")
    users = [crowd["owner"], *crowd["viewers"], stranger]
    sockets = [BoardSocket(board.pk, await sync_to_async(session_cookie)(u)) for u in users]
    counter = await counting_queries()
    try:
        welcomes = await asyncio.gather(*(sock.open() for sock in sockets))
    finally:
        await database_sync_to_async(counter.__exit__)(None, None, None)
    assert [w.get("role") for w in welcomes[:-1]] == ["owner"] + ["viewer"] * VIEWERS
    assert welcomes[-1] == {"type": "websocket.close", "code": consumers.CLOSE_NO_ACCESS}
    queries = [q["sql"] for q in counter.captured_queries]
    role_reads = sum('FROM "canvas_boardmember"' in sql for sql in queries)
    assert 1 <= role_reads < len(users) // 2, queries
    for sock in sockets[:-1]:
        await sock.close()


async def test_a_crowd_joining_an_open_room_re_asserts_its_membership_together(crowd):
    """Each socket joining a room re-asserts the room's membership, but sockets joining
    together share one command: a crowd whose handshakes end at once sent one group_add
    each, overflowed the Redis layer's connection pool and was closed with 1011."""
    board = crowd["board"]
    first = await open_synced(board, [crowd["owner"]])
    layer = get_channel_layer()
    real_group_add, added = layer.group_add, []

    async def group_add(group, channel):
        added.append(group)
        await real_group_add(group, channel)

    layer.group_add = group_add
    try:
        cookies = [await sync_to_async(session_cookie)(user) for user in crowd["viewers"]]
        sockets = [BoardSocket(board.pk, cookie) for cookie in cookies]
        welcomes = await asyncio.gather(*(sock.open() for sock in sockets))
    finally:
        del layer.group_add
    assert all(welcome["type"] == "welcome" for welcome in welcomes)
    assert 1 <= len(added) < len(sockets) // 2, added
    for sock in [*first, *sockets]:
        await sock.close()
