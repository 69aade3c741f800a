"""The requester follows their export live over the board socket: ``export`` messages from
queued to ready (with a download link signed for them), in version order; another member
on the same board hears none of them (the message is personal)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from canvas.exports import services
from tests.exports.conftest import FAKE
from tests.wsclient import open_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def test_only_the_requester_hears_the_export_and_gets_its_link(
    board, owner, viewer, images, fake_kind
):
    mine, _ = await open_socket(board, owner)
    theirs, _ = await open_socket(board, viewer)
    await mine.sync()
    await theirs.sync()
    body = {"kind": FAKE, "items": [str(images[0].pk)]}
    # Inline dispatcher: the run happens at commit, inside this call.
    export = await database_sync_to_async(services.request_export)(board, owner, body)
    states, versions = [], []
    while not states or states[-1] != "ready":
        message = await mine.recv()
        if message["type"] != "export":
            continue
        assert message["export"]["id"] == str(export.pk)
        states.append(message["export"]["state"])
        versions.append(message["export"]["version"])
    assert states[0] == "queued" and "running" in states
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert message["export"]["download_url"].startswith(f"/exports/{export.pk}/download?t=")
    # The other member's socket got nothing about it: the next thing it receives is the
    # answer to its ping (``ping`` asserts the reply is a pong), sent after every export
    # message had reached the room.
    await theirs.ping()
    await mine.close()
    await theirs.close()
