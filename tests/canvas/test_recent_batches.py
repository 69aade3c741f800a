"""Batches kept in process (canvas.recent_batches) and the wait for ones still on their way.

With several web processes a socket's acknowledgement needs the batches another process
committed just before; their events are still crossing the channel layer. The socket waits
for them (``wait_for``) rather than reading the operation log: on PostgreSQL + Redis those
log reads, one per acknowledgement on the process's one database thread, were what held 20
editors' acknowledgements back (bench/README.md).
"""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from canvas import realtime, recent_batches
from canvas.boards import documents
from canvas.boards.operations import apply_batch
from canvas.boardsocket import consumer as consumers
from canvas.boardsocket import writer as board_writer
from tests import factories
from tests.wsclient import create, open_socket, parse_ops, update

BOARD = "5f0c6a52-8d7e-4a57-9d0c-1f6a4e1b2c3d"


def batch(revision: int) -> dict:
    return {"revision": revision, "actor": None, "ops": []}


async def test_a_waiter_wakes_when_the_batches_it_needs_arrive_from_another_thread():
    board = f"{BOARD[:-4]}0001"
    recent_batches.remember(board, [batch(1)])
    waiting = asyncio.ensure_future(recent_batches.wait_for(board, 1, 3, timeout=60))
    while not recent_batches._waiters.get(board):  # the task registers on its first step
        await asyncio.sleep(0)
    await asyncio.to_thread(recent_batches.remember, board, [batch(3)])  # out of order
    assert not waiting.done()
    await asyncio.to_thread(recent_batches.remember, board, [batch(2)])  # as a lane does
    assert await waiting is True
    assert recent_batches.frames_between(board, 1, 3, lambda b: str(b["revision"])) == ["2", "3"]


async def test_batches_older_than_the_kept_ones_are_not_waited_for():
    """Dropped from the window (or before this process knew the board): they never come,
    so the caller reads the log at once. A wrong wait here hangs until the test's timeout."""
    board = f"{BOARD[:-4]}0002"
    recent_batches.remember(board, [batch(r) for r in range(10, 20)])
    assert await recent_batches.wait_for(board, 4, 12, timeout=3600) is False
    assert await recent_batches.wait_for(board, 12, 19, timeout=3600) is True


async def test_a_batch_that_never_comes_ends_the_wait():
    board = f"{BOARD[:-4]}0003"
    recent_batches.remember(board, [batch(1)])
    assert await recent_batches.wait_for(board, 1, 2, timeout=0.01) is False
    assert not recent_batches._waiters.get(board)  # nothing left behind


@pytest.fixture
def other_process(monkeypatch):
    """Commit batches as another web process would: in the database, with their event held
    back (still crossing the channel layer) and not kept in this process. ``release`` then
    sends the held events to the board's group, as the other process's broadcast."""
    held: list[tuple[str, dict]] = []

    def commit(board, user, ops):
        with monkeypatch.context() as patch:
            patch.setattr(recent_batches, "remember", lambda *args, **kwargs: None)
            patch.setattr(realtime, "send_group_now", lambda *event: held.append(event))
            return apply_batch(board.pk, user, parse_ops(ops))[0]

    def release():
        for group, event in held:
            realtime.send_group_now(group, event)
        held.clear()

    return commit, release


@pytest.mark.django_db(transaction=True)
async def test_an_ack_waits_for_another_process_batch_instead_of_reading_the_log(
    other_process, monkeypatch
):
    commit, release = other_process
    owner = await database_sync_to_async(factories.make_user)("olive")
    board = await database_sync_to_async(factories.make_board)(owner=owner)
    first = create("frame")
    await database_sync_to_async(apply_batch)(board.pk, owner, parse_ops([first]))
    sock, _ = await open_socket(board, owner)
    assert (await sock.sync(None))["revision"] == 1
    log_reads = []
    monkeypatch.setattr(documents, "batches_between", lambda *a: log_reads.append(a) or [])
    other = await database_sync_to_async(commit)(board, owner, [update(first["item"]["id"], x=7)])
    assert other == 2

    # The other process's event arrives just after this socket's own batch committed: when
    # the acknowledgement is prepared, revision 2 is not here yet.
    settle = board_writer._settle

    def settle_then_release(job, outcome):
        settle(job, outcome)
        release()  # from the lane's thread, queued behind the settle on the server loop

    monkeypatch.setattr(board_writer, "_settle", settle_then_release)
    await sock.send({"type": "ops", "batch_id": "mine", "ops": [create("frame")]})
    applied = await sock.recv()
    assert (applied["type"], applied["revision"], applied["ops"][0]["set"]) == (
        "applied",
        2,
        {"x": 7},
    )
    assert await sock.recv() == {"type": "ack", "batch_id": "mine", "revision": 3}
    assert log_reads == []
    await sock.close()


@pytest.mark.django_db(transaction=True)
async def test_a_lost_event_is_read_from_the_log_after_the_wait(other_process, monkeypatch):
    commit, _release = other_process
    monkeypatch.setattr(consumers, "ARRIVAL_WAIT_S", 0.05)
    owner = await database_sync_to_async(factories.make_user)("olive")
    board = await database_sync_to_async(factories.make_board)(owner=owner)
    sock, _ = await open_socket(board, owner)
    assert (await sock.sync(None))["revision"] == 0
    await database_sync_to_async(commit)(board, owner, [create("frame", name="lost")])
    await sock.send({"type": "ops", "batch_id": "mine", "ops": [create("frame")]})
    applied = await sock.recv()
    assert (applied["type"], applied["revision"]) == ("applied", 1)
    assert applied["ops"][0]["item"]["name"] == "lost"
    assert await sock.recv() == {"type": "ack", "batch_id": "mine", "revision": 2}
    await sock.close()
