"""The board websocket: parse a message, check the caller's role, call one domain function.

One ``BoardConsumer`` per open board tab. The role is checked on connect and again on every
message (roles change while sockets stay open). The consumer also keeps each client's
stream of revisions gapless and in order: live ``applied`` batches and the sender's own
``ack`` arrive strictly by revision, filling any gap from the operation log. It holds no
board state beyond that revision counter and must not change items itself
(canvas.services.operations does).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from anchorboard.errors import AppError, BoardNotFound, Forbidden
from canvas import protocol, realtime
from canvas.models import Role
from canvas.permissions import Perm, get_board_for, role_allows
from canvas.services import documents
from canvas.services.operations import apply_batch

logger = logging.getLogger(__name__)

CLOSE_NOT_LOGGED_IN = 4401
CLOSE_NO_ACCESS = 4403
RATE_LIMITED = "Too many messages at once; that one was not applied. Wait a moment and retry."

Handler = Callable[["BoardConsumer", Any, Role], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}


def handles(message_type: str) -> Callable[[Handler], Handler]:
    """Register the handler for one client message type (see canvas.protocol)."""

    def register(fn: Handler) -> Handler:
        HANDLERS[message_type] = fn
        return fn

    return register


class BoardConsumer(AsyncWebsocketConsumer):
    board: Any = None
    revision: int | None = None  # the last revision this client has been sent; None before sync
    sharing_presence = False  # whether others currently see this socket's cursor
    group: str | None = None  # the board group, while joined

    async def connect(self) -> None:
        # Accept first so the browser sees our close code instead of a failed handshake.
        await self.accept()
        self.user = self.scope.get("user")
        if not getattr(self.user, "is_authenticated", False):
            await self.close(code=CLOSE_NOT_LOGGED_IN)
            return
        try:
            self.board, role = await self._check_access()
        except BoardNotFound:  # unknown and forbidden boards look the same
            await self.close(code=CLOSE_NO_ACCESS)
            return
        self.budget = realtime.MessageBudget()
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

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.board is None:
            return
        try:
            message = protocol.parse_client_message(
                text_data if text_data is not None else bytes_data
            )
        except protocol.ProtocolError as exc:
            logger.info("board %s: %s from user %s", self.board.pk, exc.code, self.user.pk)
            await self.send_json(
                protocol.error(exc.code, exc.message, exc.batch_id, exc.request_id)
            )
            return
        batch_id = message["batch_id"] if message["type"] == "ops" else None
        # Job requests carry a client-made request_id (canvas.protocol) echoed in errors.
        raw_request_id = message.get("request_id")
        request_id = raw_request_id if isinstance(raw_request_id, str) else None
        if not self.budget.take():
            await self.send_json(protocol.error("rate_limited", RATE_LIMITED, batch_id, request_id))
            return
        try:
            _, role = await self._check_access()
            await HANDLERS[message["type"]](self, message, role)
        except BoardNotFound:
            await self._refuse()
        except AppError as exc:
            logger.info("board %s: %s from user %s", self.board.pk, exc.code, self.user.pk)
            await self.send_json(protocol.error(exc.code, exc.message, batch_id, request_id))
        except Exception:
            logger.exception("board %s: %s message failed", self.board.pk, message["type"])
            await self.send_json(
                protocol.error(
                    "server_error",
                    "Something went wrong on the server; that change was not saved. Try again.",
                    batch_id,
                    request_id,
                )
            )

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

    async def send_json(self, message: Any) -> None:
        await self.send(text_data=json.dumps(message, separators=(",", ":")))

    async def send_sync_reply(
        self, reply: protocol.CatchupMessage | protocol.SnapshotMessage
    ) -> None:
        """Send a catch-up or a snapshot without exceeding the websocket message cap.

        A catch-up too large for one message is replaced by a snapshot; a snapshot is sent
        in parts. Either way the client ends at ``reply["revision"]``.
        """
        if reply["type"] == "catchup" and (
            protocol.encoded_size(reply) > protocol.MAX_OUTGOING_BYTES
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


@handles("sync")
async def handle_sync(consumer: BoardConsumer, message: protocol.SyncMessage, role: Role) -> None:
    reply = await database_sync_to_async(documents.sync_reply)(consumer.board, message["since"])
    await consumer.send_sync_reply(reply)


@handles("ops")
async def handle_ops(consumer: BoardConsumer, message: protocol.OpsMessage, role: Role) -> None:
    if not role_allows(role, Perm.EDIT):
        raise Forbidden(
            f"You are a {role.label.lower()} on this board; ask an owner to make you an "
            "editor to change it."
        )
    revision, _ = await database_sync_to_async(apply_batch)(
        consumer.board.pk,
        consumer.user,
        message["ops"],
        sender_channel=consumer.channel_name,
        batch_id=message["batch_id"],
    )
    await consumer._deliver_up_to(revision - 1)
    if consumer.revision is not None:
        consumer.revision = max(consumer.revision, revision)
    await consumer.send_json(protocol.ack(message["batch_id"], revision))


@handles("presence")
async def handle_presence(
    consumer: BoardConsumer, message: protocol.PresenceInMessage, role: Role
) -> None:
    user = consumer.user
    if message["hidden"]:
        if not consumer.sharing_presence:
            return  # already invisible to others: nothing to retract
        out: Any = protocol.presence_leave(user.pk)
    else:
        out = protocol.presence(
            documents.actor_ref(user),
            realtime.presence_color(user.pk),
            message["cursor"],
            message["selection"],
        )
    consumer.sharing_presence = not message["hidden"]
    await realtime.send_presence_now(consumer.board.pk, out, consumer.channel_name)


@handles("ping")
async def handle_ping(consumer: BoardConsumer, message: protocol.PingMessage, role: Role) -> None:
    # Channel layers forget group members after a day (group_expiry); boards stay open in a
    # tab for days, so the client's keep-alive ping also renews the membership.
    if consumer.group:
        await consumer.channel_layer.group_add(consumer.group, consumer.channel_name)
    await consumer.send_json(protocol.pong())


# Job request handlers (job_submit, job_cancel, …) register themselves from their own module.
from canvas import job_requests  # noqa: E402, F401
