"""The board socket's handler table: which function answers each client message type, and
the permission it needs.

Its own module so the modules that register handlers (canvas.boardsocket.consumer for sync, ops,
presence and ping; canvas.boardsocket.job_requests for the job requests) and the consumer that reads
the table import it rather than each other: the consumer does not import its handlers'
modules, so no import cycle. canvas.apps imports the handler modules at start-up, so the
table is complete before the first socket connects in any process (web, tests, tools).
"""

from __future__ import annotations

from canvas.protocol.catalog import BOARD_CLIENT_MESSAGES
from canvas.sockets import Routes

board_routes = Routes(BOARD_CLIENT_MESSAGES)
handles = board_routes.handles
