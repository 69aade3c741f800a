"""The board writer (canvas.boardsocket.writer): sockets' batches applied on lanes that keep their
own database connection and put whatever queued up for a board into one transaction."""

from __future__ import annotations

import asyncio
import re
import threading
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test.utils import CaptureQueriesContext

from canvas.boards import documents
from canvas.boards.operations import BatchRequest, apply_batch, apply_batches
from canvas.boardsocket import writer as board_writer
from canvas.models import Board, BoardMember, BoardOperation, Item, Role
from tests import factories
from tests.wsclient import create, open_socket, parse_ops, update

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def seeded_board(items: int):
    owner = factories.make_user("olive")
    board = factories.make_board(owner=owner)
    frames = [create("frame") for _ in range(items)]
    apply_batch(board.pk, owner, parse_ops(frames))
    return owner, board, [op["item"]["id"] for op in frames]


@database_sync_to_async
def log_and_items(board):
    revisions = list(
        BoardOperation.objects.filter(board=board)
        .order_by("revision")
        .values_list("revision", flat=True)
    )
    items = {str(i.pk): (i.x, i.revision) for i in Item.objects.filter(board=board)}
    return Board.objects.get(pk=board.pk).revision, revisions, items


async def test_sockets_sending_at_once_get_gapless_revisions_each_in_its_own_order():
    """Ten sockets send ten moves each, as fast as they are acknowledged: every batch gets
    its own revision, each socket's in the order it sent them, none lost or doubled."""
    owner, board, items = await seeded_board(10)

    async def socket(number: int) -> list[int]:
        got = []
        for step in range(10):
            request = BatchRequest(
                owner, parse_ops([update(items[number], x=step)]), batch_id=f"s{number}-{step}"
            )
            got.append((await board_writer.apply(board.pk, request)).revision)
        return got

    per_socket = await asyncio.gather(*(socket(n) for n in range(10)))
    for revisions in per_socket:
        assert revisions == sorted(revisions)
    assert sorted(r for revisions in per_socket for r in revisions) == list(range(2, 102))
    revision, logged, state = await log_and_items(board)
    assert revision == 101 and logged == list(range(1, 102))
    for number, revisions in enumerate(per_socket):
        assert state[items[number]] == (9, revisions[-1])


async def test_a_refused_batch_is_raised_to_its_socket_alone():
    owner, board, items = await seeded_board(1)
    good = BatchRequest(owner, parse_ops([update(items[0], x=5)]), batch_id="good")
    bad = BatchRequest(owner, parse_ops([update(items[0], x=1), create("frame", id=items[0])]))
    results = await asyncio.gather(
        board_writer.apply(board.pk, bad),
        board_writer.apply(board.pk, good),
        return_exceptions=True,
    )
    assert getattr(results[0], "code", None) == "item_exists"
    assert results[1].revision == 2
    assert (await log_and_items(board))[2][items[0]] == (5, 2)


async def test_a_lane_keeps_its_database_connection(monkeypatch):
    """Sockets used to open a new connection for every batch (13 ms on SQLite)."""
    opened: list[str] = []
    connect = BaseDatabaseWrapper.connect

    def counting_connect(self):
        opened.append(threading.current_thread().name)
        return connect(self)

    monkeypatch.setattr(BaseDatabaseWrapper, "connect", counting_connect)
    owner, board, items = await seeded_board(1)
    for step in range(20):
        request = BatchRequest(owner, parse_ops([update(items[0], x=step)]), batch_id=f"m{step}")
        await board_writer.apply(board.pk, request)
    lanes = [name for name in opened if name.startswith(board_writer.LANE_PREFIX)]
    assert len(lanes) == 1  # the board's lane connected once for all 20 batches


@pytest.mark.postgres
@pytest.mark.parametrize("check_after_idle", [0.0, 1e9], ids=["health-check", "retry"])
async def test_a_lane_survives_the_database_dropping_its_connection(monkeypatch, check_after_idle):
    """What a database restart does to a long-lived connection: the server ends it. The
    lane either notices before use (idle health check) or retries the run once on a new
    connection; either way the batch applies exactly once."""
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL (set DATABASE_URL): SQLite has no server to drop it.")
    monkeypatch.setattr(board_writer, "CHECK_AFTER_IDLE_SECONDS", check_after_idle)
    owner, board, items = await seeded_board(1)
    first = BatchRequest(owner, parse_ops([update(items[0], x=1)]), batch_id="before")
    assert (await board_writer.apply(board.pk, first)).revision == 2

    @database_sync_to_async
    def drop_the_lanes_connection() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name LIKE %s",
                [f"{board_writer.LANE_PREFIX}%"],
            )
            return cursor.fetchone()[0]

    assert await drop_the_lanes_connection() == 1
    after = BatchRequest(owner, parse_ops([update(items[0], x=2)]), batch_id="after")
    assert (await board_writer.apply(board.pk, after)).revision == 3
    revision, logged, state = await log_and_items(board)
    assert (revision, logged, state[items[0]]) == (3, [1, 2, 3], (2, 3))


@pytest.fixture
def held_writer(monkeypatch):
    """The writer with its first run held until ``release()``; ``runs`` records how many
    batches each run carried."""
    runs: list[int] = []
    gate = threading.Event()
    apply = board_writer.apply_batches

    def held(board_id, requests):
        runs.append(len(requests))
        if len(runs) == 1:
            gate.wait(30)
        return apply(board_id, requests)

    monkeypatch.setattr(board_writer, "apply_batches", held)
    return runs, gate.set


async def until(check) -> None:
    """Until ``check()`` holds (a bounded wait on the writer's thread, not a sleep)."""
    deadline = asyncio.get_running_loop().time() + 10
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "the writer never got there"
        await asyncio.sleep(0.01)


def queued() -> int:
    """Batches waiting on the lanes (behind the held run)."""
    return sum(lane.jobs.qsize() for lane in board_writer._lanes)


async def test_a_socket_queues_its_next_batches_while_one_is_applied(held_writer):
    """A socket does not wait for its batch before reading its next message: what it sent
    meanwhile goes into the writer's next run together. One batch per socket at a time had
    capped a run at one batch per socket, and so a busy board at sockets ÷ transaction
    time (bench/README.md, pg2)."""
    runs, release = held_writer
    owner, board, items = await seeded_board(1)
    sock, _ = await open_socket(board, owner)
    await sock.sync(None)
    for step in range(3):
        await sock.send({"type": "ops", "batch_id": f"m{step}", "ops": [update(items[0], x=step)]})
        await until(lambda n=step: runs and queued() == n)  # m0 held; m1, m2 queue behind
    release()
    acks = [await sock.recv() for _ in range(3)]
    assert acks == [
        {"type": "ack", "batch_id": f"m{step}", "revision": 2 + step} for step in range(3)
    ]
    assert runs[-2:] == [1, 2]  # the held run, then both batches that queued behind it
    await sock.close()


async def test_acks_and_other_sockets_batches_keep_revision_order(held_writer):
    """Batches of two sockets interleaved on the writer: each socket sees every revision
    once and in order — its own as an ``ack``, the other's as ``applied``."""
    runs, release = held_writer
    owner, board, items = await seeded_board(2)
    editor = await database_sync_to_async(factories.make_user)("eddie")
    await database_sync_to_async(BoardMember.objects.create)(
        board=board, user=editor, role=Role.EDITOR
    )
    alice, _ = await open_socket(board, owner)
    bob, _ = await open_socket(board, editor)
    await alice.sync(None)
    await bob.sync(None)
    await alice.send({"type": "ops", "batch_id": "a1", "ops": [update(items[0], x=1)]})
    await until(lambda: runs)  # a1 is held
    await bob.send({"type": "ops", "batch_id": "b1", "ops": [update(items[1], x=1)]})
    await until(lambda: queued() == 1)
    await alice.send({"type": "ops", "batch_id": "a2", "ops": [update(items[0], x=2)]})
    await until(lambda: queued() == 2)
    release()
    seen = {}
    for name, sock in (("alice", alice), ("bob", bob)):
        got = [await sock.recv() for _ in range(3)]
        seen[name] = [(m["type"], m["revision"], m.get("batch_id")) for m in got]
    assert seen["alice"] == [("ack", 2, "a1"), ("applied", 3, None), ("ack", 4, "a2")]
    assert seen["bob"] == [("applied", 2, None), ("ack", 3, "b1"), ("applied", 4, None)]
    for sock in (alice, bob):
        await sock.close()


# --- Round trips per run -----------------------------------------------------------------------


def statements(queries) -> list[str]:
    """The data statements of a run as "VERB table" (transaction control left out: BEGIN
    and COMMIT or savepoints depend on the backend and the test's transaction)."""
    described = []
    for query in queries:
        sql = query["sql"].split(" times: ", 1)[-1]  # executemany: "N times: …"
        verb = sql.split(None, 1)[0].upper()
        if verb in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
            continue
        table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)', sql, re.IGNORECASE)
        described.append(f"{verb} {table.group(1) if table else '?'}")
    return described


def run_of_moves(owner, items, tag: str, count: int) -> list[BatchRequest]:
    return [
        BatchRequest(owner, parse_ops([update(items[n % len(items)], x=n)]), batch_id=f"{tag}{n}")
        for n in range(count)
    ]


@pytest.mark.parametrize("batches", [1, 20])
def test_a_run_of_moves_costs_the_same_few_statements_however_many_batches(batches, settings):
    """The writer's run on a warm board, on PostgreSQL: lock + revision bump (one UPDATE …
    RETURNING), the resend check, the items read, the items written, the log rows inserted.
    Each further
    statement is a round trip per run (30 ms each when PostgreSQL is busy, bench/README.md);
    the log is trimmed only every ``size // 16`` batches, not in every run."""
    settings.ANCHORBOARD_OPERATION_LOG_SIZE = 1000
    owner, board, items = async_to_sync(seeded_board)(4)
    apply_batches(board.pk, run_of_moves(owner, items, "warm", 3))  # revision 1 → 4
    with CaptureQueriesContext(connection) as run:
        outcomes = apply_batches(board.pk, run_of_moves(owner, items, "m", batches))
    assert [o.revision for o in outcomes] == list(range(5, 5 + batches))
    if connection.vendor == "postgresql":
        lock, bump = ["UPDATE canvas_board"], []  # … SET revision = revision + n … RETURNING *
    else:  # SQLite: BEGIN IMMEDIATE holds the lock; the board row is written last
        lock, bump = ["SELECT canvas_board"], ["UPDATE canvas_board"]
    assert statements(run.captured_queries) == [
        *lock,
        "SELECT canvas_boardoperation",  # resends: batch_ids already in the log
        "SELECT canvas_item",
        "UPDATE canvas_item",  # one prepared statement, executemany
        *bump,
        "INSERT canvas_boardoperation",
    ], [q["sql"][:100] for q in run.captured_queries]
    revision, logged, _ = async_to_sync(log_and_items)(board)
    assert revision == 4 + batches and logged == list(range(1, 5 + batches))


def test_the_log_is_trimmed_every_sixteenth_of_its_size_and_never_below_it(settings):
    """Size 32: a trim every 2 revisions; the log always reaches back ``size`` batches, so
    a client exactly that far behind still gets a catch-up, not a snapshot."""
    settings.ANCHORBOARD_OPERATION_LOG_SIZE = 32
    owner, board, items = async_to_sync(seeded_board)(1)
    deletes, kept = 0, []
    for step in range(60):
        with CaptureQueriesContext(connection) as run:
            apply_batches(board.pk, run_of_moves(owner, items, f"t{step}-", 1))
        deletes += statements(run.captured_queries).count("DELETE canvas_boardoperation")
        revision, logged, _ = async_to_sync(log_and_items)(board)
        assert logged == list(range(logged[0], revision + 1))  # contiguous up to now
        kept.append(len(logged))
        since = max(0, revision - 32)
        assert documents.catchup(Board.objects.get(pk=board.pk), since) is not None
    assert deletes == 30  # revisions 2 … 61: one trim per even revision
    assert min(kept[31:]) == 32 and max(kept) == 33


def test_a_run_where_nothing_applies_writes_nothing():
    """Refused and resent batches take no revision: the bump the run's first statement made
    is rolled back with the rest, and the board's activity time stays."""
    owner, board, items = async_to_sync(seeded_board)(1)
    first = BatchRequest(owner, parse_ops([update(items[0], x=1)]), batch_id="d")
    [done] = apply_batches(board.pk, [first])
    before = Board.objects.get(pk=board.pk)
    refused = BatchRequest(owner, parse_ops([update(str(uuid.uuid4()), x=1)]), batch_id="r")
    resent = BatchRequest(owner, parse_ops([update(items[0], x=1)]), batch_id="d")
    outcomes = apply_batches(board.pk, [refused, resent])
    assert getattr(outcomes[0], "code", None) == "item_not_found"
    assert outcomes[1] == done and done.revision == 2
    after = Board.objects.get(pk=board.pk)
    assert (after.revision, after.last_activity_at) == (before.revision, before.last_activity_at)
    assert async_to_sync(log_and_items)(board)[1] == [1, 2]
    refused_then_applied = apply_batches(board.pk, [refused, *run_of_moves(owner, items, "n", 2)])
    assert [getattr(o, "revision", None) for o in refused_then_applied] == [None, 3, 4]
    assert Board.objects.get(pk=board.pk).revision == 4


async def test_a_batch_resent_after_a_server_restart_is_applied_exactly_once(monkeypatch):
    """A rolling deploy (docs/deploy.md): a web process stops after committing a batch
    but before its ``ack`` reached the browser, which reconnects to a fresh process and
    resends every unacknowledged batch with its ``batch_id``. The new process has nothing
    in memory (no writer lanes, no recent batches): the operation log alone answers the
    resend with the original revision, and it does not undo an edit made since."""
    from canvas import recent_batches

    owner, board, items = await seeded_board(1)
    editor = await database_sync_to_async(factories.make_user)("eddie")
    await database_sync_to_async(BoardMember.objects.create)(
        board=board, user=editor, role=Role.EDITOR
    )
    sock, _ = await open_socket(board, owner)
    await sock.sync(None)
    moved = {"type": "ops", "batch_id": "before-restart", "ops": [update(items[0], x=1)]}
    await sock.send(moved)
    assert await sock.recv() == {"type": "ack", "batch_id": "before-restart", "revision": 2}
    await sock.close()  # the ack is lost with the process; the browser still holds the batch

    # The process ends (its lanes apply what is queued and close) and another one starts.
    board_writer.stop()
    monkeypatch.setattr(recent_batches, "_boards", type(recent_batches._boards)())
    other, _ = await open_socket(board, editor)
    await other.sync(None)
    await other.send({"type": "ops", "batch_id": "since", "ops": [update(items[0], x=7)]})
    assert (await other.recv())["revision"] == 3

    sock, _ = await open_socket(board, owner)
    reply = await sock.sync(1)  # the browser's last known revision
    assert [b["revision"] for b in reply["batches"]] == [2, 3]
    await sock.send(moved)  # resent unchanged, as the client's pending batch
    assert await sock.recv() == {"type": "ack", "batch_id": "before-restart", "revision": 2}
    await sock.send({"type": "ops", "batch_id": "after", "ops": [update(items[0], y=5)]})
    assert await sock.recv() == {"type": "ack", "batch_id": "after", "revision": 4}
    revision, logged, state = await log_and_items(board)
    assert (revision, logged, state[items[0]]) == (4, [1, 2, 3, 4], (7, 4))
    for s in (sock, other):
        await s.close()
