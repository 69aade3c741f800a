"""The websockets' database thread keeps its connection (foundation.socket_connection):
with ``CONN_MAX_AGE = 0`` Channels reopened it around every query of every socket, and a
kept one would be pinged before each call."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import connection, connections
from django.db.backends.signals import connection_created

from foundation import socket_connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def a_query() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def test_the_sockets_database_thread_keeps_its_connection(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL (set DATABASE_URL): SQLite's test database never closes.")
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)  # the shipped default
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)  # as in settings
    opened: list[int] = []
    pinged: list[int] = []
    wrapper_class = type(connections["default"])
    is_usable = wrapper_class.is_usable

    def counted_is_usable(self) -> bool:
        pinged.append(1)
        return is_usable(self)

    monkeypatch.setattr(wrapper_class, "is_usable", counted_is_usable)

    def count(sender, connection, **kwargs) -> None:
        opened.append(1)

    connection_created.connect(count)
    try:
        for _ in range(3):
            await database_sync_to_async(a_query)()
        assert len(opened) == 3  # Channels closes it after each call
        opened.clear()
        await socket_connection.keep_open()
        for _ in range(3):
            await database_sync_to_async(a_query)()
        assert len(opened) <= 1  # opened once, then kept
        assert not pinged  # and not pinged before each call
    finally:
        connection_created.disconnect(count)
        await socket_connection.release()
