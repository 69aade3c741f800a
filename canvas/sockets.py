"""The receive path shared by the board and the guest sockets: no message can crash it.

Every frame, well-formed or not, is decoded within bounds (canvas.protocol.codec), takes one
token from the socket's ``MessageBudget`` and gets an answer: ``rate_limited`` when over
budget, ``error`` when malformed, refused or failed, otherwise whatever its handler sends.
Handlers are registered per socket in a ``Routes`` table with the permission they need
(``@routes.handles("ops", perm=Perm.EDIT, doing="change it")``); the consumer checks that
permission before calling them, so a handler only does its one thing.

Client mistakes are logged at WARNING without tracebacks, at most one line per socket per
``BAD_INPUT_LOG_SECONDS`` plus a count of what was left out; only failures of our own code
are logged with a traceback. This module makes no permission decision itself
(canvas.permissions does) and builds no payloads (canvas.protocol does).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from pydantic import TypeAdapter, ValidationError

from canvas import protocol, realtime
from canvas.permissions import Perm
from canvas.protocol import codec
from canvas.protocol.types import ProtocolModel
from canvas.realtime import MessageBudget
from foundation import config, knobs
from foundation.errors import AppError
from foundation.websocket_frames import FRAME_WRITER_EXTENSION

logger = logging.getLogger(__name__)

BAD_INPUT_LOG_SECONDS = 60.0
RATE_LIMITED = "Too many messages at once; that one was not applied. Wait a moment and retry."
SERVER_ERROR = "Something went wrong on the server; that change was not saved. Try again."

Handler = Callable[[Any, Any], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    handler: Handler
    perm: Perm
    doing: str  # what the permission lets one do, for the refusal ("run jobs")


class Routes:
    """One socket's handlers by message type, each with the permission it needs."""

    def __init__(self, messages: Mapping[str, type[ProtocolModel]]) -> None:
        self.messages = messages
        self.table: dict[str, Route] = {}

    def handles(
        self, *types: str, perm: Perm, doing: str = "do that"
    ) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            for message_type in types:
                if message_type not in self.messages:
                    raise ValueError(f"{message_type!r} is not a message of this socket")
                self.table[message_type] = Route(fn, perm, doing)
            return fn

        return register

    def route(self, message_type: str) -> Route:
        return self.table[message_type]


class BadInputLog:
    """Log a socket's bad input at WARNING: the first, then at most one line every
    ``every`` seconds saying how many were not logged in between."""

    def __init__(
        self,
        who: str,
        every: float = BAD_INPUT_LOG_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.who = who
        self.every = every
        self.clock = clock
        self.last: float | None = None
        self.unlogged = 0
        self.total = 0

    def note(self, code: str, detail: str) -> None:
        self.total += 1
        now = self.clock()
        if self.last is not None and now - self.last < self.every:
            self.unlogged += 1
            return
        more = (
            f" ({self.unlogged} more bad messages since the last report)" if self.unlogged else ""
        )
        logger.warning("%s: %s: %s%s", self.who, code, codec.shown(detail, 200), more)
        self.last = now
        self.unlogged = 0


class ProtocolConsumer(AsyncWebsocketConsumer):
    """A socket that speaks canvas.protocol: subclasses set ``routes`` and ``server_messages``
    and implement ``ready`` and ``authorize``."""

    routes: Routes
    server_messages: TypeAdapter[Any]
    max_message_bytes = protocol.MAX_MESSAGE_BYTES
    dates_as_text = False
    budget: MessageBudget
    bad_input: BadInputLog

    def ready(self) -> bool:
        """Whether the socket was accepted and may receive messages."""
        raise NotImplementedError

    async def authorize(self, route: Route) -> bool:
        """Re-check the caller against ``route.perm``: False when the socket was closed,
        an AppError (e.g. Forbidden) when this message is refused."""
        raise NotImplementedError

    def start_guard(self, who: str) -> None:
        self.budget = MessageBudget()
        self.bad_input = BadInputLog(who)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.ready():
            return
        try:
            await self._receive(text_data)
        except Exception:  # never let a message close the socket with 1011
            logger.exception("%s: a message could not be handled", self.bad_input.who)
            await self.send_json(protocol.error("server_error", SERVER_ERROR))

    async def _receive(self, text: str | None) -> None:
        message: Any = None
        problem: protocol.ProtocolError | None = None
        try:
            message = codec.parse(text, self.routes.messages, max_bytes=self.max_message_bytes)
            batch_id = getattr(message, "batch_id", None)
            request_id = getattr(message, "request_id", None)
        except protocol.ProtocolError as exc:
            problem, batch_id, request_id = exc, exc.batch_id, exc.request_id
        if not self.budget.take():
            self.bad_input.note("rate_limited", "over the message budget")
            await self.send_json(protocol.error("rate_limited", RATE_LIMITED, batch_id, request_id))
            return
        if problem is not None:
            self.bad_input.note(problem.code, problem.message)
            await self.send_json(
                protocol.error(problem.code, problem.message, batch_id, request_id)
            )
            return
        route = self.routes.route(message.type)
        try:
            if await self.authorize(route):
                await route.handler(self, message)
        except Exception as exc:
            await self.reply_error(exc, message.type, batch_id, request_id)

    async def reply_error(
        self,
        exc: Exception,
        message_type: str,
        batch_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        """Answer a message that failed: an AppError with its own code and words, anything
        else as a server error (logged with its traceback)."""
        if isinstance(exc, AppError):
            logger.info("%s: %s (%s)", self.bad_input.who, exc.code, message_type)
            await self.send_json(protocol.error(exc.code, exc.message, batch_id, request_id))
            return
        logger.error("%s: %s message failed", self.bad_input.who, message_type, exc_info=exc)
        await self.send_json(protocol.error("server_error", SERVER_ERROR, batch_id, request_id))

    async def dispatch(self, message: Any) -> None:
        # Channels' own dispatch first closes stale database connections with a hop to the
        # one database thread, before every message and every channel-layer event; that queued
        # each of them behind the database. database_sync_to_async already does the same
        # around every query, so the hop only cost time.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def realtime_bundle(self, event: dict[str, Any]) -> None:
        """Several group events sent as one (canvas.realtime), handled in their order."""
        for inner in realtime.unbundled(event):
            await self.dispatch(inner)

    async def send_json(self, message: Any) -> None:
        await self.send(text_data=encode(self.server_messages, message, self.dates_as_text))

    async def send_frame(self, text: str, wire: tuple[bytes, int] | None = None) -> None:
        """Send a message already encoded (and checked) once for many sockets. ``wire``,
        the same message framed once for all of them with its payload size
        (foundation.websocket_frames), is written straight to the connection when the
        server offers that; otherwise, or when the writer declines, the text is sent."""
        if wire is not None:
            writer = self.scope.get("extensions", {}).get(FRAME_WRITER_EXTENSION)
            if writer is not None and writer(*wire):
                return
        await self.send(text_data=text)


def encode(adapter: TypeAdapter[Any], message: Any, dates_as_text: bool = False) -> str:
    """A server message as text, checked against the protocol when the setting asks."""
    text = codec.encode(message, dates_as_text=dates_as_text)
    if config.read(knobs.PROTOCOL_CHECK_OUTGOING):
        check_outgoing(adapter, text)
    return text


def check_outgoing(adapter: TypeAdapter[Any], text: str) -> None:
    """Fail loudly when the server sends something its protocol does not declare (on in the
    test suite: every message any test receives is checked against the schema)."""
    try:
        adapter.validate_json(text)
    except ValidationError as exc:
        logger.error("undeclared outgoing message %s: %s", text[:300], exc)
        raise AssertionError(f"outgoing message does not match the protocol: {exc}") from exc
