"""The database connection of the websockets' thread: kept open, not reopened per query.

Channels runs every database call of every websocket consumer — and its auth middleware's
session and user reads at each handshake — on ONE thread per process (asgiref's
thread-sensitive executor, outside any request context), and closes that thread's
connection around each call unless ``CONN_MAX_AGE`` keeps it. With PostgreSQL and the
default ``CONN_MAX_AGE = 0`` (right for HTTP requests, whose threads come and go) every
such call opened a new server connection: a py-spy profile of one web process taking 1,000
board sockets on PostgreSQL + Redis found its database thread busy 58 % of the time, half of
it in ``connect``, and the handshakes queued behind it (bench/README.md, "Fan-out").

``keep_open`` (called by the server once its loop runs) marks that one thread; from then
on a connection it opens stays open, and is not pinged before every call either
(``CONN_HEALTH_CHECKS`` cost a ``SELECT 1`` round trip per call on a kept connection: 19 %
of the database thread's time in the same profile). A connection that breaks (a database
restart) fails the one call that finds out; Django then sees the error, checks it
(``is_usable``) and closes it, and the next call opens a new one. One connection per web
process, like each board writer lane's (canvas.boardsocket.writer).

Nothing here runs a query of its own; it only decides how long that thread's connection
lives.
"""

from __future__ import annotations

import threading
from typing import Any

from channels.db import database_sync_to_async
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.signals import connection_created

_thread: int | None = None  # the websockets' database thread, once marked


def _keep(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.alias == DEFAULT_DB_ALIAS and threading.get_ident() == _thread:
        connection.close_at = None  # set from CONN_MAX_AGE just before this signal
        connection.health_check_enabled = False  # likewise, from CONN_HEALTH_CHECKS


def _mark() -> int:
    global _thread
    _thread = threading.get_ident()
    connection_created.connect(_keep, dispatch_uid=__name__)
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.connection is not None:
        _keep(None, connection)
    return _thread


def _close() -> None:
    connections[DEFAULT_DB_ALIAS].close()


async def keep_open() -> int:
    """Mark the thread Channels' database calls run on (from the event loop): its
    connection is no longer closed after each call. Returns the thread's id."""
    return await database_sync_to_async(_mark)()


async def release() -> None:
    """Forget the mark and close the thread's connection (tests)."""
    global _thread
    if _thread is not None:
        await database_sync_to_async(_close)()
    _thread = None
    connection_created.disconnect(_keep, dispatch_uid=__name__)
