"""A board's fan-out after its Redis restarted and forgot everything
(canvas.boardsocket.fanout).

Redis runs without persistence, so a restart loses every group membership; the process's
rooms must join their boards' groups again by themselves, the sockets that were there must
be told to catch up (events meant for them were lost), and a socket (re)joining a room must
be subscribed when ``Hub.join`` returns, even though the layer's pooled connections all
broke with the restart. A private ``redis-server`` is really killed and started again on
the same port: the data loss and the broken connections are the real ones.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

from anchorboard.settings import redis_channel_layer
from canvas import realtime
from canvas.boardsocket import fanout
from canvas.boardsocket.consumer import CLOSE_RECONNECT, encode_event
from tests import factories
from tests.topology.harness import free_port, port_open, wait_until
from tests.wsclient import open_socket

pytestmark = [pytest.mark.redis, pytest.mark.timeout(120)]

GROUP = "board.restart"
WAIT = 30.0  # seconds: a bound on waiting for a delivery, not a measured time


class RedisServer:
    """A redis-server of this test's own, without persistence, like the deployment's."""

    def __init__(self, workdir) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt install redis-server)")
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", str(self.workdir)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: port_open(self.port), timeout=20, what="redis-server")

    def stop(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)

    def restart(self) -> None:
        """Killed, like a crash: every key is lost and every client connection breaks."""
        self.stop()
        self.start()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def make_layer(server: RedisServer) -> RedisChannelLayer:
    """A channel layer configured as in production (one per simulated process)."""
    return RedisChannelLayer(**redis_channel_layer(server.url)["CONFIG"])


class Inbox:
    """A socket of the room (fanout.BoardSocket) that records what it is handed."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.told_to_catch_up = 0

    async def board_event(self, event, frame) -> None:
        self.events.append(event)
        self.arrived.set()

    async def missed_events(self) -> None:
        self.told_to_catch_up += 1

    def has(self, mark: str) -> bool:
        return any(event.get("mark") == mark for event in self.events)

    async def wait(self, mark: str) -> None:
        async def until() -> None:
            while not self.has(mark):
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(until(), WAIT)


def job_event(mark: str) -> dict[str, Any]:
    return {"type": "board.job", "mark": mark, "message": {}}


async def fill_the_pool(layer: RedisChannelLayer) -> None:
    """Several commands at once: the layer's pool keeps that many connections open, and a
    restart leaves each of them broken, to be found out by the next command using it."""
    await asyncio.gather(*(layer.group_send(GROUP, job_event("warm-up")) for _ in range(6)))


@pytest.fixture
async def hub(redis_server, monkeypatch):
    # No periodic renewal during the test: only what the fix does may bring a room back.
    monkeypatch.setattr(fanout, "RENEW_SECONDS", 3600.0)
    layer = make_layer(redis_server)
    hub = fanout.Hub(layer, json.dumps)
    yield hub
    for room in list(hub.rooms.values()):
        await room.close()
    hub.close()
    await layer.close_pools()


async def announced_until_heard(server: RedisServer, inbox: Inbox) -> None:
    """Another process keeps announcing until one announcement reaches ``inbox``."""
    sender = make_layer(server)
    mark = uuid.uuid4().hex

    async def announce() -> None:
        while True:
            await sender.group_send(GROUP, job_event(mark))
            await asyncio.sleep(0.2)  # the pace of the announcements, not a wait for them

    announcing = asyncio.ensure_future(announce())
    try:
        await inbox.wait(mark)
    finally:
        announcing.cancel()
        await sender.close_pools()


async def test_a_room_joins_its_group_again_after_redis_restarted(redis_server, hub):
    """Nobody reconnects on this process: the room itself re-joins after the restart."""
    inbox = Inbox()
    await hub.join(GROUP, inbox)
    await fill_the_pool(hub.layer)
    redis_server.restart()
    await announced_until_heard(redis_server, inbox)
    assert inbox.told_to_catch_up == 1


async def test_a_room_joins_its_group_again_after_redis_forgot_it_silently(redis_server, hub):
    """Redis lost every key but no connection broke (a flush; a restart between two reads
    of the room's blocking pop looks the same): no receive fails, nothing reconnects, yet
    the room must notice and re-join."""
    inbox = Inbox()
    await hub.join(GROUP, inbox)
    await hub.layer.connection(0).flushall()
    await announced_until_heard(redis_server, inbox)
    assert inbox.told_to_catch_up == 1


async def test_a_socket_joining_after_a_restart_is_subscribed_when_join_returns(redis_server, hub):
    """The pool's connections broke with the restart; joining still re-asserts the room's
    membership before it returns, so the very next event reaches the socket."""
    first = Inbox()
    await hub.join(GROUP, first)
    await fill_the_pool(hub.layer)
    redis_server.restart()

    second = Inbox()  # the reconnecting socket
    await hub.join(GROUP, second)
    sender = make_layer(redis_server)
    try:
        await sender.group_send(GROUP, job_event("once"))  # sent once, right after joining
        await second.wait("once")
        assert first.has("once")
        # The socket that was there may have missed events; the one that joined since not.
        assert (first.told_to_catch_up, second.told_to_catch_up) == (1, 0)
    finally:
        await sender.close_pools()


async def test_a_live_process_keeps_its_key_so_it_is_not_taken_for_forgotten(
    redis_server, hub, monkeypatch
):
    """The key expires only if the process stops renewing it: every renewal pushes it back
    (else every socket of a long-lived process would be closed when it ran out)."""
    monkeypatch.setattr(fanout, "RENEW_SECONDS", 0.05)
    monkeypatch.setattr(fanout, "CHECK_SECONDS", 0.05)
    inbox = Inbox()
    await hub.join(GROUP, inbox)
    connection = hub.layer.connection(0)
    await connection.expire(hub.memory.key, 5)  # as if it had nearly run out
    for _ in range(200):  # bounded: a renewal runs every 0.05 s here
        if await connection.ttl(hub.memory.key) > 5:
            break
        await asyncio.sleep(0.05)
    assert await connection.ttl(hub.memory.key) > 5
    assert inbox.told_to_catch_up == 0


@pytest.mark.django_db(transaction=True)
async def test_an_open_board_socket_is_told_to_reconnect_when_redis_forgot(
    redis_layer, monkeypatch
):
    """Through the real consumer on the shared test Redis: every key of the layer's own
    prefix disappears (what a restart does to all of them); the open socket closes with
    1012, so its client reconnects, syncs and re-reads what it may have missed."""
    monkeypatch.setattr(fanout, "CHECK_SECONDS", 0.05)
    owner = await database_sync_to_async(factories.make_user)("olive")
    board = await database_sync_to_async(factories.make_board)(owner=owner)
    sock, welcome = await open_socket(board, owner)
    assert welcome["type"] == "welcome"
    assert (await sock.sync(None))["type"] == "snapshot"
    layer = get_channel_layer()
    connection = layer.connection(0)
    await connection.delete(*await connection.keys(f"{redis_layer['prefix']}*"))
    assert await sock.recv_output() == {"type": "websocket.close", "code": CLOSE_RECONNECT}
    await layer.close_pools()


@pytest.mark.django_db(transaction=True)
async def test_a_socket_ended_by_a_channel_layer_error_leaves_its_room(monkeypatch):
    """Redis going away ends a consumer with the layer's error, without the
    websocket.disconnect that normally takes it out of its room: it must leave anyway, or
    the room would keep the dead socket (and hand it every event) for good."""
    owner = await database_sync_to_async(factories.make_user)("olive")
    board = await database_sync_to_async(factories.make_board)(owner=owner)
    layer = get_channel_layer()
    real_receive = layer.receive
    broken = asyncio.Event()

    async def receive(channel: str) -> dict[str, Any]:
        """The layer's receive until the broker "goes away", then its error."""
        message = asyncio.ensure_future(real_receive(channel))
        outage = asyncio.ensure_future(broken.wait())
        await asyncio.wait({message, outage}, return_when=asyncio.FIRST_COMPLETED)
        outage.cancel()
        if message.done():
            return message.result()
        message.cancel()
        raise ConnectionError("Connection closed by server.")

    monkeypatch.setattr(layer, "receive", receive)
    sock, welcome = await open_socket(board, owner)
    assert welcome["type"] == "welcome"
    hub = fanout.hub(encode_event)
    group = realtime.board_group(board.pk)
    assert hub is not None and hub.room(group) is not None

    broken.set()
    with pytest.raises(ConnectionError):
        await sock.comm.wait(timeout=10)
    assert hub.room(group) is None  # the room emptied and closed


@pytest.mark.django_db(transaction=True)
async def test_an_open_guest_socket_is_told_to_reconnect_when_redis_forgot(
    redis_layer, monkeypatch
):
    """A guest's share socket is a member of its groups itself, not through a room; when
    Redis forgets every group without any connection error (no receive fails), it must be
    closed with 1012 like a member's socket, or it would silently miss everything sent to
    its link from then on (a revocation among it)."""
    from tests.review.conftest import make_link
    from tests.sharing.test_share_ws import GuestSocket

    monkeypatch.setattr(fanout, "CHECK_SECONDS", 0.05)
    owner = await database_sync_to_async(factories.make_user)("olive")
    board = await database_sync_to_async(factories.make_board)(owner=owner)
    _link, token = await database_sync_to_async(make_link)(board, owner)
    guest = GuestSocket(token)
    assert (await guest.open())["type"] == "welcome"
    layer = get_channel_layer()
    connection = layer.connection(0)
    await connection.delete(*await connection.keys(f"{redis_layer['prefix']}*"))
    assert await guest.closed_with() == CLOSE_RECONNECT
    hub = fanout.hub()
    assert hub is not None and not hub.guests  # it left the hub's care as it closed
    await layer.close_pools()


async def test_a_guest_socket_is_renewed_with_the_rooms(redis_server, hub):
    """The hub renews a guest socket's own memberships in the same pass as its rooms'."""

    class Guest:
        channel_name = ""
        groups_joined = [GROUP]
        told = 0

        async def missed_events(self) -> None:
            self.told += 1

    guest = Guest()
    guest.channel_name = await hub.layer.new_channel()
    await hub.layer.group_add(GROUP, guest.channel_name)
    await hub.attend(guest)
    await hub.layer.group_discard(GROUP, guest.channel_name)  # as if it had expired
    hub._renewal_due = True  # the next pass renews (RENEW_SECONDS is an hour here)
    sender = make_layer(redis_server)
    try:
        for _ in range(200):  # bounded: the keeper passes every CHECK_SECONDS
            await sender.group_send(GROUP, job_event("renewed"))
            try:
                message = await asyncio.wait_for(hub.layer.receive(guest.channel_name), 0.1)
            except TimeoutError:
                continue
            assert message["mark"] == "renewed"
            break
        else:
            pytest.fail("the guest's membership was not renewed")
    finally:
        await sender.close_pools()
    assert guest.told == 0
