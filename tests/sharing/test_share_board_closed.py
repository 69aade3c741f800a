"""Archiving or deleting a board closes its guests' sockets at once, not at the next re-check.

Sockets re-check their link every ``RECHECK_SECONDS`` (60 s); these tests wait at most
``TIMEOUT`` (10 s) for the close, so a pass means the board's share group told them.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from canvas.boards import lifecycle as boards
from canvas.sharing import consumer as share_consumer
from tests.review.conftest import make_link
from tests.sharing.test_share_ws import TIMEOUT, GuestSocket, setup_board

pytestmark = pytest.mark.django_db(transaction=True)


async def open_two_guests(people):
    _shown, _hidden, _link, token = await setup_board(people)
    _other, second = await sync_to_async(make_link)(people["board"], people["owner"])
    guests = [GuestSocket(token), GuestSocket(second)]
    for guest in guests:
        assert (await guest.open())["type"] == "welcome"
    return guests


async def test_archiving_the_board_closes_every_guest_socket_at_once(people):
    assert share_consumer.RECHECK_SECONDS > TIMEOUT
    guests = await open_two_guests(people)
    await sync_to_async(boards.archive_board)(people["board"])
    for guest in guests:
        message = await guest.recv()
        assert (message["type"], message["code"]) == ("error", "share_link_expired")
        assert "archived" in message["message"]
        assert await guest.closed_with() == share_consumer.CLOSE_LINK_UNAVAILABLE == 4410


async def test_deleting_the_board_closes_every_guest_socket_at_once(people):
    guests = await open_two_guests(people)
    await sync_to_async(boards.delete_board)(people["board"])
    for guest in guests:
        message = await guest.recv()
        assert message["type"] == "error"
        assert await guest.closed_with() == 4410
