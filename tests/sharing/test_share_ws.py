"""The guest websocket (/ws/share/<token>/) through the real ASGI stack: checked at connect,
on every message and on revoke; read-only; relays only what the link shows; the team's
board socket sees guest comments and decisions live."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from anchorboard.asgi import application
from canvas.models import ShareLink
from canvas.permissions import Principal
from canvas.review import comments, decisions
from canvas.sharing import groups, links
from canvas.sharing.auth import password_cookie_name
from tests.review.conftest import make_candidate, make_link
from tests.wsclient import RECEIVE_TIMEOUT, Communicator, open_socket

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = RECEIVE_TIMEOUT  # waiting for a message that must come, never an assertion about time


class GuestSocket:
    def __init__(self, token: str, cookies: str = ""):
        headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
        if cookies:
            headers.append((b"cookie", cookies.encode()))
        self.comm = Communicator(application, f"/ws/share/{token}/", headers=headers)

    async def open(self):
        connected, _ = await self.comm.connect(timeout=TIMEOUT)
        assert connected
        return await self.recv()

    async def send(self, message):
        await self.comm.send_to(text_data=json.dumps(message))

    async def recv(self):
        return json.loads(await self.comm.receive_from(timeout=TIMEOUT))

    async def closed_with(self) -> int:
        event = await self.comm.receive_output(timeout=TIMEOUT)
        assert event["type"] == "websocket.close", event
        return event["code"]

    async def close(self):
        await self.comm.disconnect()


@sync_to_async
def setup_board(people, **link_options):
    board, owner = people["board"], people["owner"]
    shown = make_candidate(board, owner)
    decisions.set_decision(shown, Principal(user=owner), tier="final")
    hidden = make_candidate(board, owner)
    link, token = make_link(board, owner, **link_options)
    return shown, hidden, link, token


EXTRA = ["comment", "approve", "download"]
COMBOS = [list(c) for n in range(len(EXTRA) + 1) for c in itertools.combinations(EXTRA, n)]


@pytest.mark.parametrize("extra", COMBOS, ids=lambda c: "+".join(["view", *c]))
async def test_guest_is_welcomed_read_only_and_syncs_what_the_link_shows(people, extra):
    shown, _hidden, _link, token = await setup_board(people, permissions=extra)
    sock = GuestSocket(token)
    welcome = await sock.open()
    assert welcome["type"] == "welcome"
    # Whatever else the link allows, the socket never edits.
    assert (welcome["role"], welcome["can_edit"]) == ("guest", False)
    assert welcome["share"]["permissions"] == ["view", *extra]
    await sock.send({"type": "sync", "since": None})
    snapshot = await sock.recv()
    assert snapshot["type"] == "snapshot"
    assert [c["id"] for c in snapshot["candidates"]] == [str(shown.pk)]
    assert snapshot["candidates"][0]["asset"]["original_url"].startswith(f"/s/{token}/")
    for message in ({"type": "ops", "batch_id": "b1", "ops": []}, {"type": "presence"}):
        await sock.send(message)
        reply = await sock.recv()
        assert (reply["type"], reply["code"]) == ("error", "read_only")
    await sock.send({"type": "ping"})
    assert await sock.recv() == {"type": "pong"}
    await sock.close()


async def test_open_socket_is_closed_when_the_link_is_revoked(people):
    _shown, _hidden, link, token = await setup_board(people)
    sock = GuestSocket(token)
    await sock.open()
    await sync_to_async(links.revoke_link)(link, people["owner"])
    message = await sock.recv()
    assert (message["type"], message["code"]) == ("error", "share_link_revoked")
    assert await sock.closed_with() == 4410


async def test_link_expiring_while_open_is_caught_on_the_next_message(people):
    _shown, _hidden, link, token = await setup_board(people)
    sock = GuestSocket(token)
    await sock.open()
    await sync_to_async(ShareLink.objects.filter(pk=link.pk).update)(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    await sock.send({"type": "ping"})
    message = await sock.recv()
    assert (message["type"], message["code"]) == ("error", "share_link_expired")
    assert await sock.closed_with() == 4410


async def test_socket_is_closed_when_the_link_expires_while_idle(people, monkeypatch):
    _shown, _hidden, link, token = await setup_board(people)
    # Expiring in a moment: the socket's timer fires at the expiry, with no message from us.
    # The clock stands still until the socket is open (a loaded machine may take longer
    # than the moment to connect, which would then refuse the link), then reaches the
    # expiry; the socket's timer still waits the moment out in real time.
    now = timezone.now()
    soon = now + timedelta(seconds=3)
    clock = [now]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    await sync_to_async(ShareLink.objects.filter(pk=link.pk).update)(expires_at=soon)
    sock = GuestSocket(token)
    assert (await sock.open())["type"] == "welcome"
    clock[0] = soon
    message = await sock.recv()
    assert (message["type"], message["code"]) == ("error", "share_link_expired")
    assert await sock.closed_with() == 4410


async def test_expired_revoked_and_unknown_links_are_refused_at_connect(people):
    _shown, _hidden, link, token = await setup_board(people)
    unknown = GuestSocket(token[:-4] + "AAAA")
    assert (await unknown.open())["code"] == "share_link_not_found"
    assert await unknown.closed_with() == 4410
    await sync_to_async(ShareLink.objects.filter(pk=link.pk).update)(revoked_at=timezone.now())
    revoked = GuestSocket(token)
    assert (await revoked.open())["code"] == "share_link_revoked"
    assert await revoked.closed_with() == 4410


async def test_password_links_need_the_signed_cookie(people):
    _shown, _hidden, link, token = await setup_board(people, password="sesame123")
    locked = GuestSocket(token)
    assert (await locked.open())["code"] == "share_password_required"
    assert await locked.closed_with() == 4401

    @sync_to_async
    def unlocked_cookie():
        client = Client()
        client.post(f"/s/{token}/unlock/", {"password": "sesame123"})
        return f"{password_cookie_name(link)}={client.cookies[password_cookie_name(link)].value}"

    sock = GuestSocket(token, await unlocked_cookie())
    assert (await sock.open())["type"] == "welcome"
    await sock.close()


async def test_guest_gets_only_what_the_link_allows(people):
    shown, hidden, _link, token = await setup_board(
        people, permissions=["approve"], show_decisions=True
    )
    sock = GuestSocket(token)
    await sock.open()
    owner = Principal(user=people["owner"])
    # Not shown (not final): filtered. Then a shown one: that is the next message.
    await sync_to_async(decisions.set_decision)(hidden, owner, status="approved")
    # No comment permission: comments are filtered too.
    await sync_to_async(comments.add_comment)(
        people["board"], owner, {"body": "internal", "target": "point", "x": 0, "y": 0}
    )
    await sync_to_async(decisions.set_decision)(shown, owner, status="rejected", rating=2)
    message = await sock.recv()
    assert message["type"] == "decision"
    assert message["decision"]["iteration"] == str(shown.pk)
    assert message["decision"]["status"] == "rejected"
    assert "rating" not in message["decision"]
    await sock.close()


async def test_team_verdicts_stay_internal_unless_the_link_shares_decisions(people):
    """An approve link without show_decisions: the team's verdicts are not relayed, the
    guest's own (through this link) are."""
    shown, _hidden, _link, token = await setup_board(people, permissions=["approve"])
    sock = GuestSocket(token)
    await sock.open()
    await sync_to_async(decisions.set_decision)(
        shown, Principal(user=people["owner"]), status="needs_changes"
    )

    @sync_to_async
    def guest_approves():
        return Client().put(
            f"/api/v1/share/{token}/iterations/{shown.pk}/decision",
            data={"status": "approved"},
            content_type="application/json",
        )

    assert (await guest_approves()).status_code == 200
    message = await sock.recv()  # the team's "needs changes" was filtered: this is next
    assert message["type"] == "decision"
    assert message["decision"]["status"] == "approved"
    assert message["decision"]["decided_by"]["guest"] is True
    await sock.close()


async def test_view_only_guest_gets_no_decisions_or_comments(people):
    shown, _hidden, link, token = await setup_board(people)
    sock = GuestSocket(token)
    await sock.open()
    owner = Principal(user=people["owner"])
    await sync_to_async(decisions.set_decision)(shown, owner, status="approved")
    await sync_to_async(comments.add_comment)(
        people["board"], owner, {"body": "x", "target": "iteration", "iteration": str(shown.pk)}
    )
    # The revoke travels through the same channel queue after both events, so if either had
    # been relayed it would arrive first.
    await sync_to_async(links.revoke_link)(link, people["owner"])
    assert (await sock.recv())["code"] == "share_link_revoked"


async def test_team_sees_guest_comment_and_decision_live(people):
    shown, _hidden, _link, token = await setup_board(people, permissions=["comment", "approve"])
    team, welcome = await open_socket(people["board"], people["viewer"])
    assert welcome["type"] == "welcome"
    guest = GuestSocket(token)
    await guest.open()

    @sync_to_async
    def guest_acts():
        client = Client()
        client.post(
            f"/api/v1/share/{token}/comments",
            data={"body": "Lovely light", "target": "point", "x": 5, "y": 6, "name": "Cleo"},
            content_type="application/json",
        )
        client.put(
            f"/api/v1/share/{token}/iterations/{shown.pk}/decision",
            data={"status": "approved"},
            content_type="application/json",
        )

    await guest_acts()
    seen = [await team.recv(), await team.recv()]
    assert [m["type"] for m in seen] == ["comment", "decision"]
    assert seen[0]["comment"]["author"] == {"id": None, "name": "Cleo", "guest": True}
    assert seen[1]["decision"]["decided_by"]["name"] == "Cleo"
    # The guest's own socket sees both too (comment + approve permissions, shown candidate).
    mine = [await guest.recv(), await guest.recv()]
    assert [m["type"] for m in mine] == ["comment", "decision"]
    await guest.close()
    await team.close()


async def test_guest_sees_team_presence_only_when_the_link_allows(people):
    from canvas import protocol, realtime

    _s, _h, quiet_link, quiet_token = await setup_board(people)
    _s, _h, _l, open_token = await setup_board(people, show_presence=True)
    quiet, shown = GuestSocket(quiet_token), GuestSocket(open_token)
    await quiet.open()
    await shown.open()
    presence = protocol.presence_leave(people["owner"].pk)
    await realtime.send_presence_now(people["board"].pk, presence, "someone-else")
    assert await shown.recv() == presence
    await sync_to_async(links.revoke_link)(quiet_link, people["owner"])
    assert (await quiet.recv())["code"] == "share_link_revoked"  # no presence before it
    await shown.close()


async def test_guest_beside_member_sockets_gets_presence_but_no_edits(people):
    """Members' sockets share one fan-out per board; a guest stays outside it and gets only
    what the link shows: the team's presence here, never a live edit."""
    _s, _h, _l, token = await setup_board(people, show_presence=True)
    guest = GuestSocket(token)
    await guest.open()
    owner, _ = await open_socket(people["board"], people["owner"])
    await owner.send({"type": "sync", "since": None})
    assert (await owner.recv())["type"] == "snapshot"
    await owner.send(
        {
            "type": "ops",
            "batch_id": "e1",
            "ops": [
                {
                    "op": "create",
                    "item": {"id": "6c1e1d2e-0000-4000-8000-000000000001", "kind": "frame"},
                }
            ],
        }
    )
    assert (await owner.recv())["type"] == "ack"
    cursor = {"type": "presence", "cursor": {"x": 1, "y": 2}, "selection": [], "hidden": False}
    await owner.send(cursor)
    seen = await guest.recv()
    assert seen["type"] == "presence" and seen["cursor"] == {"x": 1, "y": 2}
    await owner.close()
    await guest.close()


# --- Redis channel layer: the revoke comes from another server process -----------------------


@pytest.mark.redis
async def test_revoke_from_another_process_closes_the_socket_through_redis(people, redis_layer):
    from channels_redis.core import RedisChannelLayer

    _shown, _hidden, link, token = await setup_board(people)
    sock = GuestSocket(token)
    assert (await sock.open())["type"] == "welcome"
    # "Another server process": its own layer instance, sharing nothing but Redis.
    other_process = RedisChannelLayer(**redis_layer)
    await sync_to_async(ShareLink.objects.filter(pk=link.pk).update)(revoked_at=timezone.now())
    await other_process.group_send(groups.link_group(link.pk), {"type": groups.REVOKED_EVENT})
    message = await sock.recv()
    assert (message["type"], message["code"]) == ("error", "share_link_revoked")
    assert await sock.closed_with() == 4410
    await other_process.flush()
