"""The websockets' database thread keeps its connection (foundation.socket_connection):
with ``CONN_MAX_AGE = 0`` Channels reopened it around every query of every socket."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import connection
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
    opened: list[int] = []

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
    finally:
        connection_created.disconnect(count)
        await socket_connection.release()
