"""The board websocket: parse a message, check the caller's role, call one domain function.

One ``BoardConsumer`` per open board tab. The role is read on connect and every message is
checked against it (roles change while sockets stay open: canvas.boardsocket.role_cache says
when to read it again) for the permission each handler declares where it is registered
(``@handles(...)`` of canvas.boardsocket.routes); decoding, the message budget and error
replies are canvas.sockets'. Batches go to the board writer (canvas.boardsocket.writer), which
applies them in order off the event loop, several per transaction; the socket reads its next
message meanwhile, and its answers (``ack`` or error) go out in the order it sent the
batches (``_acknowledge``; ``sync`` and ``ping`` wait for them). The consumer also keeps
each client's stream of revisions gapless and in order: live ``applied`` batches and the
sender's own ``ack`` arrive strictly by revision, filling any gap from the batches this
process committed or heard of lately (canvas.recent_batches) or else the operation log. It
holds no board state beyond that revision counter and must not change items itself
(canvas.boards.operations does). Live board events reach it from the process's fan-out
(canvas.boardsocket.fanout: one channel-layer subscription per board per process, frames
encoded once), not through a channel-layer group of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, cast

from channels.db import database_sync_to_async

from canvas import protocol, realtime, recent_batches
from canvas.boards import documents
from canvas.boards.operations import BatchRequest, BatchResult
from canvas.boardsocket import fanout, role_cache, writer
from canvas.boardsocket.routes import board_routes, handles
from canvas.models import Role
from canvas.permissions import MIN_ROLE, Perm, board_roles, get_board_for, role_allows
from canvas.protocol import limits
from canvas.protocol.catalog import BOARD_SERVER
from canvas.sockets import ProtocolConsumer, Route, encode
from foundation.errors import BoardNotFound, Forbidden

logger = logging.getLogger(__name__)

CLOSE_NOT_LOGGED_IN = limits.CLOSE_NOT_LOGGED_IN
CLOSE_NO_ACCESS = limits.CLOSE_NO_ACCESS
# RFC 6455 "service restart": the client reconnects and syncs, as after any other close.
CLOSE_RECONNECT = 1012
# How long a socket waits for committed batches to reach this process before it reads them
# from the log (a lost event: a full channel, a broker restart). Half the client's
# unacknowledged-batch rule (limits.UNACKED_SYNC_MS), so the client does not give up first.
ARRIVAL_WAIT_S = 1.0


@dataclass
class _Pending:
    """One of this socket's batches on the board's writer, not acknowledged yet."""

    batch_id: str
    future: asyncio.Future[BatchResult]
    acked: bool = False


class BoardConsumer(ProtocolConsumer):
    routes = board_routes
    server_messages = BOARD_SERVER
    board: Any = None
    role: Role | None = None  # the role the client was last welcomed with
    cached_role: role_cache.CachedRole  # the role messages are checked against
    revision: int | None = None  # the last revision this client has been sent; None before sync
    sharing_presence = False  # whether others currently see this socket's cursor
    group: str | None = None  # the board group, while joined
    hub: fanout.Hub | None = None  # this process's fan-out, which feeds board events in order
    room: fanout.Room | None = None  # the board's room in it (and its shared reads)

    async def connect(self) -> None:
        # Accept first so the browser sees our close code instead of a failed handshake.
        await self.accept()
        realtime.bind_server_loop()  # sends from worker threads are handed to this loop
        self.cached_role = role_cache.CachedRole()
        self.user = self.scope.get("user")
        if not getattr(self.user, "is_authenticated", False):
            await self.close(code=CLOSE_NOT_LOGGED_IN)
            return
        try:
            board_id = str(uuid.UUID(str(self.scope["url_route"]["kwargs"]["board_id"])))
            self.board, self.role = await self._first_access(board_id)
        except (ValueError, BoardNotFound):  # malformed, unknown and forbidden look the same
            await self.close(code=CLOSE_NO_ACCESS)
            return
        self.start_guard(f"board {self.board.pk} user {self.user.pk}")
        self._lane = asyncio.Lock()  # held while this socket's revisions need the database
        self._backlog: deque[tuple[dict[str, Any], fanout.Delivery]] = deque()
        self._flusher: asyncio.Future[None] | None = None
        self._pending: deque[_Pending] = deque()  # batches on the writer, in the order sent
        self._acker: asyncio.Future[None] | None = None
        self.group = realtime.board_group(self.board.pk)
        self.hub = fanout.hub(encode_event)
        if self.hub is not None:
            self.room = await self.hub.join(self.group, self)
        await self._welcome(self.role, self.board.revision)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # A channel-layer error (Redis restarting) ends the consumer without a
            # websocket.disconnect: leave the room all the same, or it would keep a dead
            # socket and hand it every event of the board for the rest of the process.
            try:
                await self._leave()
            except Exception:
                logger.warning("%s: could not leave", self.scope.get("path"), exc_info=True)

    async def disconnect(self, code: int) -> None:
        await self._leave()

    async def missed_events(self) -> None:
        """The channel layer lost events meant for this socket (canvas fan-out, Redis
        forgot every group): close, so the client reconnects and catches up."""
        await self._leave()
        await self.close(code=CLOSE_RECONNECT)

    def ready(self) -> bool:
        return self.board is not None

    async def authorize(self, route: Route) -> bool:
        role = self.cached_role.role
        if role is None or not self.cached_role.fresh():
            try:
                _, role = await self._check_access()
            except BoardNotFound:
                await self._refuse()
                return False
        if not role_allows(role, route.perm):
            needed = MIN_ROLE[route.perm].label.lower()
            article = "an" if needed[0] in "aeiou" else "a"
            raise Forbidden(
                f"You are a {role.label.lower()} on this board; ask an owner to make you "
                f"{article} {needed} to {route.doing}."
            )
        return True

    # --- Board events (the fan-out hands them over in order) -----------------------------

    async def board_event(self, event: dict[str, Any], delivery: fanout.Delivery) -> None:
        """One board event, straight from the process's fan-out.

        The common case (the next revision, a job or presence message) is sent at once with
        the frame built once for every socket, without any database work or task switch.
        Anything that needs the database (a revision gap to fill, an access change to
        check) and everything after it waits in this socket's backlog, which a task of
        its own works off in order; the same backlog holds events while a sync reply or an
        ``ops`` acknowledgement is being prepared.
        """
        if self.group is None:
            return
        if self._backlog or self._lane.locked():
            self._backlog.append((event, delivery))
            return
        kind = event["type"]
        if kind == realtime.APPLIED_EVENT:
            if event["sender"] == self.channel_name or self.revision is None:
                return  # own batches are acked; before sync the catch-up will include it
            if event["revision"] <= self.revision:
                return
            if event["revision"] == self.revision + 1:
                self.revision = event["revision"]
                await self.send_frame(delivery(), delivery.wire())
                return
        elif kind == realtime.PRESENCE_EVENT:
            if event["sender"] != self.channel_name:
                await self.send_frame(delivery(), delivery.wire())
            return
        elif kind == realtime.PERSONAL_EVENT:  # an export's progress: its requester only
            if event["user"] == self.user.pk:
                await self.send_frame(delivery(), delivery.wire())
            return
        elif kind != realtime.ACCESS_EVENT:  # job and review messages: relayed as they are
            await self.send_frame(delivery(), delivery.wire())
            return
        self._backlog.append((event, delivery))
        self._flush_soon()

    @contextlib.asynccontextmanager
    async def in_order(self) -> AsyncIterator[None]:
        """Hold this socket's live events back while a reply that moves its revision is
        prepared and sent; they follow it in order."""
        try:
            async with self._lane:
                yield
        finally:
            self._flush_soon()

    def _flush_soon(self) -> None:
        if self._backlog and (self._flusher is None or self._flusher.done()):
            self._flusher = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        async with self._lane:
            while self._backlog and self.group is not None:
                event, delivery = self._backlog.popleft()
                try:
                    await self._event_in_order(event, delivery)
                except Exception:
                    logger.exception("%s: %s event failed", self.bad_input.who, event["type"])

    async def _event_in_order(self, event: dict[str, Any], delivery: fanout.Delivery) -> None:
        kind = event["type"]
        if kind == realtime.APPLIED_EVENT:
            if event["sender"] == self.channel_name or self.revision is None:
                return
            await self._deliver_up_to(event["revision"] - 1)
            if event["revision"] > self.revision:
                await self.send_frame(delivery(), delivery.wire())
                self.revision = event["revision"]
        elif kind == realtime.ACCESS_EVENT:
            # Someone's role on this board changed. If it was ours and it is gone, leave now;
            # if it went up or down, welcome the client again with the new role, so an open
            # canvas turns read-only (or editable) at once instead of at its next reconnect.
            try:
                board, role = await self._access_after_change(delivery)
            except BoardNotFound:
                await self._refuse()
                return
            if role != self.role:
                self.role = role
                await self._welcome(role, board.revision)
        elif kind == realtime.PERSONAL_EVENT:
            if event["user"] == self.user.pk:
                await self.send_frame(delivery(), delivery.wire())
        elif kind != realtime.PRESENCE_EVENT or event["sender"] != self.channel_name:
            await self.send_frame(delivery(), delivery.wire())

    # --- Batches: queued on the writer, acknowledged in order ------------------------------

    def submit_batch(self, request: BatchRequest) -> None:
        """Queue a batch on the board's writer and return at once: the socket goes on to its
        next message while the batch is applied, so a run of the writer can carry several
        batches of each socket (one at a time capped a run at one batch per socket, and a
        board at sockets ÷ transaction time). ``_acknowledge`` answers them in order."""
        self._pending.append(_Pending(request.batch_id, writer.submit(self.board.pk, request)))
        if self._acker is None or self._acker.done():
            self._acker = asyncio.ensure_future(self._acknowledge())

    async def acknowledged(self) -> None:
        """Wait until every batch sent so far is acknowledged or refused (a ``sync`` or
        ``pong`` reply never overtakes an earlier batch's answer)."""
        while self._acker is not None and not self._acker.done():
            await asyncio.shield(self._acker)

    async def _acknowledge(self) -> None:
        """Answer this socket's batches in the order it sent them: each refused one with its
        error, each applied one with its ``ack`` after every earlier revision (the same
        revision order as the live stream; an own batch met on the way is acknowledged
        there, ``_ack_own``)."""
        while self._pending and self.group is not None:
            pending = self._pending[0]
            try:
                result = await pending.future
            except Exception as exc:
                self._pending.popleft()
                await self.reply_error(exc, "ops", pending.batch_id)
                continue
            try:
                async with self.in_order():
                    await self._deliver_up_to(result.revision - 1)
                    self._pending.popleft()
                    if not pending.acked:
                        await self._send_ack(pending, result.revision)
            except Exception:
                logger.exception("%s: batch %s not acknowledged", self.bad_input.who, pending)
                if self._pending and self._pending[0] is pending:
                    self._pending.popleft()

    async def _send_ack(self, pending: _Pending, revision: int) -> None:
        pending.acked = True
        if self.revision is not None:
            self.revision = max(self.revision, revision)
        await self.send_json(protocol.ack(pending.batch_id, revision))

    async def _ack_own(self, batch_id: str, revision: int) -> None:
        """One of this socket's own batches, reached while catching up to a later revision
        before its turn in ``_acknowledge``: the client gets its ``ack`` here, in order."""
        for pending in self._pending:
            if pending.batch_id == batch_id and not pending.acked:
                await self._send_ack(pending, revision)
                return

    def _own(self, batch_id: str) -> bool:
        return bool(batch_id) and any(p.batch_id == batch_id and not p.acked for p in self._pending)

    # --- Helpers -------------------------------------------------------------------------

    async def send_sync_reply(self, reply: protocol.Wire | None) -> None:
        """Send a catch-up or a snapshot without exceeding the websocket message cap.

        ``None`` (the log does not reach back) and a catch-up too large for one message are
        answered with a snapshot, sent in parts and shared with every socket of the board
        that asks at the same time. Either way the client ends at the reply's revision.
        """
        if reply is not None and not (
            reply["type"] == "catchup" and protocol.encoded_size(reply) > limits.MAX_OUTGOING_BYTES
        ):
            await self.send_json(reply)
            self.revision = reply["revision"]
            return
        revision, frames = await self._snapshot_frames()
        for text in frames:
            await self.send_frame(text)
        self.revision = revision

    async def _snapshot_frames(self) -> tuple[int, list[str]]:
        return cast(tuple[int, list[str]], await self._shared("snapshot", snapshot_frames))

    async def current_revision(self) -> int:
        """The board's committed revision for a ``pong``: the one its room knows, unless
        that is older than ``fanout.PONG_FRESH_SECONDS`` (then read once for the room)."""
        board = self.board

        async def read() -> int:
            return cast(int, await database_sync_to_async(documents.current_revision)(board))

        if self.room is None:
            return await read()
        return await self.room.revision(board.pk, read)

    async def _shared(self, name: str, read: Callable[[Any], Any]) -> Any:
        board = self.board

        async def run() -> Any:
            return await database_sync_to_async(read)(board)

        if self.room is None:
            return await run()
        return await self.room.shared(name, run).get()

    async def _welcome(self, role: Role, revision: int) -> None:
        """The handshake message; sent again whenever this user's role changes while open."""
        await self.send_json(
            protocol.welcome(
                board_id=str(self.board.pk),
                board_name=self.board.name,
                user=documents.actor_ref(self.user),
                role=role.value,
                can_edit=role_allows(role, Perm.EDIT),
                revision=revision,
            )
        )

    async def _check_access(self) -> tuple[Any, Role]:
        """Read the board and the caller's role (BoardNotFound: none) and cache the role."""
        self.cached_role.forget()
        generation = role_cache.generation()  # before the read: a change meanwhile re-reads
        board_id = self.board.pk if self.board else self.scope["url_route"]["kwargs"]["board_id"]
        board, role = await database_sync_to_async(get_board_for)(self.user, board_id, Perm.VIEW)
        self.cached_role.store(role, generation)
        return board, role

    async def _first_access(self, board_id: str) -> tuple[Any, Role]:
        """The board and the caller's role at the handshake (BoardNotFound: none), read
        together with those of every socket arriving on the board meanwhile: a crowd
        opening a board costs three queries per read on the one database thread, not
        three per socket (``fanout.Hub.read_at_handshake``). The role is cached."""
        hub = fanout.hub(encode_event)
        if hub is None:
            return await self._check_access()
        generation = role_cache.generation()  # before the read: a change meanwhile re-reads

        async def read(users: set[Any]) -> tuple[Any, dict[Any, Role]]:
            return await database_sync_to_async(board_roles)(board_id, users)

        group = realtime.board_group(board_id)
        board, roles = await hub.read_at_handshake(group, self.user.pk, read)
        role = roles.get(self.user.pk) if board is not None else None
        if role is None:
            raise BoardNotFound()
        self.cached_role.store(role, generation)
        return board, role

    async def _access_after_change(self, delivery: fanout.Delivery) -> tuple[Any, Role]:
        """The board and this socket's role after an access change, read once for every
        socket of the room (a role change on a board with 1,000 viewers is three queries,
        not three thousand) and kept as each socket's cached role."""
        room = self.room
        if room is None:
            return await self._check_access()
        board_id = self.board.pk

        async def read_room() -> tuple[int, Any, set[Any], dict[Any, Role]]:
            # Before the read: an access change committed meanwhile makes it stale.
            generation = role_cache.generation()
            users = {socket.user.pk for socket in cast(Any, room.sockets)}
            board, roles = await database_sync_to_async(board_roles)(board_id, users)
            return generation, board, users, roles

        generation, board, users, roles = await delivery.once("access", read_room)
        if self.user.pk not in users:  # joined the room after the read started
            return await self._check_access()
        role = roles.get(self.user.pk)
        if board is None or role is None:
            raise BoardNotFound()
        self.cached_role.store(role, generation)
        return board, role

    async def _deliver_up_to(self, target: int, *, wait: bool = True) -> None:
        """Send every batch this client has not seen up to ``target``: from the batches
        this process keeps (each encoded once for all sockets), else from the log. With
        ``wait``, batches not kept yet are first given ``ARRIVAL_WAIT_S`` to arrive."""
        if self.revision is None or target <= self.revision:
            return
        board_id = self.board.pk
        kept = recent_batches.between(board_id, self.revision, target)
        # Committed, so their events are on the way to this process's room (from another
        # process they cross the channel layer): waiting costs less than a log read.
        if (
            kept is None
            and wait
            and self.room is not None
            and await recent_batches.wait_for(board_id, self.revision, target, ARRIVAL_WAIT_S)
        ):
            kept = recent_batches.between(board_id, self.revision, target)
        if (
            kept is None
            and self.room is not None
            and target - self.revision <= recent_batches.KEEP_PER_BOARD
        ):
            board = self.board

            async def read(after: int, upto: int) -> list[tuple[protocol.Wire, str]]:
                return await database_sync_to_async(documents.logged_batches_between)(
                    board, after, upto
                )

            # One log read for every socket of the room missing the same batches.
            kept = await self.room.fill(board_id, self.revision, target, read)
            if kept is None:  # the log was trimmed: the client needs a snapshot
                await self.send_sync_reply(None)
                return
        if kept is not None:
            for entry in kept:
                if self._sent_by_me(entry):  # acknowledged, never sent back
                    await self._ack_own(entry.batch_id, entry.batch["revision"])
                else:
                    await self.send_frame(entry.frame(encode_batch))
            self.revision = max(self.revision, target)
            return
        logged = await database_sync_to_async(documents.logged_batches_between)(
            self.board, self.revision, target
        )
        if len(logged) != target - self.revision:  # the log was trimmed under us
            await self.send_sync_reply(None)
            return
        for batch, batch_id in logged:
            actor = batch.get("actor") or {}
            if actor.get("id") == self.user.pk and self._own(batch_id):
                await self._ack_own(batch_id, batch["revision"])
            else:
                await self.send_json(protocol.applied(batch))
        self.revision = max(self.revision, target)

    def _sent_by_me(self, entry: recent_batches.Kept) -> bool:
        """Whether a kept batch is one of this socket's own (kept from the log, it names
        no sending socket: its actor and an unacknowledged ``batch_id`` of ours say so)."""
        if entry.sender:
            return entry.sender == self.channel_name
        actor = entry.batch.get("actor") or {}
        return actor.get("id") == self.user.pk and self._own(entry.batch_id)

    async def _refuse(self) -> None:
        """Access was removed while connected: say so, stop receiving, close 4403."""
        await self._leave()
        await self.send_json(
            protocol.error("forbidden", "You no longer have access to this board.")
        )
        await self.close(code=CLOSE_NO_ACCESS)

    async def _leave(self) -> None:
        if self.board is not None and self.group:
            group, self.group = self.group, None  # from now on no event reaches this socket
            self._backlog.clear()
            if self._acker is not None:
                self._acker.cancel()
            for pending in self._pending:
                pending.future.cancel()  # the writer still applies it; nobody waits for it
            self._pending.clear()
            if self.hub is not None:
                await self.hub.leave(group, self)
            if self.sharing_presence:
                await realtime.send_presence_now(
                    self.board.pk, protocol.presence_leave(self.user.pk), self.channel_name
                )


def encode_batch(batch: protocol.Wire) -> str:
    return encode(BOARD_SERVER, protocol.applied(batch))


def encode_event(event: dict[str, Any]) -> str:
    """The client frame of a board event, encoded once for every socket (by the fan-out)."""
    if event["type"] == realtime.APPLIED_EVENT:
        return encode_batch(event["batch"])
    return encode(BOARD_SERVER, event["message"])  # job, review and presence messages


def snapshot_frames(board: Any) -> tuple[int, list[str]]:
    """The board's snapshot as the text of its parts (read and encoded once, then shared)."""
    reply = documents.snapshot(board)
    parts = protocol.snapshot_parts(reply["revision"], reply["items"])
    return reply["revision"], [encode(BOARD_SERVER, part) for part in parts]


# --- Message handlers ------------------------------------------------------------------------


@handles("sync", perm=Perm.VIEW)
async def handle_sync(consumer: BoardConsumer, message: protocol.SyncMessage) -> None:
    await consumer.acknowledged()
    async with consumer.in_order():
        reply = None
        if message.since is not None:
            reply = await database_sync_to_async(documents.catchup)(consumer.board, message.since)
        await consumer.send_sync_reply(reply)


@handles("ops", perm=Perm.EDIT, doing="change it")
async def handle_ops(consumer: BoardConsumer, message: protocol.OpsMessage) -> None:
    consumer.submit_batch(
        BatchRequest(consumer.user, message.operations(), consumer.channel_name, message.batch_id)
    )


@handles("presence", perm=Perm.VIEW)
async def handle_presence(consumer: BoardConsumer, message: protocol.PresenceInMessage) -> None:
    user = consumer.user
    if message.hidden:
        if not consumer.sharing_presence:
            return  # already invisible to others: nothing to retract
        out: Any = protocol.presence_leave(user.pk)
    else:
        out = protocol.presence(
            documents.actor_ref(user),
            realtime.presence_color(user.pk),
            message.cursor.wire() if message.cursor else None,
            message.selection,
        )
    consumer.sharing_presence = not message.hidden
    await realtime.send_presence_now(consumer.board.pk, out, consumer.channel_name)


@handles("ping", perm=Perm.VIEW)
async def handle_ping(consumer: BoardConsumer, message: protocol.PingMessage) -> None:
    """Answer with the board's revision (docs/protocol.md "Staying in step").

    A broadcast this socket never got (a channel layer drops messages for a full queue)
    leaves it behind with nothing to tell it: the batches up to the board's revision are
    sent first (kept by this process, else read from the log once for the whole room), so
    after a silence ping the client is level one round trip later. The revision is the one
    the board's room knows (canvas.boardsocket.fanout, ``PONG_FRESH_SECONDS``): a crowd
    pinging after a silence costs one read, not one per socket. A client still below the
    pong's revision (it dropped something itself) asks for catch-up with ``sync``.
    """
    # The board's group membership is the process's and renewed by canvas.boardsocket.fanout.
    await consumer.acknowledged()
    async with consumer.in_order():
        revision = await consumer.current_revision()
        # No waiting here: a ping is how a client finds a broadcast that never came.
        await consumer._deliver_up_to(revision, wait=False)
        await consumer.send_json(protocol.pong(revision))
