"""Late joiners: "old state + missed operations == fresh load", snapshots when too far
behind, and multi-process fan-out through the Redis channel layer.
"""

from __future__ import annotations

import random
import uuid

import pytest
from channels.layers import get_channel_layer

from canvas import protocol, realtime
from tests import factories
from tests.wsclient import (
    apply_batches,
    create,
    delete,
    in_paint_order,
    make_asset,
    open_socket,
    state_from_items,
    update,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup():
    owner = factories.make_user("olive")
    editor = factories.make_user("eddie")
    board = factories.make_board(owner=owner, name="Harbour", editor=editor)
    assets = [make_asset(board, levels=(256, 1024)), make_asset(board, width=300, height=900)]
    return {"board": board, "owner": owner, "editor": editor, "assets": assets}


def mixed_batches(rng: random.Random, assets, count: int, live: dict, deleted: dict):
    """Valid batches of create/update/delete/restore/reorder ops against a tracked model."""
    batches = []
    for _ in range(count):
        ops = []
        touched: set[str] = set()
        for _ in range(rng.randint(1, 4)):
            choice = rng.random()
            free_live = [i for i in live if i not in touched]
            free_deleted = [i for i in deleted if i not in touched]
            if choice < 0.3 or not free_live:
                if rng.random() < 0.5:
                    op = create("image", asset=rng.choice(assets), width=640.0, height=480.0)
                else:
                    op = create(
                        rng.choice(["frame", "text", "mask"]),
                        name=f"n{rng.randint(0, 99)}",
                        x=rng.uniform(-500, 500),
                        props={"text": "hello", "n": rng.randint(0, 9)},
                    )
                op["item"]["z"] = float(rng.randint(0, 20))
                live[op["item"]["id"]] = op["item"]
            elif choice < 0.55:
                target = rng.choice(free_live)
                op = update(target, x=rng.uniform(-1e3, 1e3), y=rng.uniform(-1e3, 1e3))
            elif choice < 0.65:
                op = update(rng.choice(free_live), z=rng.uniform(-5, 25))  # reorder
            elif choice < 0.75:
                op = update(
                    rng.choice(free_live),
                    name=rng.choice(["", "Sky", "Boat"]),
                    opacity=rng.random(),
                    hidden=rng.random() < 0.3,
                    anchor_role=rng.choice(["", "palette", "lighting"]),
                    props={"tint": rng.randint(0, 255)},
                )
            elif choice < 0.9 or not free_deleted:
                target = rng.choice(free_live)
                op = delete(target)
                deleted[target] = live.pop(target)
            else:
                target = rng.choice(free_deleted)
                restored = {**deleted.pop(target), "name": "restored", "x": 1.0}
                op = {"op": "create", "item": restored}
                live[target] = restored
            touched.add(op["item"]["id"] if op["op"] == "create" else op["id"])
            ops.append(op)
        batches.append(ops)
    return batches


async def send_batches(sock, batches):
    for ops in batches:
        await sock.send({"type": "ops", "batch_id": uuid.uuid4().hex, "ops": ops})
        reply = await sock.recv()
        assert reply["type"] == "ack", reply


async def fresh_snapshot(board, user):
    sock, _ = await open_socket(board, user)
    snapshot = await sock.sync(None)
    await sock.close()
    assert snapshot["type"] == "snapshot"
    return snapshot


async def test_old_state_plus_missed_operations_equals_fresh_load(setup):
    board, assets = setup["board"], setup["assets"]
    rng = random.Random(20261127)
    live: dict = {}
    deleted: dict = {}
    writer, _ = await open_socket(board, setup["editor"])
    await send_batches(writer, mixed_batches(rng, assets, 8, live, deleted))

    # Client A loads the board, then goes away.
    reader, _ = await open_socket(board, setup["owner"])
    old = await reader.sync(None)
    assert old["type"] == "snapshot" and old["revision"] == 8
    await reader.close()

    # Meanwhile many mixed edits happen.
    await send_batches(writer, mixed_batches(rng, assets, 40, live, deleted))
    await writer.close()

    # A reconnects with its revision and replays what it missed.
    reader, welcome = await open_socket(board, setup["owner"])
    assert welcome["revision"] == 48
    missed = await reader.sync(old["revision"])
    await reader.close()
    assert missed["type"] == "catchup"
    assert (missed["from_revision"], missed["revision"]) == (8, 48)
    assert [b["revision"] for b in missed["batches"]] == list(range(9, 49))
    assert {b["actor"]["name"] for b in missed["batches"]} == {"eddie"}
    replayed = apply_batches(state_from_items(old["items"]), missed["batches"])

    fresh = await fresh_snapshot(board, setup["owner"])
    assert fresh["revision"] == missed["revision"]
    assert in_paint_order(replayed) == fresh["items"]
    # The run really covered the mix, and image items carry the asset payload.
    kinds = {op["op"] for b in missed["batches"] for op in b["ops"]}
    assert kinds == {"create", "update", "delete"}
    assert any(i["name"] == "restored" for i in fresh["items"])
    images = [i for i in fresh["items"] if i["kind"] == "image"]
    assert images and all(i["asset"]["id"] in {str(a.pk) for a in assets} for i in images)
    assert {i["id"] for i in fresh["items"]} == set(live)


async def test_up_to_date_client_gets_an_empty_catchup(setup):
    board = setup["board"]
    sock, _ = await open_socket(board, setup["owner"])
    await send_batches(sock, [[create("frame")]])
    assert await sock.sync(1) == protocol.catchup(1, 1, [])
    await sock.close()


async def test_too_far_behind_or_from_the_future_gets_a_snapshot(setup, settings):
    settings.ANCHORBOARD_OPERATION_LOG_SIZE = 3
    board = setup["board"]
    sock, _ = await open_socket(board, setup["owner"])
    seed = create("frame")
    await send_batches(
        sock, [[seed]] + [[update(seed["item"]["id"], x=float(n))] for n in range(5)]
    )
    reply = await sock.sync(1)  # revisions 2 and 3 were trimmed
    assert reply["type"] == "snapshot" and reply["revision"] == 6
    assert reply["items"][0]["x"] == 4.0
    reply = await sock.sync(3)  # 4, 5, 6 are still kept
    assert reply["type"] == "catchup" and [b["revision"] for b in reply["batches"]] == [4, 5, 6]
    reply = await sock.sync(99)
    assert reply["type"] == "snapshot" and reply["revision"] == 6
    await sock.close()


async def test_live_batches_after_catchup_continue_without_gaps_or_repeats(setup):
    """Batches committed while a client reconnects are neither lost nor delivered twice."""
    board = setup["board"]
    writer, _ = await open_socket(board, setup["editor"])
    seed = create("frame")
    await send_batches(writer, [[seed]])
    reader, _ = await open_socket(board, setup["owner"])
    # Committed after the reader joined the group but before it synced: its broadcast
    # reaches the reader first and must be dropped in favour of the catch-up.
    await send_batches(writer, [[update(seed["item"]["id"], x=1.0)]])
    caught = await reader.sync(0)
    assert [b["revision"] for b in caught["batches"]] == [1, 2]
    await send_batches(writer, [[update(seed["item"]["id"], x=2.0)]])
    live = await reader.recv()
    assert (live["type"], live["revision"]) == ("applied", 3)
    await reader.ping()
    await reader.close()
    await writer.close()


async def test_a_ping_after_lost_broadcasts_brings_the_client_level(setup):
    """A broadcast the layer dropped (a full queue) leaves a client silently behind: its
    silence ping gets the missing batches from the log, then the pong with the board's
    revision; a client that still has less asks with sync."""
    board = setup["board"]
    writer, _ = await open_socket(board, setup["editor"])
    reader, _ = await open_socket(board, setup["owner"])
    assert (await reader.sync(None))["revision"] == 0
    assert await reader.ping() == 0
    layer, group = get_channel_layer(), realtime.board_group(board.pk)
    # What a full channel-layer queue does to a socket: the next broadcasts never arrive.
    for channel in list(layer.groups.get(group, {})):
        await layer.group_discard(group, channel)
    seed = create("frame")
    await send_batches(writer, [[seed], [update(seed["item"]["id"], x=5.0)]])
    assert await writer.ping() == 2
    await reader.send({"type": "ping"})
    replies = [await reader.recv() for _ in range(3)]
    assert [(r["type"], r["revision"]) for r in replies] == [
        ("applied", 1),
        ("applied", 2),
        ("pong", 2),
    ]
    assert replies[1]["ops"][0]["set"]["x"] == 5.0
    caught = await reader.sync(0)  # a client that dropped them itself asks
    assert caught["type"] == "catchup" and [b["revision"] for b in caught["batches"]] == [1, 2]
    assert await reader.ping() == 2
    await reader.close()
    await writer.close()


# --- Redis channel layer: more than one server process ------------------------------------


@pytest.mark.redis
async def test_fan_out_across_processes_through_redis(setup, redis_layer):
    from channels_redis.core import RedisChannelLayer

    board = setup["board"]
    # "Another server process": its own layer instance, sharing nothing but Redis.
    other_process = RedisChannelLayer(**redis_layer)
    remote_channel = await other_process.new_channel()
    await other_process.group_add(realtime.board_group(board.pk), remote_channel)
    try:
        alice, _ = await open_socket(board, setup["owner"])
        await alice.sync(None)
        bob, _ = await open_socket(board, setup["editor"])
        await bob.sync(None)
        op = create("text", name="via redis")
        await alice.send({"type": "ops", "batch_id": "r1", "ops": [op]})
        assert await alice.recv() == {"type": "ack", "batch_id": "r1", "revision": 1}
        assert (await bob.recv())["ops"][0]["item"]["name"] == "via redis"
        event = await other_process.receive(remote_channel)
        assert event["type"] == realtime.APPLIED_EVENT and event["revision"] == 1
        assert event["batch"]["ops"][0]["item"]["id"] == op["item"]["id"]

        # And the other way: presence published by the other process reaches this one's sockets.
        message = protocol.presence(protocol.user_ref(99, "remote"), "#3cb44b", None, [])
        await other_process.group_send(
            realtime.board_group(board.pk),
            {"type": realtime.PRESENCE_EVENT, "message": message, "sender": remote_channel},
        )
        assert await alice.recv() == message
        assert await bob.recv() == message
        await alice.close()
        await bob.close()
    finally:
        await other_process.flush()
        await other_process.close_pools()
        from channels.layers import get_channel_layer

        await get_channel_layer().close_pools()


async def test_a_board_too_large_for_one_message_arrives_in_parts(setup, monkeypatch):
    """Snapshots (and catch-ups too large to send) never exceed the outgoing message size."""
    monkeypatch.setattr(protocol.limits, "MAX_OUTGOING_BYTES", 4096)
    board = setup["board"]
    sock, _ = await open_socket(board, setup["owner"])
    frames = [create("frame", name=f"Frame {n:03d}", props={"note": "x" * 200}) for n in range(60)]
    await send_batches(sock, [frames[:30], frames[30:]])

    await sock.send({"type": "sync", "since": None})
    parts = [await sock.recv()]
    while parts[-1].get("final") is False:
        parts.append(await sock.recv())
    assert len(parts) > 2
    assert [p["part"] for p in parts] == list(range(len(parts)))
    assert all(p["type"] == "snapshot" and p["revision"] == 2 for p in parts)
    for part in parts[:-1]:
        assert protocol.encoded_size(part) <= 4096 + 1024  # one item may overflow a part
    received = [i["id"] for p in parts for i in p["items"]]
    assert sorted(received) == sorted(f["item"]["id"] for f in frames)

    # A catch-up larger than one message is answered with the (multi-part) snapshot instead.
    await sock.send({"type": "sync", "since": 0})
    reply = await sock.recv()
    assert reply["type"] == "snapshot" and reply["final"] is False
    while reply.get("final") is False:
        reply = await sock.recv()
    await sock.ping()  # nothing else was queued behind the last part
    await sock.close()
