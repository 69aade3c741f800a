"""The guest websocket of a share link: ``/ws/share/<token>/``. Read-only, checked always.

The link is checked (token, expiry, revocation, password cookie) when the socket connects,
again before every message it receives and every event it relays, and on a timer (at the
latest when the link expires); a revoke closes the socket at once through the link's
group. Guests can ``sync`` (a snapshot of what the link shows) and ``ping``; they cannot
edit: ``ops`` and ``presence`` are registered with the edit permission, which no link grants,
and answered ``read_only``. They receive decisions and comments only where their link shows
the candidate or spot and grants approve / comment, and drift flags (``consistency``) only
where it shows the candidate and shares the team's decisions. Presence of the team is
relayed only if the link says so. Decoding, the message budget and error replies are
canvas.sockets'; payloads come from canvas.sharing / canvas.review and canvas.protocol;
this consumer decides nothing about visibility itself (canvas.permissions does).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from canvas import protocol
from canvas.boardsocket import fanout
from canvas.permissions import Perm, link_allows, require_link
from canvas.protocol import limits
from canvas.protocol.catalog import GUEST_CLIENT_MESSAGES, GUEST_SERVER
from canvas.protocol.share import GuestEditMessage, GuestPingMessage, GuestSyncMessage
from canvas.realtime import board_group
from canvas.review import comments as review
from canvas.sharing import auth as sharing_auth
from canvas.sharing import guests
from canvas.sharing.groups import link_group, share_board_group
from canvas.sockets import ProtocolConsumer, Route, Routes
from foundation.errors import AppError

logger = logging.getLogger(__name__)

CLOSE_LINK_UNAVAILABLE = limits.CLOSE_LINK_UNAVAILABLE
CLOSE_PASSWORD = limits.CLOSE_PASSWORD_REQUIRED
# RFC 6455 "service restart": the client reconnects, as the board socket's does.
CLOSE_RECONNECT = 1012
RECHECK_SECONDS = 60.0
MAX_MESSAGE_BYTES = limits.MAX_GUEST_MESSAGE_BYTES

guest_routes = Routes(GUEST_CLIENT_MESSAGES)


class ReadOnly(AppError):
    code = "read_only"
    default_message = "This is a shared, read-only view: changes are not possible here."


class GuestShareConsumer(ProtocolConsumer):
    routes = guest_routes
    server_messages = GUEST_SERVER
    max_message_bytes = MAX_MESSAGE_BYTES
    dates_as_text = True  # guest payloads carry datetimes (candidates' created_at)
    link: Any = None
    token: str = ""
    groups_joined: list[str]
    watcher: asyncio.Task[None] | None = None
    hub: fanout.Hub | None = None  # keeps the memberships (canvas.boardsocket.fanout)

    async def connect(self) -> None:
        await self.accept()
        self.groups_joined = []
        self.token = self.scope["url_route"]["kwargs"]["token"]
        try:
            principal = await database_sync_to_async(sharing_auth.authorize_scope)(
                self.scope, self.token
            )
        except sharing_auth.PasswordRequired as exc:
            await self._refuse(exc, CLOSE_PASSWORD)
            return
        except AppError as exc:
            await self._refuse(exc, CLOSE_LINK_UNAVAILABLE)
            return
        self.link = principal.link
        self.start_guard(f"share link {self.link.pk}")
        groups = [link_group(self.link.pk), share_board_group(self.link.board_id)]
        if self.link.show_presence:
            groups.append(board_group(self.link.board_id))
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        # Kept and renewed by the process's fan-out like the board sockets' rooms; told
        # when the broker forgot every group (missed_events).
        self.hub = fanout.hub()
        if self.hub is not None:
            await self.hub.attend(self)
        welcome = protocol.welcome(
            board_id=str(self.link.board_id),
            board_name=self.link.board.name,
            user=protocol.user_ref(None, principal.guest_name or "Guest"),
            role="guest",
            can_edit=False,
            revision=self.link.board.revision,
        )
        await self.send_json(
            protocol.guest_welcome(
                welcome,
                permissions=list(self.link.permissions),
                visibility=self.link.visibility,
                show_presence=self.link.show_presence,
            )
        )
        self.watcher = asyncio.ensure_future(self._watch())

    async def disconnect(self, code: int) -> None:
        await self._leave()

    async def missed_events(self) -> None:
        """The channel layer forgot this socket's groups and the events sent meanwhile (a
        revocation among them, perhaps): close, so the client reconnects, the link is
        checked again and the guest's view re-read (canvas.boardsocket.fanout)."""
        await self._leave()
        await self.close(code=CLOSE_RECONNECT)

    def ready(self) -> bool:
        return self.link is not None

    async def authorize(self, route: Route) -> bool:
        if not await self._still_valid():
            return False
        if not link_allows(self.link, route.perm):
            if route.perm in (Perm.EDIT, Perm.MANAGE, Perm.DELETE):
                raise ReadOnly()
            require_link(self.link, route.perm)
        return True

    # --- Group events -------------------------------------------------------------------

    async def share_revoked(self, event: dict[str, Any]) -> None:
        await self._refuse(sharing_auth.ShareLinkRevoked(), CLOSE_LINK_UNAVAILABLE)

    async def share_changed(self, event: dict[str, Any]) -> None:
        await self._still_valid()  # reloads the link: new permissions apply from now on

    async def share_review(self, event: dict[str, Any]) -> None:
        if self.link is None or not await self._still_valid():
            return
        if await database_sync_to_async(self._shows)(event["about"]):
            await self.send_json(event["message"])

    async def board_presence(self, event: dict[str, Any]) -> None:
        if self.link is not None and self.link.show_presence and await self._still_valid():
            await self.send_json(event["message"])

    # Members' board events: guests get a snapshot on sync instead of live edits.
    async def board_applied(self, event: dict[str, Any]) -> None:
        return

    async def board_job(self, event: dict[str, Any]) -> None:
        return

    async def board_access(self, event: dict[str, Any]) -> None:
        return

    # --- Helpers ----------------------------------------------------------------------------

    def _shows(self, about: dict[str, Any]) -> bool:
        link = self.link
        if about.get("kind") == "decision":
            return guests.link_shows_decision(
                link, about.get("link")
            ) and review.comment_visible_to_link(link, "iteration", about.get("iteration"), None)
        if about.get("kind") == "consistency":  # drift flags: only with the team's decisions
            return link.show_decisions and review.comment_visible_to_link(
                link, "iteration", about.get("iteration"), None
            )
        if about.get("kind") == "comment":
            return link_allows(link, Perm.COMMENT) and review.comment_visible_to_link(
                link, about.get("target", ""), about.get("iteration"), about.get("asset")
            )
        return False

    async def _still_valid(self) -> bool:
        try:
            self.link = await database_sync_to_async(sharing_auth.recheck)(self.link.pk)
        except AppError as exc:
            await self._refuse(exc, CLOSE_LINK_UNAVAILABLE)
            return False
        return True

    async def _watch(self) -> None:
        """Re-check the link every minute, and exactly when it expires."""
        try:
            while self.link is not None:
                left = (self.link.expires_at - timezone.now()).total_seconds()
                await asyncio.sleep(max(0.0, min(RECHECK_SECONDS, left)))
                if self.link is None or not await self._still_valid():
                    return
        except asyncio.CancelledError:
            return

    async def _refuse(self, exc: AppError, code: int) -> None:
        await self.send_json(protocol.error(exc.code, exc.message))
        await self._leave()
        await self.close(code=code)

    async def _leave(self) -> None:
        self.link = None
        if self.hub is not None:
            self.hub.depart(self)
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []
        if self.watcher is not None and self.watcher is not asyncio.current_task():
            self.watcher.cancel()
        self.watcher = None


# --- Message handlers ------------------------------------------------------------------------


@guest_routes.handles("sync", perm=Perm.VIEW)
async def handle_sync(consumer: GuestShareConsumer, message: GuestSyncMessage) -> None:
    snapshot = await database_sync_to_async(guests.guest_snapshot)(consumer.link, consumer.token)
    await consumer.send_json(snapshot)


@guest_routes.handles("ping", perm=Perm.VIEW)
async def handle_ping(consumer: GuestShareConsumer, message: GuestPingMessage) -> None:
    await consumer.send_json(protocol.guest_pong())


@guest_routes.handles("ops", "presence", perm=Perm.EDIT, doing="change the board")
async def handle_edit(consumer: GuestShareConsumer, message: GuestEditMessage) -> None:
    raise ReadOnly()  # never reached: no share link grants edit
