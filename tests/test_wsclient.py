"""The websocket test client's swap of ``channels.db.close_old_connections`` (tests/wsclient.py):
awaits on several sockets at once end in another order than they began, and the real
function must be back when the last one ends."""

from __future__ import annotations

from unittest import mock

import channels.db
import django.db
from channels.testing.application import no_op

from tests import wsclient


def test_awaits_ending_out_of_order_put_the_real_function_back():
    first, second = wsclient._old_connections_kept(), wsclient._old_connections_kept()
    first.__enter__()
    second.__enter__()
    assert channels.db.close_old_connections is no_op
    first.__exit__(None, None, None)
    assert channels.db.close_old_connections is no_op  # the second still awaits
    second.__exit__(None, None, None)
    assert channels.db.close_old_connections is django.db.close_old_connections


def test_channels_own_patches_ending_out_of_order_leave_the_no_op():
    """Why the client counts: this is what Channels' communicator does, and the state it
    leaves behind (restored here; tests/conftest.py fails a test that leaves it)."""
    try:
        first = mock.patch("channels.db.close_old_connections", no_op)
        second = mock.patch("channels.db.close_old_connections", no_op)
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)
        second.__exit__(None, None, None)
        assert channels.db.close_old_connections is no_op
    finally:
        channels.db.close_old_connections = django.db.close_old_connections


def test_an_await_left_under_way_is_forgotten_once_the_real_function_is_back():
    left = wsclient._old_connections_kept()
    left.__enter__()
    channels.db.close_old_connections = django.db.close_old_connections  # as the guard does
    assert wsclient.forget_awaits() == 1
    with wsclient._old_connections_kept():  # a later test's await swaps again
        assert channels.db.close_old_connections is no_op
    assert channels.db.close_old_connections is django.db.close_old_connections
    left.__exit__(None, None, None)  # the forgotten await ends late: no effect
    assert channels.db.close_old_connections is django.db.close_old_connections
