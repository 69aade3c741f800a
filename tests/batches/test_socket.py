"""A batch's progress reaches a viewer's board socket through the real ASGI stack, as the
typed ``batch_progress`` message (canvas/protocol/batches.py)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from canvas.batches import runs
from canvas.protocol.catalog import BoardServerMessage
from tests import factories
from tests.batches.conftest import raw_batch
from tests.wsclient import open_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_viewer_sees_the_batch_start_and_end(board, owner):
    from pydantic import TypeAdapter

    viewer = await database_sync_to_async(factories.make_user)("watcher")
    await database_sync_to_async(board.memberships.create)(user=viewer, role="viewer")
    sock, welcome = await open_socket(board, viewer)
    assert welcome["type"] == "welcome"
    await sock.sync()

    def start_and_cancel():
        batch, _ = runs.start_batch(board, owner, raw_batch())
        runs.cancel_batch(batch)
        return batch

    batch = await database_sync_to_async(start_and_cancel)()
    seen = []
    while not any(m.get("type") == "batch_progress" and m["batch"]["finished_at"] for m in seen):
        seen.append(await sock.recv())
    progress = [m for m in seen if m["type"] == "batch_progress"]
    adapter = TypeAdapter(BoardServerMessage)
    for message in progress:
        adapter.validate_python(message)  # the declared shape, field for field
    assert progress[0]["batch"]["id"] == str(batch.pk)
    assert progress[0]["batch"]["counts"]["queued"] == 4
    last = progress[-1]["batch"]
    assert last["state"] == "cancelled" and last["counts"]["cancelled"] == 4
    assert last["eta_seconds"] == 0.0
    jobs = [m for m in seen if m["type"] == "job"]
    assert len({m["job"]["id"] for m in jobs}) == 4  # every bulk-created job announced
    await sock.close()
