"""The board websocket: parse a message, check the caller's role, call one domain function.

One ``BoardConsumer`` per open board tab. The role is checked on connect and again on every
message (roles change while sockets stay open) against the permission each handler declares
where it is registered (``@board_routes.handles(...)``); decoding, the message budget and
error replies are canvas.sockets'. The consumer also keeps each client's
stream of revisions gapless and in order: live ``applied`` batches and the sender's own
``ack`` arrive strictly by revision, filling any gap from the operation log. It holds no
board state beyond that revision counter and must not change items itself
(canvas.services.operations does).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from channels.db import database_sync_to_async

from canvas import protocol, realtime
from canvas.models import Role
from canvas.permissions import MIN_ROLE, Perm, get_board_for, role_allows
from canvas.protocol import limits
from canvas.protocol.catalog import BOARD_CLIENT_MESSAGES, BOARD_SERVER
from canvas.services import documents
from canvas.services.operations import apply_batch
from canvas.sockets import ProtocolConsumer, Route, Routes
from foundation.errors import BoardNotFound, Forbidden

logger = logging.getLogger(__name__)

CLOSE_NOT_LOGGED_IN = limits.CLOSE_NOT_LOGGED_IN
CLOSE_NO_ACCESS = limits.CLOSE_NO_ACCESS

board_routes = Routes(BOARD_CLIENT_MESSAGES)
handles = board_routes.handles


class BoardConsumer(ProtocolConsumer):
    routes = board_routes
    server_messages = BOARD_SERVER
    board: Any = None
    role: Role | None = None
    revision: int | None = None  # the last revision this client has been sent; None before sync
    sharing_presence = False  # whether others currently see this socket's cursor
    group: str | None = None  # the board group, while joined

    async def connect(self) -> None:
        # Accept first so the browser sees our close code instead of a failed handshake.
        await self.accept()
        realtime.bind_server_loop()  # sends from worker threads are handed to this loop
        self.user = self.scope.get("user")
        if not getattr(self.user, "is_authenticated", False):
            await self.close(code=CLOSE_NOT_LOGGED_IN)
            return
        try:
            uuid.UUID(str(self.scope["url_route"]["kwargs"]["board_id"]))
            self.board, role = await self._check_access()
        except (ValueError, BoardNotFound):  # malformed, unknown and forbidden look the same
            await self.close(code=CLOSE_NO_ACCESS)
            return
        self.start_guard(f"board {self.board.pk} user {self.user.pk}")
        self.group = realtime.board_group(self.board.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json(
            protocol.welcome(
                board_id=str(self.board.pk),
                board_name=self.board.name,
                user=documents.actor_ref(self.user),
                role=role.value,
                can_edit=role_allows(role, Perm.EDIT),
                revision=self.board.revision,
            )
        )

    async def disconnect(self, code: int) -> None:
        await self._leave()

    def ready(self) -> bool:
        return self.board is not None

    async def authorize(self, route: Route) -> bool:
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

    # --- Group events (sent by canvas.realtime) -----------------------------------------

    async def board_applied(self, event: dict[str, Any]) -> None:
        if event["sender"] == self.channel_name or self.revision is None:
            return  # own batches are acked; before sync the catch-up will include it
        await self._deliver_up_to(event["revision"] - 1)
        if event["revision"] > self.revision:
            await self.send_json(protocol.applied(event["batch"]))
            self.revision = event["revision"]

    async def board_access(self, event: dict[str, Any]) -> None:
        # Someone's role on this board changed: if it was ours and it is gone, leave now.
        try:
            await self._check_access()
        except BoardNotFound:
            await self._refuse()

    async def board_job(self, event: dict[str, Any]) -> None:
        # Job/iteration messages are built by canvas.jobs.progress; relayed as they are.
        await self.send_json(event["message"])

    async def board_presence(self, event: dict[str, Any]) -> None:
        if event["sender"] != self.channel_name:
            await self.send_json(event["message"])

    # --- Helpers -------------------------------------------------------------------------

    async def send_sync_reply(self, reply: protocol.Wire) -> None:
        """Send a catch-up or a snapshot without exceeding the websocket message cap.

        A catch-up too large for one message is replaced by a snapshot; a snapshot is sent
        in parts. Either way the client ends at ``reply["revision"]``.
        """
        if reply["type"] == "catchup" and (
            protocol.encoded_size(reply) > limits.MAX_OUTGOING_BYTES
        ):
            reply = await database_sync_to_async(documents.snapshot)(self.board)
        if reply["type"] == "snapshot":
            for part in protocol.snapshot_parts(reply["revision"], reply["items"]):
                await self.send_json(part)
        else:
            await self.send_json(reply)
        self.revision = reply["revision"]

    @database_sync_to_async
    def _check_access(self) -> tuple[Any, Role]:
        board_id = self.board.pk if self.board else self.scope["url_route"]["kwargs"]["board_id"]
        return get_board_for(self.user, board_id, Perm.VIEW)

    async def _deliver_up_to(self, target: int) -> None:
        """Send, from the log, every batch this client has not seen up to ``target``."""
        if self.revision is None or target <= self.revision:
            return
        batches = await database_sync_to_async(documents.batches_between)(
            self.board, self.revision, target
        )
        if len(batches) != target - self.revision:  # the log was trimmed under us
            reply = await database_sync_to_async(documents.snapshot)(self.board)
            await self.send_sync_reply(reply)
            return
        for batch in batches:
            await self.send_json(protocol.applied(batch))
        self.revision = target

    async def _refuse(self) -> None:
        """Access was removed while connected: say so, stop receiving, close 4403."""
        await self.send_json(
            protocol.error("forbidden", "You no longer have access to this board.")
        )
        await self._leave()
        await self.close(code=CLOSE_NO_ACCESS)

    async def _leave(self) -> None:
        if self.board is not None and self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            if self.sharing_presence:
                await realtime.send_presence_now(
                    self.board.pk, protocol.presence_leave(self.user.pk), self.channel_name
                )
            self.group = None


# --- Message handlers ------------------------------------------------------------------------


@handles("sync", perm=Perm.VIEW)
async def handle_sync(consumer: BoardConsumer, message: protocol.SyncMessage) -> None:
    reply = await database_sync_to_async(documents.sync_reply)(consumer.board, message.since)
    await consumer.send_sync_reply(reply)


@handles("ops", perm=Perm.EDIT, doing="change it")
async def handle_ops(consumer: BoardConsumer, message: protocol.OpsMessage) -> None:
    revision, _ = await database_sync_to_async(apply_batch)(
        consumer.board.pk,
        consumer.user,
        message.operations(),
        sender_channel=consumer.channel_name,
        batch_id=message.batch_id,
    )
    await consumer._deliver_up_to(revision - 1)
    if consumer.revision is not None:
        consumer.revision = max(consumer.revision, revision)
    await consumer.send_json(protocol.ack(message.batch_id, revision))


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
    # Channel layers forget group members after a day (group_expiry); boards stay open in a
    # tab for days, so the client's keep-alive ping also renews the membership.
    if consumer.group:
        await consumer.channel_layer.group_add(consumer.group, consumer.channel_name)
    await consumer.send_json(protocol.pong())


# Job request handlers (job_submit, job_cancel, …) register themselves from their own module.
from canvas import job_requests  # noqa: E402, F401
