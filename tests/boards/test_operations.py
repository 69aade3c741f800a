"""Board operations: protocol validation and apply_batch (revisions, LWW, log, broadcast)."""

from __future__ import annotations

import json
import math
import threading
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import close_old_connections
from django.utils import timezone

from canvas import protocol, realtime
from canvas.boards import documents
from canvas.boards.operations import OperationRejected, apply_batch
from canvas.models import Board, BoardOperation, Item
from tests import factories
from tests.wsclient import create, delete, item, make_asset, update


def parse_ops(*ops, batch_id="b1"):
    return protocol.parse_client_message(
        json.dumps({"type": "ops", "batch_id": batch_id, "ops": list(ops)})
    ).operations()


@pytest.fixture
def owner(db):
    return factories.make_user("olive")


@pytest.fixture
def board(owner):
    return factories.make_board(owner=owner, name="Moodboard")


# --- Protocol validation -----------------------------------------------------------------


def test_parse_normalises_ids_and_numbers():
    item_id = str(uuid.uuid4()).upper()
    (op,) = parse_ops({"op": "create", "item": {"id": item_id, "kind": "text", "x": 3}})
    assert op["item"]["id"] == item_id.lower()
    assert op["item"]["x"] == 3.0 and isinstance(op["item"]["x"], float)
    assert op["item"]["opacity"] == 1.0 and op["item"]["props"] == {}
    assert op["item"]["asset"] is None


@pytest.mark.parametrize(
    "bad_op",
    [
        {"op": "move", "id": str(uuid.uuid4())},
        {"op": "update", "id": "not-a-uuid", "set": {"x": 1}},
        {"op": "update", "id": str(uuid.uuid4()), "set": {}},
        {"op": "update", "id": str(uuid.uuid4()), "set": {"opacity": 1.5}},
        {"op": "update", "id": str(uuid.uuid4()), "set": {"opacity": -0.1}},
        {"op": "update", "id": str(uuid.uuid4()), "set": {"x": True}},
        {"op": "update", "id": str(uuid.uuid4()), "set": {"x": "12"}},
        {"op": "update", "id": str(uuid.uuid4()), "set": {"z": 1e300 * 10}},
        {"op": "update", "id": str(uuid.uuid4()), "set": {"width": -1}},
        {"op": "update", "id": str(uuid.uuid4()), "set": {"hidden": 1}},
        {"op": "update", "id": str(uuid.uuid4()), "set": {"name": "n" * 201}},
        {"op": "update", "id": str(uuid.uuid4()), "set": {"kind": "image"}},
        {"op": "update", "id": str(uuid.uuid4()), "set": {"anchor_role": "mood"}},
        {"op": "update", "id": str(uuid.uuid4()), "set": {"props": []}},
        {"op": "update", "id": str(uuid.uuid4()), "set": {"props": {"t": "x" * 20_000}}},
        {"op": "create", "item": {"id": str(uuid.uuid4()), "kind": "video"}},
        {"op": "create", "item": {"id": str(uuid.uuid4()), "kind": "image"}},
        {"op": "create", "item": {"id": str(uuid.uuid4()), "kind": "frame", "extra": 1}},
        {"op": "create", "item": {"kind": "frame"}},
        "delete everything",
    ],
)
def test_invalid_operations_are_bad_messages_naming_the_batch(bad_op):
    with pytest.raises(protocol.ProtocolError) as info:
        parse_ops(create(), bad_op, batch_id="b-7")
    assert info.value.code == "bad_message"
    assert info.value.batch_id == "b-7"
    assert "ops[1]" in info.value.message


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        '{"type": 3}',
        '{"type": "shout"}',
        '{"type": "sync", "since": -1}',
        '{"type": "sync", "since": true}',
        '{"type": "ops", "batch_id": "", "ops": []}',
        '{"type": "ops", "batch_id": "b", "ops": []}',
        '{"type": "presence", "cursor": {"x": NaN, "y": 0}, "selection": []}',
        '{"type": "presence", "cursor": {"x": Infinity, "y": 0}, "selection": []}',
        '{"type": "presence", "cursor": null, "selection": ["x"]}',
        '{"type": "presence", "cursor": null, "selection": [], "hidden": "yes"}',
    ],
)
def test_malformed_messages_are_bad_messages(text):
    with pytest.raises(protocol.ProtocolError) as info:
        protocol.parse_client_message(text)
    assert info.value.code == "bad_message"


def test_batch_size_limits():
    ops = [create() for _ in range(protocol.MAX_OPS_PER_BATCH)]
    assert len(parse_ops(*ops)) == protocol.MAX_OPS_PER_BATCH
    with pytest.raises(protocol.ProtocolError):
        parse_ops(*ops, create())


def test_oversized_message_is_message_too_large():
    text = json.dumps({"type": "ping", "pad": "x" * protocol.MAX_MESSAGE_BYTES})
    with pytest.raises(protocol.MessageTooLarge) as info:
        protocol.parse_client_message(text)
    assert info.value.code == "message_too_large"
    # Multi-byte characters count as bytes, not characters.
    text = json.dumps({"type": "ping", "pad": "é" * (protocol.MAX_MESSAGE_BYTES // 2)})
    with pytest.raises(protocol.MessageTooLarge):
        protocol.parse_client_message(text)


# --- apply_batch ---------------------------------------------------------------------------


def test_batch_gets_one_revision_stamps_items_logs_and_touches_board(board, owner):
    before = Board.objects.get(pk=board.pk).last_activity_at
    a, b = create("frame", name="Hero", x=10), create("text", props={"text": "hi"})
    revision, applied = apply_batch(board.pk, owner, parse_ops(a, b))
    assert revision == 1
    board.refresh_from_db()
    assert board.revision == 1 and board.last_activity_at >= before
    items = {str(i.pk): i for i in Item.objects.filter(board=board)}
    assert items[a["item"]["id"]].name == "Hero" and items[a["item"]["id"]].x == 10
    assert items[b["item"]["id"]].props == {"text": "hi"}
    assert {i.revision for i in items.values()} == {1}
    log = BoardOperation.objects.get(board=board)
    assert log.revision == 1 and log.actor == owner and log.ops == applied
    assert [op["op"] for op in applied] == ["create", "create"]

    revision, _ = apply_batch(board.pk, owner, parse_ops(update(a["item"]["id"], x=20)))
    assert revision == 2
    assert Item.objects.get(pk=a["item"]["id"]).revision == 2
    assert Item.objects.get(pk=b["item"]["id"]).revision == 1


def test_last_writer_wins_per_property(board, owner):
    a = create("frame", x=1, y=1)
    apply_batch(board.pk, owner, parse_ops(a))
    item_id = a["item"]["id"]
    apply_batch(board.pk, owner, parse_ops(update(item_id, x=5)))  # one user moves x
    apply_batch(board.pk, owner, parse_ops(update(item_id, y=7, name="B")))  # another: y
    apply_batch(board.pk, owner, parse_ops(update(item_id, x=9)))  # later x wins
    row = Item.objects.get(pk=item_id)
    assert (row.x, row.y, row.name) == (9, 7, "B")


def test_invalid_op_rejects_the_whole_batch(board, owner):
    a = create("frame", name="Keep")
    apply_batch(board.pk, owner, parse_ops(a))
    item_id = a["item"]["id"]
    new = create("frame", name="New")
    ops = parse_ops(update(item_id, name="Changed"), new, update(str(uuid.uuid4()), x=1))
    with pytest.raises(OperationRejected) as info:
        apply_batch(board.pk, owner, ops)
    assert info.value.code == "item_not_found" and "Change 3" in info.value.message
    assert Item.objects.get(pk=item_id).name == "Keep"
    assert not Item.objects.filter(pk=new["item"]["id"]).exists()
    assert Board.objects.get(pk=board.pk).revision == 1
    assert BoardOperation.objects.filter(board=board).count() == 1


def test_items_and_assets_of_other_boards_are_refused(board, owner):
    other = factories.make_board(owner=owner, name="Other")
    foreign = create("frame")
    apply_batch(other.pk, owner, parse_ops(foreign))
    foreign_id = foreign["item"]["id"]
    for ops in (
        parse_ops(update(foreign_id, x=1)),
        parse_ops(delete(foreign_id)),
        parse_ops({"op": "create", "item": {"id": foreign_id, "kind": "frame"}}),
    ):
        with pytest.raises(OperationRejected):
            apply_batch(board.pk, owner, ops)
    assert Item.objects.get(pk=foreign_id).board_id == other.pk
    assert Item.objects.get(pk=foreign_id).x == 0

    foreign_asset = make_asset(other)
    with pytest.raises(OperationRejected) as info:
        apply_batch(board.pk, owner, parse_ops(create("image", asset=foreign_asset)))
    assert info.value.code == "asset_not_found"
    own_asset = make_asset(board)
    image = create("image", asset=own_asset, width=640, height=480)
    apply_batch(board.pk, owner, parse_ops(image))
    assert Item.objects.get(pk=image["item"]["id"]).asset == own_asset


def test_delete_then_restore_by_create(board, owner):
    a = create("frame", name="Sky", x=3)
    apply_batch(board.pk, owner, parse_ops(a))
    item_id = a["item"]["id"]
    apply_batch(board.pk, owner, parse_ops(delete(item_id)))
    assert Item.objects.get(pk=item_id).deleted
    for ops in (parse_ops(update(item_id, x=1)), parse_ops(delete(item_id))):
        with pytest.raises(OperationRejected) as info:
            apply_batch(board.pk, owner, ops)
        assert info.value.code == "item_deleted"
    with pytest.raises(OperationRejected):  # live ids cannot be created twice
        apply_batch(board.pk, owner, parse_ops(create("frame"), create("text", id=item_id)))
    with pytest.raises(OperationRejected):  # a restore keeps the kind
        apply_batch(board.pk, owner, parse_ops({"op": "create", "item": item("text", id=item_id)}))
    revision, _ = apply_batch(board.pk, owner, parse_ops({"op": "create", "item": a["item"]}))
    row = Item.objects.get(pk=item_id)
    assert not row.deleted and row.name == "Sky" and row.x == 3 and row.revision == revision


def test_create_then_update_in_one_batch(board, owner):
    a = create("frame")
    item_id = a["item"]["id"]
    revision, _ = apply_batch(
        board.pk, owner, parse_ops(a, update(item_id, z=4.5), delete(item_id))
    )
    row = Item.objects.get(pk=item_id)
    assert row.deleted and row.z == 4.5 and row.revision == revision == 1


def test_archived_board_refuses_edits(board, owner):
    Board.objects.filter(pk=board.pk).update(archived_at=timezone.now())
    with pytest.raises(OperationRejected) as info:
        apply_batch(board.pk, owner, parse_ops(create()))
    assert info.value.code == "board_archived"
    assert not Item.objects.filter(board=board).exists()


def test_log_keeps_only_the_newest_batches(board, owner, settings):
    settings.ANCHORBOARD_OPERATION_LOG_SIZE = 5
    a = create("frame")
    apply_batch(board.pk, owner, parse_ops(a))
    for x in range(7):
        apply_batch(board.pk, owner, parse_ops(update(a["item"]["id"], x=x)))
    revisions = list(BoardOperation.objects.filter(board=board).values_list("revision", flat=True))
    assert revisions == [4, 5, 6, 7, 8]
    assert documents.catchup(board, 3) is not None  # 4..8 are all there
    assert documents.catchup(board, 2) is None  # 3 is gone → snapshot


def test_broadcast_happens_after_commit_and_never_for_rejected_batches(
    board, owner, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    listener = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(realtime.board_group(board.pk), listener)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(OperationRejected):
        apply_batch(board.pk, owner, parse_ops(update(str(uuid.uuid4()), x=1)))
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        revision, applied = apply_batch(
            board.pk, owner, parse_ops(create("text")), sender_channel="me"
        )
    assert callbacks  # queued, not sent, until the transaction commits
    for callback in callbacks:
        callback()
    event = async_to_sync(layer.receive)(listener)
    assert event["type"] == realtime.APPLIED_EVENT and event["sender"] == "me"
    assert event["batch"]["revision"] == revision == 1
    assert event["batch"]["actor"] == {"id": owner.pk, "name": "olive"}
    assert event["batch"]["ops"] == applied


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_get_gapless_unique_revisions():
    """Threads racing on one board: the row lock (PostgreSQL) or the write lock (SQLite's
    IMMEDIATE transactions) hands out each revision exactly once."""
    owner = factories.make_user("racer")
    board = factories.make_board(owner=owner)
    seed = create("frame")
    apply_batch(board.pk, owner, parse_ops(seed))
    item_id = seed["item"]["id"]
    results: list[int] = []
    failures: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for step in range(5):
                revision, _ = apply_batch(
                    board.pk, owner, parse_ops(update(item_id, x=offset * 10 + step))
                )
                results.append(revision)
        except BaseException as exc:  # reported below, not swallowed
            failures.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(results) == list(range(2, 17))
    board.refresh_from_db()
    assert board.revision == 16
    assert list(
        BoardOperation.objects.filter(board=board).values_list("revision", flat=True)
    ) == list(range(1, 17))
    last = BoardOperation.objects.get(board=board, revision=16).ops[0]["set"]["x"]
    assert Item.objects.get(pk=item_id).x == last and not math.isnan(last)


def test_item_payload_is_exactly_item_data(board, owner):
    from assets.presenters import canvas_asset

    asset = make_asset(board, width=1024, height=768, levels=(256, 1024))
    image = create("image", asset=asset, width=1024, height=768, anchor_role="palette", z=2)
    revision, _ = apply_batch(board.pk, owner, parse_ops(image))
    payload = documents.item_payload(Item.objects.get(pk=image["item"]["id"]))
    assert payload == {
        "id": image["item"]["id"],
        "kind": "image",
        "name": "",
        "asset": canvas_asset(asset),
        "x": 0.0,
        "y": 0.0,
        "width": 1024.0,
        "height": 768.0,
        "rotation": 0.0,
        "opacity": 1.0,
        "z": 2.0,
        "hidden": False,
        "locked": False,
        "anchor_role": "palette",
        "props": {},
        "revision": revision,
    }
    assert payload["asset"]["levels"] == [256, 1024]
    assert payload["asset"]["original_url"].endswith(f"/{asset.blob_id}/original")
    snapshot = documents.snapshot(board)
    assert snapshot == {"type": "snapshot", "revision": 1, "items": [payload]}


def test_a_resent_batch_is_acknowledged_not_applied_twice(board, owner):
    """After a dropped connection a client resends unacknowledged batches by batch_id."""
    editor = factories.make_user("eddie")
    seed = create("frame", x=0)
    item_id = seed["item"]["id"]
    apply_batch(board.pk, owner, parse_ops(seed), batch_id="seed")
    first = apply_batch(board.pk, owner, parse_ops(update(item_id, x=5)), batch_id="move")
    apply_batch(board.pk, editor, parse_ops(update(item_id, x=9)), batch_id="move")  # later
    again = apply_batch(board.pk, owner, parse_ops(update(item_id, x=5)), batch_id="move")
    assert again == first == (2, [{"op": "update", "id": item_id, "set": {"x": 5.0}}])
    assert Item.objects.get(pk=item_id).x == 9  # the later writer still wins
    assert Board.objects.get(pk=board.pk).revision == 3
    # Without a batch_id (internal callers) every call is a new batch.
    apply_batch(board.pk, owner, parse_ops(update(item_id, x=5)))
    assert Board.objects.get(pk=board.pk).revision == 4


def test_a_failing_channel_layer_does_not_fail_the_committed_batch(
    board, owner, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    class BrokenLayer:
        async def group_send(self, group, message):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(realtime, "get_channel_layer", lambda: BrokenLayer())
    with django_capture_on_commit_callbacks(execute=True):
        revision, _ = apply_batch(board.pk, owner, parse_ops(create("frame")))
    assert revision == 1 and Board.objects.get(pk=board.pk).revision == 1
    assert "could not send board.applied" in caplog.text
