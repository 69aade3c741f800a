"""Runs of batches (apply_batches): the board writer applies whatever queued up for a board
in one transaction. A run must end exactly where the same batches applied one at a time
end: same outcomes, same revisions (gapless), same items, same operation log."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from canvas import protocol
from canvas.boards.operations import BatchRequest, BatchResult, apply_batch, apply_batches
from canvas.models import Board, BoardOperation, Item
from foundation.errors import AppError
from tests import factories
from tests.wsclient import create, delete, parse_ops, update

pytestmark = pytest.mark.django_db


class Script:
    """Random batches a few editors might send: drags (many updates of one item), restyles,
    creates, deletes, restores, batches that no longer fit (an update of a deleted item, a
    bad operation in the middle of a batch) and resends of a batch already sent."""

    def __init__(self, seed: int, users: list[Any]) -> None:
        self.random = random.Random(seed)
        self.users = users
        self.live: list[str] = []
        self.dead: list[str] = []
        self.sent: list[tuple[Any, str, list[dict[str, Any]]]] = []

    def batches(self, count: int) -> list[tuple[Any, str, list[dict[str, Any]]]]:
        return [self._next(n) for n in range(count)]

    def _next(self, n: int) -> tuple[Any, str, list[dict[str, Any]]]:
        rnd = self.random
        roll = rnd.random()
        if roll < 0.04 and self.sent:
            return rnd.choice(self.sent)  # a resend: same user, batch_id and operations
        user = rnd.choice(self.users)
        if roll < 0.15 or len(self.live) < 3:
            ops = [create("frame", x=rnd.uniform(0, 100)) for _ in range(rnd.randint(1, 3))]
            self.live += [op["item"]["id"] for op in ops]
        elif roll < 0.60:  # a drag: the same item moved again and again
            ops = [update(self.live[-1], x=n * 1.5, y=-n)]
        elif roll < 0.75:
            ops = [
                update(rnd.choice(self.live), opacity=round(rnd.random(), 2), name=f"n{n}")
                for _ in range(rnd.randint(1, 3))
            ]
        elif roll < 0.83:
            victim = self.live.pop(rnd.randrange(len(self.live)))
            self.dead.append(victim)
            ops = [delete(victim)]
        elif roll < 0.88 and self.dead:  # restore by creating it again, then move it
            back = self.dead.pop()
            self.live.append(back)
            ops = [{"op": "create", "item": {"id": back, "kind": "frame"}}, update(back, z=n)]
        elif roll < 0.94 and self.dead:  # no longer fits: that item was deleted
            ops = [update(rnd.choice(self.dead), x=1)]
        else:  # fits, then does not: the whole batch must change nothing
            ops = [update(rnd.choice(self.live), x=-n), update(str(uuid.uuid4()), x=1)]
        batch = (user, f"b{n}", ops)
        self.sent.append(batch)
        return batch


def outcome_key(outcome: BatchResult | AppError) -> tuple:
    if isinstance(outcome, AppError):
        return ("refused", outcome.code)
    return ("applied", outcome.revision, json.dumps(outcome.applied, sort_keys=True))


def board_state(board: Board) -> tuple:
    fields = [*protocol.ITEM_DEFAULTS, "deleted", "revision", "kind"]
    items = {
        str(item.pk): tuple(getattr(item, name) for name in fields)
        for item in Item.objects.filter(board=board)
    }
    log = [
        (row.revision, row.actor_id, row.batch_id, json.dumps(row.ops, sort_keys=True))
        for row in BoardOperation.objects.filter(board=board).order_by("revision")
    ]
    return Board.objects.get(pk=board.pk).revision, items, log


def remap(batches, ids: dict[str, str]):
    """The same batches for another board: every item id replaced (ids are global)."""

    def new(old: str) -> str:
        return ids.setdefault(old, str(uuid.uuid4()))

    def op(o: dict[str, Any]) -> dict[str, Any]:
        if o["op"] == "create":
            return {**o, "item": {**o["item"], "id": new(o["item"]["id"])}}
        return {**o, "id": new(o["id"])}

    return [(user, batch_id, [op(o) for o in ops]) for user, batch_id, ops in batches]


def unmap(state: tuple, ids: dict[str, str]) -> tuple:
    back = {new: old for old, new in ids.items()}
    revision, items, log = state
    text = [(r, a, b, ops) for r, a, b, ops in log]
    for old, new in ids.items():
        text = [(r, a, b, ops.replace(new, old)) for r, a, b, ops in text]
    return revision, {back[key]: value for key, value in items.items()}, text


@pytest.mark.parametrize("run_size", [2, 7, 50])
def test_runs_end_exactly_where_one_batch_at_a_time_ends(run_size):
    users = [factories.make_user(f"ed{n}") for n in range(3)]
    one_by_one = factories.make_board(owner=users[0], name="Single")
    in_runs = factories.make_board(owner=users[0], name="Runs")
    batches = Script(seed=run_size, users=users).batches(150)
    ids: dict[str, str] = {}
    mapped = remap(batches, ids)

    singles = []
    for user, batch_id, ops in batches:
        try:
            singles.append(apply_batch(one_by_one.pk, user, parse_ops(ops), batch_id=batch_id))
        except AppError as exc:
            singles.append(exc)
    runs: list[BatchResult | AppError] = []
    for start in range(0, len(mapped), run_size):
        chunk = mapped[start : start + run_size]
        requests = [
            BatchRequest(user, parse_ops(ops), None, batch_id) for user, batch_id, ops in chunk
        ]
        runs += apply_batches(in_runs.pk, requests)

    def key(outcome):
        return outcome_key(BatchResult(*outcome) if isinstance(outcome, tuple) else outcome)

    expected = [key(o) for o in singles]
    assert [unmap_key(key(o), ids) for o in runs] == expected
    refused = [k for k in expected if k[0] == "refused"]
    assert refused and len(refused) < len(expected)  # the script exercised both
    single_state = board_state(one_by_one)
    assert unmap(board_state(in_runs), ids) == single_state
    revision, _, log = single_state
    assert [row[0] for row in log] == list(range(1, revision + 1))  # gapless


def unmap_key(key: tuple, ids: dict[str, str]) -> tuple:
    if key[0] != "applied":
        return key
    text = key[2]
    for old, new in ids.items():
        text = text.replace(new, old)
    return (key[0], key[1], text)


def test_a_refused_batch_in_a_run_changes_nothing_and_takes_no_revision():
    owner = factories.make_user("olive")
    board = factories.make_board(owner=owner)
    a = create("frame", name="Keep")
    item = a["item"]["id"]
    outcomes = apply_batches(
        board.pk,
        [
            BatchRequest(owner, parse_ops([a])),
            BatchRequest(
                owner, parse_ops([update(item, name="Lost"), update(str(uuid.uuid4()), x=1)])
            ),
            BatchRequest(owner, parse_ops([update(item, x=5)])),
        ],
    )
    assert isinstance(outcomes[0], BatchResult) and outcomes[0].revision == 1
    assert isinstance(outcomes[1], AppError) and outcomes[1].code == "item_not_found"
    assert isinstance(outcomes[2], BatchResult) and outcomes[2].revision == 2
    row = Item.objects.get(pk=item)
    assert (row.name, row.x, row.revision) == ("Keep", 5, 2)
    assert list(BoardOperation.objects.filter(board=board).values_list("revision", flat=True)) == [
        1,
        2,
    ]


def test_a_drag_in_one_run_writes_the_item_once_with_only_what_changed():
    """50 moves of one item queued together: one UPDATE of that item, setting x, y and the
    bookkeeping columns only, and still one log row (and revision) per batch."""
    owner = factories.make_user("olive")
    board = factories.make_board(owner=owner)
    a = create("frame", name="Dragged")
    apply_batch(board.pk, owner, parse_ops([a]))
    item = a["item"]["id"]
    drag = [BatchRequest(owner, parse_ops([update(item, x=n, y=-n)])) for n in range(50)]
    with CaptureQueriesContext(connection) as queries:
        outcomes = apply_batches(board.pk, drag)
    assert [o.revision for o in outcomes if isinstance(o, BatchResult)] == list(range(2, 52))
    # One statement, run for one row (Django logs a prepared statement as "N times: …").
    writes = [q["sql"] for q in queries if 'UPDATE "canvas_item"' in q["sql"]]
    assert len(writes) == 1 and writes[0].startswith("1 times: ")
    assert '"x"' in writes[0] and '"y"' in writes[0] and '"name"' not in writes[0]
    row = Item.objects.get(pk=item)
    assert (row.x, row.y, row.name, row.revision) == (49, -49, "Dragged", 51)
    assert BoardOperation.objects.filter(board=board).count() == 51


def test_a_batch_resent_within_the_same_run_applies_once():
    owner = factories.make_user("olive")
    board = factories.make_board(owner=owner)
    a = create("frame")
    outcomes = apply_batches(
        board.pk,
        [BatchRequest(owner, parse_ops([a]), batch_id="same")] * 2,
    )
    assert outcomes[0] == outcomes[1] and isinstance(outcomes[0], BatchResult)
    assert Board.objects.get(pk=board.pk).revision == 1
