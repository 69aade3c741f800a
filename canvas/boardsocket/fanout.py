"""Board fan-out inside one web process: one channel-layer subscription per board, local
delivery to that board's sockets with a frame encoded once.

Why not one group member per socket (Channels' default): a broadcast to a board with N
sockets then costs N channel-layer messages (N Redis commands, N ``deepcopy`` in memory),
N consumer task wake-ups, N JSON encodings and — in Channels' ``dispatch`` — N hops to the
one database thread, so delivery time grew with N and 250 viewers already waited seconds
(docs/architecture.md, "Fan-out", has the numbers). Here each process joins a board's group
ONCE, with a channel of its own (a ``Room``), while it has at least one socket on that
board; the room's one reader task receives every event of the board for the process,
encodes the client frame once and passes it to each local socket in turn.

What a socket does with an event stays the socket's business (``BoardSocket``): skip its
own batch, keep its revisions gapless, re-check its role on an access change. A room only
guarantees order: events reach every socket in the order the process received them.

Reads are shared the same way (``SharedRead``): a socket that needs a snapshot waits for
the next read that starts after it asked, so a crowd joining at once costs one read per read
time, not one per socket. A ``ping`` is answered from the revision the room knows
(``KnownRevision``: every event it delivered, this process's own commits, its last read),
read again only once that knowledge is older than ``PONG_FRESH_SECONDS``, and the batches
a crowd of sockets is missing are read from the log once for the room (``Room.fill``):
1,000 sockets pinging after a silence cost one revision read and at most one log read.
Handshakes arriving together on a board share one read of all their roles
(``Hub.read_at_handshake``).

Works the same on the in-memory layer (embedded server) and on Redis (several web
processes). This module decides nothing about permissions and builds no payloads.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, Protocol, cast

from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

from canvas import realtime, recent_batches
from foundation import websocket_frames

logger = logging.getLogger(__name__)

# Channel layers forget group members after ``group_expiry`` (a day by default): every room
# renews its membership this often.
RENEW_SECONDS = 20.0
# Redis forgets every group when it restarts (no persistence) or is flushed: this often a
# process asks whether its Redis still remembers it (one command), and re-joins every room
# at once when it does not. Also the pace of retries while Redis is unreachable.
CHECK_SECONDS = 1.0
# After a failed receive (Redis gone), wait this long before trying again.
RETRY_SECONDS = 1.0
# A ``pong`` names the revision the room knew at most this long ago (an event it delivered,
# a commit of this process, a read), else the revision is read again, once for the room.
# The client's silence ping comes after at least 1 s without news (docs/protocol.md), so a
# broadcast lost on its way to this process is found by the next silence ping at the latest.
PONG_FRESH_SECONDS = 1.0


class Delivery:
    """One board event on its way to the sockets of a room. What every socket would do
    alike is done once, by the first that asks: ``delivery()`` is the client message as
    text, ``wire()`` the same as a whole websocket frame (foundation.websocket_frames) with
    its payload size, and ``once`` runs any other shared work (the roles of everyone in
    the room after an access change)."""

    __slots__ = ("_shared", "_text", "_wire", "encode", "event")

    def __init__(self, event: dict[str, Any], encode: Callable[[dict[str, Any]], str]) -> None:
        self.event = event
        self.encode = encode
        self._text: str | None = None
        self._wire: tuple[bytes, int] | None = None
        self._shared: dict[str, asyncio.Future[Any]] = {}

    def __call__(self) -> str:
        if self._text is None:
            self._text = self.encode(self.event)
        return self._text

    def wire(self) -> tuple[bytes, int]:
        if self._wire is None:
            payload = self().encode()
            self._wire = (websocket_frames.text_frame(payload), len(payload))
        return self._wire

    async def once(self, name: str, work: Callable[[], Awaitable[Any]]) -> Any:
        """``work()``'s result, started by the first socket that asks for ``name`` and
        shared with the others (each gets its exception raised)."""
        found = self._shared.get(name)
        if found is None:
            found = self._shared[name] = asyncio.ensure_future(work())
        return await asyncio.shield(found)


class BoardSocket(Protocol):
    """What a room needs from a socket (canvas.boardsocket.consumer.BoardConsumer)."""

    async def board_event(self, event: dict[str, Any], delivery: Delivery) -> None:
        """Take one board event in order; ``delivery`` holds what is done once per event
        for every socket of the room (the encoded client message first of all)."""

    async def missed_events(self) -> None:
        """The channel layer lost events that were meant for this socket (its Redis forgot
        every group): have the client reconnect and catch up."""


class GuestSocket(Protocol):
    """A socket that is a channel-layer group member itself, not through a room: a guest's
    share socket (canvas.sharing.consumer; few per board, each filtered by its link)."""

    channel_name: str
    groups_joined: list[str]

    async def missed_events(self) -> None:
        """As ``BoardSocket.missed_events``: its memberships and the events sent meanwhile
        are gone (a revoked link among them); have the client reconnect."""


class SharedRead:
    """One database read shared by everyone who asks while it is in flight — but only by
    those who asked before it started: a caller never gets an answer older than its
    question. Asking while a read is running waits for it and then for the next one, which
    serves everyone who asked meanwhile, so a crowd costs one read per read time."""

    def __init__(self, read: Callable[[], Awaitable[Any]]) -> None:
        self.read = read
        self.asked = 0  # questions so far; a read serves those asked before it started
        self._running: asyncio.Future[Any] | None = None
        self._serves = 0

    async def get(self) -> Any:
        self.asked += 1
        ticket = self.asked
        while True:
            current = self._running
            if current is not None and self._serves >= ticket:
                return await asyncio.shield(current)
            if current is not None:
                await asyncio.wait([current])  # started before we asked: wait for the next
                continue
            self._serves = self.asked
            future: asyncio.Future[Any] = asyncio.ensure_future(self.read())
            self._running = future
            future.add_done_callback(self._done)
            return await asyncio.shield(future)

    def _done(self, future: asyncio.Future[Any]) -> None:
        if self._running is future:
            self._running = None
        if not future.cancelled():
            future.exception()  # retrieved: each waiter gets it raised


class BatchedRead:
    """One read for many keys, for sockets arriving together: each caller adds its key
    (a user id) and waits for the next read that starts after it asked, which reads every
    key asked for meanwhile in one go (a crowd of handshakes on a board: one role read per
    read time, not one per socket). ``idle()`` says when nothing waits any more."""

    def __init__(self, read: Callable[[set[Any]], Awaitable[Any]]) -> None:
        self.read = read
        self.reads = 0
        self._keys: set[Any] = set()
        self._next: asyncio.Future[Any] | None = None  # the read the next callers wait for
        self._running: asyncio.Future[Any] | None = None

    async def get(self, key: Any) -> Any:
        self._keys.add(key)
        answer = self._next
        if answer is None:
            answer = self._next = asyncio.get_running_loop().create_future()
            if self._running is None:
                self._start()
        return await asyncio.shield(answer)

    def idle(self) -> bool:
        return self._next is None and self._running is None

    def _start(self) -> None:
        keys, self._keys = self._keys, set()
        answer, self._next = self._next, None
        assert answer is not None
        self.reads += 1
        self._running = asyncio.ensure_future(self.read(keys))

        def done(running: asyncio.Future[Any]) -> None:
            self._running = None
            if not answer.done():
                if running.cancelled():
                    answer.cancel()
                elif running.exception() is not None:
                    answer.set_exception(cast(BaseException, running.exception()))
                    answer.exception()  # retrieved: each waiter gets it raised
                else:
                    answer.set_result(running.result())
            if self._next is not None:  # asked while this read ran: the next one
                self._start()

        self._running.add_done_callback(done)


class KnownRevision:
    """The board's committed revision as this room last knew it, and since when.

    Events the room delivers and reads of the board's revision raise it; a question
    (``get``) is answered from it while it is at most ``fresh`` seconds old, else by one
    read shared with everyone who asks meanwhile (a read started within ``fresh`` seconds
    serves any later question too: its answer is no older than what a fresh value may
    be). ``forget`` makes the next question read (the broker lost events)."""

    def __init__(self, read: Callable[[], Awaitable[int]]) -> None:
        self.read = read
        self.value: int | None = None
        self.at = float("-inf")  # loop time the value was known at
        self.reads = 0
        self._running: asyncio.Future[int] | None = None
        self._started = float("-inf")

    def saw(self, revision: int, at: float | None = None) -> None:
        """The board had at least ``revision`` at loop time ``at`` (default now)."""
        when = asyncio.get_running_loop().time() if at is None else at
        if self.value is None or revision >= self.value:
            self.value = revision
        self.at = max(self.at, when)

    def forget(self) -> None:
        self.at = float("-inf")
        self._started = float("-inf")

    async def get(self, fresh: float, committed_here: int | None = None) -> int:
        """The board's revision, known at most ``fresh`` seconds ago; ``committed_here``,
        the latest revision this process committed or heard of, is taken into account."""
        now = asyncio.get_running_loop().time()
        if self.value is not None and now - self.at <= fresh:
            return max(self.value, committed_here or 0)
        running = self._running
        if running is None or now - self._started > fresh:
            self._started = now
            running = self._running = asyncio.ensure_future(self._read(now))
            running.add_done_callback(self._done)
        revision = await asyncio.shield(running)
        return max(revision, committed_here or 0)

    async def _read(self, started: float) -> int:
        self.reads += 1
        revision = await self.read()
        self.saw(revision, started)
        return revision

    def _done(self, future: asyncio.Future[int]) -> None:
        if self._running is future:
            self._running = None
        if not future.cancelled():
            future.exception()  # retrieved: each waiter gets it raised


class Room:
    """The sockets of one board in this process, the channel that subscribes them all to
    the board's group, the board's shared snapshot reads and the revision it knows."""

    def __init__(self, hub: Hub, group: str) -> None:
        self.hub = hub
        self.group = group
        self.channel = ""
        # Insertion-ordered, each with the hub's ``era`` it joined in.
        self.sockets: dict[BoardSocket, int] = {}
        self.reads: dict[str, SharedRead] = {}
        self.known: KnownRevision | None = None  # set by the first socket that asks
        self.subscribed = asyncio.get_running_loop().create_future()
        # Joining sockets re-assert the membership through one shared command: a crowd
        # joining at once (their handshakes' reads end together) sent one ``group_add``
        # each at the same moment, more than the layer's connection pool holds, and the
        # sockets over its limit were closed with 1011 (MaxConnectionsError).
        self.reassert = SharedRead(self.renew)
        self._reader: asyncio.Future[None] | None = None
        self._filling = asyncio.Lock()  # one log read at a time for the room (``fill``)

    async def open(self) -> None:
        """Subscribe: a channel of the room's own joins the board's group."""
        layer = self.hub.layer
        try:
            # The layer's default prefix: channels-redis receives all of a process's channels
            # through one key per prefix, and a second prefix would starve one of them.
            self.channel = await layer.new_channel()
            await layer.group_add(self.group, self.channel)
        except BaseException as exc:
            self.subscribed.set_exception(exc)
            self.subscribed.exception()  # retrieved: each joiner gets it raised
            raise
        self._reader = asyncio.ensure_future(self._receive())
        self.subscribed.set_result(None)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        try:
            await self.hub.layer.group_discard(self.group, self.channel)
        except Exception:  # the membership expires by itself
            logger.warning("fan-out: could not leave %s", self.group, exc_info=True)

    async def renew(self) -> None:
        await self.hub.layer.group_add(self.group, self.channel)

    async def _receive(self) -> None:
        """Receive every event of the board for this process, in order, and deliver it."""
        while True:
            try:
                event = await self.hub.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # e.g. Redis restarting: retry (the hub re-joins the group)
                logger.warning("fan-out: receive on %s failed; retrying", self.group, exc_info=True)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            for one in realtime.unbundled(event):  # a busy board's events come in bundles
                await self.deliver(one)

    async def deliver(self, event: dict[str, Any]) -> None:
        encode = self.hub.encode
        assert encode is not None, "a room is joined by board sockets, which give it"
        delivery = Delivery(event, encode)
        if event["type"] == realtime.APPLIED_EVENT:
            # Kept once per event for this process's catch-ups (remote batches included),
            # sharing the frame the sockets are sent, not once per socket.
            origin = (event["sender"], event.get("batch_id", ""))
            recent_batches.remember(event["board"], [event["batch"]], delivery, [origin])
            if self.known is not None:
                self.known.saw(event["revision"])
        for socket in list(self.sockets):
            try:
                await socket.board_event(event, delivery)
            except Exception:  # one broken socket must not starve the others
                logger.exception("fan-out: %s failed on a socket of %s", event["type"], self.group)

    def shared(self, name: str, read: Callable[[], Awaitable[Any]]) -> SharedRead:
        """The room's shared read called ``name`` (a snapshot)."""
        found = self.reads.get(name)
        if found is None:
            found = self.reads[name] = SharedRead(read)
        return found

    async def revision(self, board_id: Any, read: Callable[[], Awaitable[int]]) -> int:
        """The board's committed revision for a ``pong``: what the room knows if it is at
        most ``PONG_FRESH_SECONDS`` old (with this process's own latest commit), else one
        read for everyone asking meanwhile."""
        if self.known is None:
            self.known = KnownRevision(read)
        return await self.known.get(PONG_FRESH_SECONDS, recent_batches.latest(board_id))

    async def fill(
        self,
        board_id: Any,
        after: int,
        upto: int,
        read: Callable[[int, int], Awaitable[list[tuple[dict[str, Any], str]]]],
    ) -> list[recent_batches.Kept] | None:
        """Every batch ``after < revision <= upto``, from this process's recent batches or
        else from one log read for the whole room: sockets missing the same batches (a
        crowd that lost a broadcast and pings) wait for the first one's read and take
        what it kept. None when the log does not hold them all (trimmed: a snapshot)."""
        async with self._filling:
            kept = recent_batches.between(board_id, after, upto)
            if kept is not None:
                return kept
            logged = await read(after, upto)
            if len(logged) != upto - after:
                return None
            recent_batches.remember(
                board_id, [batch for batch, _ in logged], None, [("", bid) for _, bid in logged]
            )
            return recent_batches.between(board_id, after, upto)


class Hub:
    """This process's (this event loop's) rooms, one per board with sockets here."""

    def __init__(self, layer: Any, encode: Callable[[dict[str, Any]], str] | None) -> None:
        self.layer = layer
        # How board events become client frames: given by the first board socket (a hub a
        # guest socket started has none until then; only rooms use it).
        self.encode: Callable[[dict[str, Any]], str] | None = encode
        self.rooms: dict[str, Room] = {}
        # Guests' share sockets, members of their groups themselves, with the era they
        # joined in: renewed and told about a lost broker like a room's sockets.
        self.guests: dict[GuestSocket, int] = {}
        self._handshakes: dict[str, BatchedRead] = {}  # per board group, while sockets arrive
        self.memory = BrokerMemory(layer)
        # Counts the times the broker was found to have forgotten this process's groups:
        # a socket that joined in an earlier era may have missed events.
        self.era = 0
        self._asked = False  # whether the broker was asked once (the first answer sets it)
        # One question at a time, shared by the sockets joining meanwhile.
        self._memory_check = SharedRead(self._ask_memory)
        self._renewal_due = False  # a pass over every room must succeed (keeper)
        self._keeper: asyncio.Future[None] | None = None

    async def _arrive(self) -> None:
        # A socket joining after the broker lost everything finds out here, so it is never
        # taken for one that missed events (it catches up by itself when it syncs). The
        # first answer only sets the key, before the keeper may ask too.
        if self.memory.key:
            await self._memory_check.get()
        if self._keeper is None:
            self._keeper = asyncio.ensure_future(self._keep_memberships())

    async def attend(self, guest: GuestSocket) -> None:
        """Keep a guest socket's own group memberships (it has joined them already) as the
        rooms' are kept: renewed with them, and when the broker forgot every group the
        socket is told (``missed_events``) exactly like the sockets of a room."""
        await self._arrive()
        self.guests[guest] = self.era

    def depart(self, guest: GuestSocket) -> None:
        self.guests.pop(guest, None)

    async def join(self, group: str, socket: BoardSocket) -> Room:
        """Add ``socket`` to ``group``'s room, subscribing the process first if needed.
        When this returns, every event sent to the group from now on reaches the socket."""
        await self._arrive()
        while True:
            room = self.rooms.get(group)
            if room is None:
                room = self.rooms[group] = Room(self, group)
                try:
                    await room.open()
                except BaseException:
                    if self.rooms.get(group) is room:
                        del self.rooms[group]
                    raise
            else:
                await asyncio.shield(room.subscribed)
                # A joining socket re-asserts the room's membership: after a broker restart
                # lost every group, the reconnecting sockets restore it at once instead of
                # waiting for the hub to notice (events sent meanwhile would reach nobody).
                # If that fails the socket does not join (it closes and its client comes
                # back), exactly as when a new room cannot subscribe. One command started
                # after the socket asked, shared with the sockets joining meanwhile.
                await room.reassert.get()
            if self.rooms.get(group) is room:  # not emptied and closed meanwhile
                break
        room.sockets[socket] = self.era
        return room

    async def read_at_handshake(
        self, group: str, key: Any, read: Callable[[set[Any]], Awaitable[Any]]
    ) -> Any:
        """``read`` of every key asked for meanwhile on ``group`` (a crowd's handshakes on
        one board: one read of everyone's role); returns that read's result."""
        batch = self._handshakes.get(group)
        if batch is None:
            batch = self._handshakes[group] = BatchedRead(read)
        try:
            return await batch.get(key)
        finally:
            if batch.idle() and self._handshakes.get(group) is batch:
                del self._handshakes[group]

    async def leave(self, group: str, socket: BoardSocket) -> None:
        room = self.rooms.get(group)
        if room is None or socket not in room.sockets:
            return
        del room.sockets[socket]
        if not room.sockets:
            del self.rooms[group]
            await room.close()

    def room(self, group: str) -> Room | None:
        return self.rooms.get(group)

    def close(self) -> None:
        """Stop keeping the memberships (the rooms themselves close with their sockets)."""
        if self._keeper is not None:
            self._keeper.cancel()

    async def _keep_memberships(self) -> None:
        """Keep every room in its board's group: renew them all every ``RENEW_SECONDS``,
        and at once when the broker forgot this process (restarted, flushed). A pass that
        fails (broker unreachable, a connection broken by the restart) is tried again
        every ``CHECK_SECONDS`` until one gets through every room."""
        loop = asyncio.get_running_loop()
        renewed = loop.time()
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            try:
                # Asked directly, not through the joins' shared question: awaited through
                # SharedRead, the keeper did not always end when its loop was closed
                # (tests/boardsocket/test_fanout_redis_restart.py hung in teardown).
                await self._ask_memory()
                if self._renewal_due or loop.time() - renewed >= RENEW_SECONDS:
                    self._renewal_due = True
                    await self.memory.keep()
                    for room in list(self.rooms.values()):
                        await room.renew()
                    for guest in list(self.guests):
                        for group in list(guest.groups_joined):
                            await self.layer.group_add(group, guest.channel_name)
                    self._renewal_due = False
                    renewed = loop.time()
            except Exception:
                logger.warning("fan-out: could not renew the rooms; retrying", exc_info=True)

    async def _ask_memory(self) -> None:
        """Ask the broker whether it still remembers this process. If it forgot, a new era
        starts: every room is to join its group again, and every socket that joined before
        has its client reconnect and catch up, since events meant for it may be lost."""
        forgotten = await self.memory.forgotten()
        first, self._asked = not self._asked, True
        if not forgotten or first:  # the first answer only set the key
            return
        self.era += 1
        self._renewal_due = True
        logger.warning("fan-out: the channel layer lost every group; joining them again")
        for room in list(self.rooms.values()):
            if room.known is not None:
                room.known.forget()  # events were lost: the next pong reads
            for socket, joined in list(room.sockets.items()):
                if joined < self.era:
                    try:
                        await socket.missed_events()
                    except Exception:
                        logger.exception("fan-out: a socket of %s could not resync", room.group)
        # Guests' sockets lost their memberships too (a revocation sent meanwhile among the
        # lost events): they reconnect, and their link is checked again, like members.
        for guest, joined in list(self.guests.items()):
            if joined < self.era:
                self.guests.pop(guest, None)
                try:
                    await guest.missed_events()
                except Exception:
                    logger.exception("fan-out: a guest socket could not resync")


class BrokerMemory:
    """Whether the channel layer's Redis forgot this process since it last asked: a key of
    the process's own is gone only if Redis lost its data (restarted without persistence,
    flushed) or the process stopped renewing it for ``ttl()`` seconds (its renewals failed
    that long: events were lost then too). It outlives a stopped process by at most that.
    Layers without a server (in memory) never forget."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.key = ""
        if isinstance(layer, RedisChannelLayer):
            self.key = f"{layer.prefix}:fanout:{layer.client_prefix}"

    @staticmethod
    def ttl() -> int:
        return max(60, int(3 * RENEW_SECONDS))

    async def forgotten(self) -> bool:
        """Whether the key was gone (it is set again): True on the very first call."""
        if not self.key:
            return False
        lost = False
        for index in range(self.layer.ring_size):  # every shard holds some of the groups
            connection = self.layer.connection(index)
            if await connection.set(self.key, 1, nx=True, ex=self.ttl()):
                lost = True
        return lost

    async def keep(self) -> None:
        """Push the key's expiry back (with every renewal of the rooms)."""
        if self.key:
            for index in range(self.layer.ring_size):
                await self.layer.connection(index).expire(self.key, self.ttl())


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, Hub]] = (
    weakref.WeakKeyDictionary()
)


def hub(encode: Callable[[dict[str, Any]], str] | None = None) -> Hub | None:
    """The running loop's hub for the default channel layer (None without a layer).
    ``encode`` makes board events client frames; board sockets give it, guests need none."""
    layer = get_channel_layer()
    if layer is None:
        return None
    per_loop = _hubs.setdefault(asyncio.get_running_loop(), {})
    found = per_loop.get(id(layer))
    if found is None or found.layer is not layer:
        found = per_loop[id(layer)] = Hub(layer, encode)
    elif encode is not None and found.encode is None:
        found.encode = encode
    return found


def socket_counts() -> dict[str, int]:
    """This process's open board sockets (in rooms) and guests' share sockets (/metrics)."""
    for _ in range(3):  # read from another thread: a hub that changed meanwhile, read again
        with suppress(RuntimeError):
            hubs = [h for per_loop in list(_hubs.values()) for h in list(per_loop.values())]
            board = sum(len(room.sockets) for h in hubs for room in list(h.rooms.values()))
            return {"board": board, "guest": sum(len(h.guests) for h in hubs)}
    return {"board": 0, "guest": 0}
