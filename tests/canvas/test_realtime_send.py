"""``realtime.send_group_now``: one way to reach a board's sockets from any thread.

In the embedded shape (in-memory channel layer) a send made on a worker thread's own event
loop reaches the server loop's queues without waking it, so the socket saw job events up to
a second late. These tests pin where the send runs and that every kind of caller is heard,
in order.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import close_old_connections

from canvas import realtime
from canvas.jobs import announce, lifecycle
from canvas.jobs.lifecycle import QUEUED, RUNNING
from canvas.models.jobs import Job
from canvas.sockets import ProtocolConsumer
from tests import factories
from tests.wsclient import open_socket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def board_and_viewer():
    owner = factories.make_user("olive")
    viewer = factories.make_user("vera")
    return factories.make_board(owner=owner, viewer=viewer), viewer


async def synced(board, user):
    sock, welcome = await open_socket(board, user)
    assert welcome["type"] == "welcome"
    assert (await sock.sync(None))["type"] == "snapshot"
    return sock


def queue_message(board, n: int) -> dict:
    return {"type": "job_queue", "board": str(board.pk), "paused": bool(n % 2), "n": n}


@pytest.fixture
def send_threads(monkeypatch):
    """Record the thread every group_send of the layer runs on."""
    layer = get_channel_layer()
    original = layer.group_send
    threads: list[int] = []

    async def recording(group, event):
        threads.append(threading.get_ident())
        await original(group, event)

    monkeypatch.setattr(layer, "group_send", recording)
    return threads


async def test_job_events_from_a_worker_thread_are_sent_by_the_server_loop_in_order(
    board_and_viewer, send_threads
):
    board, viewer = board_and_viewer
    sock = await synced(board, viewer)
    messages = [queue_message(board, n) for n in range(5)]

    def worker() -> None:  # an embedded job worker: a plain thread with no event loop
        for message in messages:
            announce.send_to_board_now(board.pk, message)

    thread = threading.Thread(target=worker)
    thread.start()
    assert [await sock.recv() for _ in messages] == messages
    await asyncio.to_thread(thread.join)
    assert set(send_threads) == {threading.get_ident()}  # the loop's own thread
    await sock.close()


async def test_a_job_change_committed_on_a_worker_thread_reaches_the_socket_by_itself(
    board_and_viewer,
):
    """What an embedded job worker does: a state change committed on a plain thread is
    announced after commit and reaches an open socket with no further client action (no
    ping, no other message waking the server)."""
    board, viewer = board_and_viewer
    job = await database_sync_to_async(Job.objects.create)(
        board=board, mode="img2img", engine="test-echo"
    )
    sock = await synced(board, viewer)
    moved: list[Job | None] = []

    def worker() -> None:
        try:
            moved.append(lifecycle.transition(job.pk, QUEUED, RUNNING, owner="host:1:0"))
        finally:
            close_old_connections()

    thread = threading.Thread(target=worker)
    thread.start()
    message = await sock.recv()
    await asyncio.to_thread(thread.join)
    assert moved[0] is not None
    assert message["type"] == "job"
    assert (message["job"]["id"], message["job"]["state"]) == (str(job.pk), "running")
    assert message["job"]["version"] == moved[0].version
    await sock.close()


async def test_sends_from_sync_to_async_threads_and_the_loop_itself_arrive(board_and_viewer):
    board, viewer = board_and_viewer
    sock = await synced(board, viewer)
    group = realtime.board_group(board.pk)
    first, second = queue_message(board, 1), queue_message(board, 2)
    await database_sync_to_async(realtime.send_group_now)(
        group, {"type": announce.JOB_EVENT, "message": first}
    )
    realtime.send_group_now(group, {"type": announce.JOB_EVENT, "message": second})
    assert [await sock.recv(), await sock.recv()] == [first, second]
    await sock.close()


async def test_a_failing_layer_is_logged_not_raised_from_a_worker_thread(
    board_and_viewer, monkeypatch, caplog
):
    board, viewer = board_and_viewer
    sock = await synced(board, viewer)
    layer = get_channel_layer()

    async def broken(group, event):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(layer, "group_send", broken)
    thread = threading.Thread(
        target=announce.send_to_board_now, args=(board.pk, queue_message(board, 1))
    )
    thread.start()
    await asyncio.to_thread(thread.join)  # returned: the worker was not made to fail
    deadline = asyncio.get_running_loop().time() + 10
    while "could not send board.job" not in caplog.text:
        assert asyncio.get_running_loop().time() < deadline, "the failure was not logged"
        await asyncio.sleep(0.01)
    monkeypatch.undo()
    await sock.close()


async def test_events_queued_together_go_as_one_bundle_and_arrive_in_order(
    board_and_viewer, monkeypatch
):
    """A busy board's sender takes everything that queued meanwhile: one channel-layer
    message per group (on Redis ~20 commands each), not one per event."""
    board, viewer = board_and_viewer
    sock = await synced(board, viewer)
    layer = get_channel_layer()
    original = layer.group_send
    sent: list[dict] = []

    async def recording(group, event):
        sent.append(event)
        await original(group, event)

    monkeypatch.setattr(layer, "group_send", recording)
    messages = [queue_message(board, n) for n in range(5)]
    for message in messages:  # queued in one go on the loop: the sender has not run yet
        announce.send_to_board_now(board.pk, message)
    assert [await sock.recv() for _ in messages] == messages
    assert [event["type"] for event in sent] == [realtime.BUNDLE_EVENT]
    assert [event["message"] for event in sent[0]["events"]] == messages
    await sock.close()


def test_only_consecutive_events_of_one_group_are_bundled_and_never_more_than_the_cap():
    layer, other_layer = object(), object()
    a = [{"type": "board.job", "n": n} for n in range(realtime.BUNDLE_MAX + 10)]
    items = [(layer, "g1", a[0]), (layer, "g1", a[1]), (layer, "g2", a[2]), (layer, "g1", a[3])]
    items += [(other_layer, "g1", a[4])] + [(layer, "g1", event) for event in a[5:]]
    sends = realtime.bundled(items)
    assert [(group, realtime.unbundled(event)) for _, group, event in sends] == [
        ("g1", a[:2]),
        ("g2", [a[2]]),
        ("g1", [a[3]]),
        ("g1", [a[4]]),
        ("g1", a[5 : 5 + realtime.BUNDLE_MAX]),
        ("g1", a[5 + realtime.BUNDLE_MAX :]),
    ]
    assert sends[3][0] is other_layer and sends[1][2] is a[2]  # a lone event goes as it is


async def test_every_socket_consumer_unpacks_a_bundle_in_order():
    """Guests' share sockets are ordinary group members of a board (with presence shown):
    they get bundles too."""
    got = []

    class Recorder(ProtocolConsumer):
        async def board_presence(self, event):
            got.append(event["n"])

        async def board_job(self, event):
            got.append(-event["n"])

    events = [{"type": "board.presence", "n": 1}, {"type": "board.job", "n": 2}]
    await Recorder().realtime_bundle(realtime.bundle([*events, {**events[0], "n": 3}]))
    assert got == [1, -2, 3]
