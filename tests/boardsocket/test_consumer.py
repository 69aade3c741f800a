"""The board websocket through the real ASGI stack (origin check, session auth, routing)."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from canvas import protocol, realtime
from canvas.boardsocket import fanout, role_cache
from canvas.members import services as members
from canvas.models import Board, BoardMember, Item, Role, TeamMembership
from tests import factories
from tests.wsclient import (
    BoardSocket,
    create,
    delete,
    open_socket,
    session_cookie,
    update,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people():
    owner = factories.make_user("olive")
    editor = factories.make_user("eddie")
    viewer = factories.make_user("vera")
    stranger = factories.make_user("sam")
    board = factories.make_board(owner=owner, name="Cliffs", editor=editor, viewer=viewer)
    return {"board": board, "owner": owner, "editor": editor, "viewer": viewer, "sam": stranger}


async def synced(board, user):
    sock, welcome = await open_socket(board, user)
    assert welcome["type"] == "welcome"
    reply = await sock.sync(None)
    assert reply["type"] == "snapshot"
    return sock


@database_sync_to_async
def board_state(board):
    board = Board.objects.get(pk=board.pk)
    items = {str(i.pk): (i.x, i.y, i.name, i.deleted) for i in Item.objects.filter(board=board)}
    return board.revision, items


# --- Connecting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "role", "can_edit"),
    [("owner", "owner", True), ("editor", "editor", True), ("viewer", "viewer", False)],
)
async def test_members_are_welcomed_with_their_role(people, who, role, can_edit):
    sock, welcome = await open_socket(people["board"], people[who])
    assert welcome == {
        "type": "welcome",
        "board": {"id": str(people["board"].pk), "name": "Cliffs"},
        "user": {"id": people[who].pk, "name": people[who].username},
        "role": role,
        "can_edit": can_edit,
        "revision": 0,
    }
    await sock.ping()
    await sock.close()


async def test_team_default_role_counts():
    member = await database_sync_to_async(factories.make_user)("tina")
    team = await database_sync_to_async(factories.make_team)(
        members=[member], default_board_role="reviewer"
    )
    board = await database_sync_to_async(factories.make_board)(team)
    sock, welcome = await open_socket(board, member)
    assert welcome["role"] == "reviewer" and welcome["can_edit"] is False
    await sock.close()


async def test_stranger_and_unknown_board_get_the_same_close_code(people):
    _sock, event = await open_socket(people["board"], people["sam"])
    assert event == {"type": "websocket.close", "code": 4403}
    cookie = await database_sync_to_async(session_cookie)(people["owner"])
    unknown = BoardSocket(uuid.uuid4(), cookie)
    assert await unknown.open() == {"type": "websocket.close", "code": 4403}


async def test_anonymous_is_closed_4401(people):
    _sock, event = await open_socket(people["board"], None)
    assert event == {"type": "websocket.close", "code": 4401}


async def test_foreign_origin_is_refused(people):
    cookie = await database_sync_to_async(session_cookie)(people["owner"])
    sock = BoardSocket(people["board"].pk, cookie, origin="https://evil.example")
    connected, _ = await sock.comm.connect()
    assert not connected


# --- Operations ----------------------------------------------------------------------------


async def test_ops_are_acked_to_sender_and_broadcast_to_others_without_echo(people):
    board = people["board"]
    alice = await synced(board, people["owner"])
    bob = await synced(board, people["editor"])
    op = create("text", name="Title", props={"text": "Dawn"})
    await alice.send({"type": "ops", "batch_id": "a1", "ops": [op]})
    assert await alice.recv() == {"type": "ack", "batch_id": "a1", "revision": 1}
    received = await bob.recv()
    assert received["type"] == "applied" and received["revision"] == 1
    assert received["actor"] == {"id": people["owner"].pk, "name": "olive"}
    (applied_op,) = received["ops"]
    assert applied_op["op"] == "create" and applied_op["item"]["name"] == "Title"
    assert applied_op["item"]["props"] == {"text": "Dawn"}
    # The sender's next message is the pong: its own batch was not echoed back.
    await alice.ping()
    revision, items = await board_state(board)
    assert revision == 1 and items[op["item"]["id"]][2] == "Title"
    await alice.close()
    await bob.close()


async def test_two_clients_racing_see_the_same_order(people):
    board = people["board"]
    alice = await synced(board, people["owner"])
    bob = await synced(board, people["editor"])
    seed = create("frame")
    item_id = seed["item"]["id"]
    await alice.send({"type": "ops", "batch_id": "seed", "ops": [seed]})
    assert (await alice.recv())["revision"] == 1
    assert (await bob.recv())["revision"] == 1
    # Both send before reading anything; the server orders them.
    for n in range(3):
        await alice.send({"type": "ops", "batch_id": f"a{n}", "ops": [update(item_id, x=n)]})
        await bob.send({"type": "ops", "batch_id": f"b{n}", "ops": [update(item_id, x=10 + n)]})

    async def stream(sock, expect_acks):
        """Messages until the client has seen every revision 2..7, in arrival order."""
        seen = []
        while len(seen) < 6:
            message = await sock.recv()
            assert message["type"] in ("ack", "applied")
            seen.append(message)
        return seen

    alice_seen = await stream(alice, 3)
    bob_seen = await stream(bob, 3)
    # Each client sees every revision exactly once, strictly increasing, own ones as acks.
    assert [m["revision"] for m in alice_seen] == list(range(2, 8))
    assert [m["revision"] for m in bob_seen] == list(range(2, 8))
    acked_by_alice = {m["revision"] for m in alice_seen if m["type"] == "ack"}
    acked_by_bob = {m["revision"] for m in bob_seen if m["type"] == "ack"}
    assert len(acked_by_alice) == len(acked_by_bob) == 3
    assert acked_by_alice.isdisjoint(acked_by_bob)
    # Last writer wins: the item holds the x of the batch with the highest revision.
    last = next(m for m in alice_seen + bob_seen if m["type"] == "applied" and m["revision"] == 7)
    _, items = await board_state(board)
    assert items[item_id][0] == last["ops"][0]["set"]["x"]
    await alice.close()
    await bob.close()


async def test_lww_per_property_between_clients(people):
    board = people["board"]
    alice = await synced(board, people["owner"])
    bob = await synced(board, people["editor"])
    seed = create("frame", x=0, y=0)
    item_id = seed["item"]["id"]
    await alice.send({"type": "ops", "batch_id": "s", "ops": [seed]})
    await alice.recv()
    await bob.recv()
    await alice.send({"type": "ops", "batch_id": "a", "ops": [update(item_id, x=100)]})
    await alice.recv()
    await bob.send({"type": "ops", "batch_id": "b", "ops": [update(item_id, y=50)]})
    messages = [await bob.recv(), await bob.recv()]
    assert [m["type"] for m in messages] == ["applied", "ack"]
    _, items = await board_state(board)
    assert items[item_id][:2] == (100, 50)  # neither change lost the other
    await alice.close()
    await bob.close()


async def test_viewer_ops_are_refused_and_change_nothing(people):
    board = people["board"]
    sock = await synced(board, people["viewer"])
    await sock.send({"type": "ops", "batch_id": "v1", "ops": [create()]})
    reply = await sock.recv()
    assert reply["type"] == "error" and reply["code"] == "forbidden"
    assert reply["batch_id"] == "v1" and "editor" in reply["message"]
    assert await board_state(board) == (0, {})
    await sock.ping()  # still usable
    await sock.close()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{oops", "bad_message"),
        ('{"type": "teleport"}', "bad_message"),
        (
            '{"type": "ops", "batch_id": "x", "ops": [{"op": "update", "id": "nope"}]}',
            "bad_message",
        ),
        (json.dumps({"type": "ping", "pad": "x" * (256 * 1024)}), "message_too_large"),
    ],
)
async def test_bad_messages_get_an_error_and_the_socket_stays_usable(people, text, code):
    board = people["board"]
    sock = await synced(board, people["owner"])
    await sock.send_raw(text)
    reply = await sock.recv()
    assert reply["type"] == "error" and reply["code"] == code and reply["message"]
    assert await board_state(board) == (0, {})
    await sock.send({"type": "ops", "batch_id": "ok", "ops": [create()]})
    assert await sock.recv() == {"type": "ack", "batch_id": "ok", "revision": 1}
    await sock.close()


async def test_binary_frames_are_bad_messages(people):
    sock = await synced(people["board"], people["owner"])
    await sock.comm.send_to(bytes_data=b"\x00\x01")
    reply = await sock.recv()
    assert reply["code"] == "bad_message"
    await sock.ping()
    await sock.close()


async def test_rejected_batch_reports_why_and_changes_nothing(people):
    board = people["board"]
    sock = await synced(board, people["owner"])
    ops = [create("frame"), update(str(uuid.uuid4()), x=1)]
    await sock.send({"type": "ops", "batch_id": "r", "ops": ops})
    reply = await sock.recv()
    assert reply == {
        "type": "error",
        "code": "item_not_found",
        "message": reply["message"],
        "batch_id": "r",
    }
    assert "Change 2" in reply["message"]
    assert await board_state(board) == (0, {})
    await sock.close()


async def test_role_revoked_mid_connection_closes_the_socket(people):
    board = people["board"]
    sock = await synced(board, people["editor"])
    await database_sync_to_async(
        BoardMember.objects.filter(board=board, user=people["editor"]).delete
    )()
    await sock.send({"type": "ops", "batch_id": "late", "ops": [create()]})
    reply = await sock.recv()
    assert reply["type"] == "error" and reply["code"] == "forbidden"
    assert await sock.recv_output() == {"type": "websocket.close", "code": 4403}
    assert await board_state(board) == (0, {})


async def test_role_lowered_mid_connection_refuses_edits(people):
    """The socket caches its role; a role change committed in this process makes the very
    next message read it again (canvas.boardsocket.role_cache), whether or not the access event that
    pushes the new ``welcome`` has been handled yet."""
    board = people["board"]
    sock = await synced(board, people["editor"])
    await sock.send({"type": "ops", "batch_id": "before", "ops": [create()]})
    assert (await sock.recv())["type"] == "ack"  # the editor's role is cached now
    await database_sync_to_async(members.change_board_role)(board, people["editor"].pk, Role.VIEWER)
    await sock.send({"type": "ops", "batch_id": "x", "ops": [create()]})
    replies = {message["type"]: message for message in [await sock.recv(), await sock.recv()]}
    assert replies["welcome"]["role"] == "viewer"
    assert replies["error"]["code"] == "forbidden" and "viewer" in replies["error"]["message"]
    await sock.ping()
    assert (await board_state(board))[0] == 1
    await sock.close()


async def test_role_lowered_by_another_process_is_read_again_on_the_access_event(people):
    """A change this process did not see (another web process, here a raw UPDATE that
    sends no signal) reaches the socket as the board.access event, which re-reads the role."""
    board = people["board"]
    sock = await synced(board, people["editor"])
    await sock.send({"type": "ops", "batch_id": "before", "ops": [create()]})
    assert (await sock.recv())["type"] == "ack"
    await database_sync_to_async(
        BoardMember.objects.filter(board=board, user=people["editor"]).update
    )(role=Role.VIEWER)
    await get_channel_layer().group_send(
        realtime.board_group(board.pk), {"type": realtime.ACCESS_EVENT}
    )
    welcome = await sock.recv()  # the access event was handled: the role was read again
    assert (welcome["type"], welcome["role"]) == ("welcome", "viewer")
    await sock.send({"type": "ops", "batch_id": "x", "ops": [create()]})
    assert (await sock.recv())["code"] == "forbidden"
    assert (await board_state(board))[0] == 1
    await sock.close()


async def test_a_cached_role_is_read_again_after_a_while(people, monkeypatch):
    """Should the access event be lost, the role is still re-read every RECHECK_SECONDS."""
    board = people["board"]
    sock = await synced(board, people["editor"])
    await sock.send({"type": "ops", "batch_id": "before", "ops": [create()]})
    assert (await sock.recv())["type"] == "ack"
    await database_sync_to_async(
        BoardMember.objects.filter(board=board, user=people["editor"]).update
    )(role=Role.VIEWER)
    monkeypatch.setattr(role_cache, "RECHECK_SECONDS", 0.0)
    await sock.send({"type": "ops", "batch_id": "x", "ops": [create()]})
    assert (await sock.recv())["code"] == "forbidden"
    await sock.close()


# --- Presence ------------------------------------------------------------------------------


async def test_presence_join_hide_and_leave(people):
    board = people["board"]
    alice = await synced(board, people["owner"])
    bob = await synced(board, people["viewer"])  # viewers may share presence
    selection = [str(uuid.uuid4())]
    await bob.send(
        {"type": "presence", "cursor": {"x": 1.5, "y": -2}, "selection": selection, "hidden": False}
    )
    seen = await alice.recv()
    assert seen == {
        "type": "presence",
        "user": {"id": people["viewer"].pk, "name": "vera"},
        "color": realtime.presence_color(people["viewer"].pk),
        "cursor": {"x": 1.5, "y": -2.0},
        "selection": selection,
    }
    await bob.ping()  # bob's own presence was not echoed to him
    await bob.send(
        {"type": "presence", "cursor": {"x": 3, "y": 3}, "selection": [], "hidden": True}
    )
    assert await alice.recv() == {"type": "presence_leave", "user": {"id": people["viewer"].pk}}
    # Staying hidden sends nothing more; the next thing alice sees is bob reappearing.
    await bob.send(
        {"type": "presence", "cursor": {"x": 4, "y": 4}, "selection": [], "hidden": True}
    )
    await bob.send({"type": "presence", "cursor": None, "selection": [], "hidden": False})
    assert (await alice.recv())["cursor"] is None
    await bob.close()
    assert await alice.recv() == protocol.presence_leave(people["viewer"].pk)
    await alice.close()


def test_presence_colour_is_stable():
    assert realtime.presence_color(42) == realtime.presence_color(42)
    assert realtime.presence_color(42) in realtime.PRESENCE_COLORS
    assert len({realtime.presence_color(n) for n in range(50)}) > 3


async def test_delete_and_restore_over_the_socket(people):
    board = people["board"]
    alice = await synced(board, people["owner"])
    bob = await synced(board, people["editor"])
    seed = create("frame", name="Keep me")
    item_id = seed["item"]["id"]
    for batch_id, ops in (("c", [seed]), ("d", [delete(item_id)]), ("r", [seed])):
        await alice.send({"type": "ops", "batch_id": batch_id, "ops": ops})
        assert (await alice.recv())["type"] == "ack"
        assert (await bob.recv())["ops"][0]["op"] == ops[0]["op"]
    revision, items = await board_state(board)
    assert revision == 3 and items[item_id] == (0, 0, "Keep me", False)
    await alice.close()
    await bob.close()


async def test_a_missed_broadcast_is_filled_from_the_log_in_order(people, monkeypatch):
    """If revision 1's broadcast is lost or late, revision 2 arrives after revision 1 anyway."""
    board = people["board"]
    alice = await synced(board, people["owner"])
    bob = await synced(board, people["editor"])
    send = realtime.send_group_now

    def lose_first(group, event):
        if event["revision"] != 1:
            send(group, event)

    monkeypatch.setattr(realtime, "send_group_now", lose_first)
    first, second = create("frame", name="one"), create("frame", name="two")
    await alice.send({"type": "ops", "batch_id": "1", "ops": [first]})
    await alice.recv()
    await alice.send({"type": "ops", "batch_id": "2", "ops": [second]})
    await alice.recv()
    got = [await bob.recv(), await bob.recv()]
    assert [(m["type"], m["revision"]) for m in got] == [("applied", 1), ("applied", 2)]
    assert got[0]["ops"][0]["item"]["name"] == "one"
    await bob.ping()  # and nothing is delivered twice
    await alice.close()
    await bob.close()


async def test_job_events_on_the_board_group_are_relayed(people):
    from canvas.jobs.announce import JOB_EVENT

    board = people["board"]
    sock = await synced(board, people["viewer"])
    message = {"type": "job_queue", "board": str(board.pk), "paused": True}
    await get_channel_layer().group_send(
        realtime.board_group(board.pk), {"type": JOB_EVENT, "message": message}
    )
    assert await sock.recv() == message
    await sock.ping()
    await sock.close()


async def test_resend_after_reconnect_is_acked_with_the_original_revision(people):
    board = people["board"]
    sock = await synced(board, people["owner"])
    op = create("frame", name="once")
    await sock.send({"type": "ops", "batch_id": "lost-ack", "ops": [op]})
    assert (await sock.recv())["revision"] == 1
    await sock.close()  # pretend the ack never arrived
    sock = await synced(board, people["owner"])
    await sock.send({"type": "ops", "batch_id": "lost-ack", "ops": [op]})
    assert await sock.recv() == {"type": "ack", "batch_id": "lost-ack", "revision": 1}
    revision, items = await board_state(board)
    assert revision == 1 and len(items) == 1
    await sock.close()


async def test_messages_over_the_rate_budget_are_refused_not_applied(people, settings):
    settings.ANCHORBOARD_WS_MESSAGE_BURST = 3
    settings.ANCHORBOARD_WS_MESSAGE_RATE = 0  # no refill: deterministic without timing
    board = people["board"]
    sock = await synced(board, people["owner"])  # the sync used one message
    await sock.ping()
    await sock.send({"type": "ops", "batch_id": "ok", "ops": [create()]})
    assert (await sock.recv())["type"] == "ack"
    await sock.send({"type": "ops", "batch_id": "over", "ops": [create()]})
    reply = await sock.recv()
    assert (reply["type"], reply["code"], reply["batch_id"]) == ("error", "rate_limited", "over")
    revision, items = await board_state(board)
    assert revision == 1 and len(items) == 1


def test_message_budget_refills_over_time():
    now = [100.0]
    budget = realtime.MessageBudget(burst=2, per_second=4, clock=lambda: now[0])
    assert [budget.take() for _ in range(3)] == [True, True, False]
    now[0] += 0.25  # one token back
    assert [budget.take(), budget.take()] == [True, False]
    now[0] += 100  # never more than the burst
    assert [budget.take() for _ in range(3)] == [True, True, False]


async def test_removed_member_is_disconnected_without_sending_anything(people):
    """A removed member must stop receiving the board at once, not at their next message."""
    board = people["board"]
    owner = await synced(board, people["owner"])
    editor = await synced(board, people["editor"])
    await database_sync_to_async(
        BoardMember.objects.filter(board=board, user=people["editor"]).delete
    )()
    assert (await editor.recv())["code"] == "forbidden"
    assert await editor.recv_output() == {"type": "websocket.close", "code": 4403}
    # Others re-check too, keep their access and keep working.
    await owner.send({"type": "ops", "batch_id": "after", "ops": [create()]})
    assert (await owner.recv())["type"] == "ack"
    await owner.close()


async def test_leaving_the_team_disconnects_team_default_members():
    member = await database_sync_to_async(factories.make_user)("tina")
    team = await database_sync_to_async(factories.make_team)(
        members=[member], default_board_role="editor"
    )
    board = await database_sync_to_async(factories.make_board)(team)
    sock = await synced(board, member)
    await database_sync_to_async(TeamMembership.objects.filter(team=team, user=member).delete)()
    assert (await sock.recv())["code"] == "forbidden"
    assert await sock.recv_output() == {"type": "websocket.close", "code": 4403}


async def test_team_default_role_removed_disconnects():
    member = await database_sync_to_async(factories.make_user)("tina")
    team = await database_sync_to_async(factories.make_team)(
        members=[member], default_board_role="viewer"
    )
    board = await database_sync_to_async(factories.make_board)(team)
    sock = await synced(board, member)
    team.default_board_role = ""
    await database_sync_to_async(team.save)()
    assert (await sock.recv())["code"] == "forbidden"
    assert await sock.recv_output() == {"type": "websocket.close", "code": 4403}


async def test_the_process_renews_its_board_membership(people, monkeypatch):
    """Layers expire group members after a day and Redis forgets them when it restarts; the
    process's fan-out (one membership per board) joins again by itself."""
    monkeypatch.setattr(fanout, "RENEW_SECONDS", 0.05)
    board = people["board"]
    alice = await synced(board, people["owner"])
    layer = get_channel_layer()
    group = realtime.board_group(board.pk)
    assert len(layer.groups[group]) == 1  # the process's, however many sockets it holds
    for channel in list(layer.groups.get(group, {})):
        await layer.group_discard(group, channel)  # what expiry does
    for _ in range(200):  # bounded: renewal runs every 0.05 s here
        if layer.groups.get(group):
            break
        await asyncio.sleep(0.05)
    message = {"type": "job_queue", "board": str(board.pk), "paused": False}
    await layer.group_send(group, {"type": "board.job", "message": message})
    assert await alice.recv() == message
    await alice.close()
