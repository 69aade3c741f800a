"""The websockets' database thread keeps its connection (foundation.socket_connection):
with ``CONN_MAX_AGE = 0`` Channels reopened it around every query of every socket, and a
kept one would be pinged before each call."""

from __future__ import annotations

import threading

import channels.db
import django.db
import pytest
from asgiref.sync import ThreadSensitiveContext
from channels.db import database_sync_to_async
from django.db import connection, connections
from django.db.backends.signals import connection_created

from foundation import socket_connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


QUERY_THREADS: set[int] = set()


def close_this_threads_connection() -> None:
    connection.close()


def shipped_settings() -> dict:
    """Give this thread's connection the shipped ``CONN_MAX_AGE = 0`` and health checks
    (set on its own settings dict, which need not be the main thread's); returns the old."""
    settings = connection.settings_dict
    old = {key: settings.get(key) for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    settings.update(CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=True)
    return old


def restore_settings(old: dict) -> None:
    connection.settings_dict.update(old)


def a_query() -> None:
    QUERY_THREADS.add(threading.get_ident())
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def test_the_sockets_database_thread_keeps_its_connection(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL (set DATABASE_URL): SQLite's test database never closes.")
    # Channels' test communicator swaps channels.db.close_old_connections for a no-op while
    # it awaits, and a communicator an earlier test left waiting keeps the swap in place
    # for the rest of the worker process: that made this test see 1 opening for 3 calls
    # in CI's PostgreSQL run. What is tested here is the server's behaviour, with the real one.
    monkeypatch.setattr(channels.db, "close_old_connections", django.db.close_old_connections)
    # Thread ids of connection openings and of pings: other tests' background threads in
    # this worker process (senders, fan-out, embedded workers) open connections too, so
    # only the thread that ran the socket queries counts.
    opened: list[int] = []
    pinged: list[int] = []
    wrapper_class = type(connections["default"])
    is_usable = wrapper_class.is_usable

    def counted_is_usable(self) -> bool:
        pinged.append(threading.get_ident())
        return is_usable(self)

    monkeypatch.setattr(wrapper_class, "is_usable", counted_is_usable)

    def count(sender, connection, **kwargs) -> None:
        opened.append(threading.get_ident())

    def mine(idents: list[int]) -> list[int]:
        return [ident for ident in idents if ident in QUERY_THREADS]

    # Its own database thread and settings: without a ThreadSensitiveContext every event
    # loop of this worker process shares asgiref's one thread-sensitive thread (whose
    # connection earlier tests may have configured), and a thread's connection takes the
    # settings dict current when it was made, not necessarily the main thread's.
    async with ThreadSensitiveContext():
        # Start from the shipped behaviour even if an earlier test left the mark.
        await socket_connection.release()
        old = await database_sync_to_async(shipped_settings)()
        await database_sync_to_async(close_this_threads_connection)()
        connection_created.connect(count)
        try:
            for _ in range(3):
                await database_sync_to_async(a_query)()
            assert len(mine(opened)) == 3  # Channels closes it after each call
            opened.clear()
            await socket_connection.keep_open()
            for _ in range(3):
                await database_sync_to_async(a_query)()
            assert len(mine(opened)) <= 1  # opened once, then kept
            assert not mine(pinged)  # and not pinged before each call
        finally:
            connection_created.disconnect(count)
            await socket_connection.release()
            await database_sync_to_async(restore_settings)(old)
