"""Every limit and fixed value of the websocket protocol, declared once.

Plain constants without imports, so the engines, the job queue, the consumers, the tests and
the schema export (which copies them into the generated TypeScript) can all use them. The
models in this package use them in their field constraints; docs/protocol.md lists them in
its generated reference section.
"""

from __future__ import annotations

# --- Frames ------------------------------------------------------------------------------------

# A board socket's text frame, in UTF-8 bytes; larger frames are answered `message_too_large`.
MAX_MESSAGE_BYTES = 256 * 1024
# A share-link guest's frame: guests only send sync and ping.
MAX_GUEST_MESSAGE_BYTES = 4096
# The server's own websocket cap (Daphne, `manage.py serve`): a frame or message larger than
# this is refused before it is read, and the socket is closed with CLOSE_MESSAGE_TOO_BIG.
MAX_FRAME_BYTES = 1024 * 1024
# Outgoing messages stay well below MAX_FRAME_BYTES whatever the size of the board.
MAX_OUTGOING_BYTES = 512 * 1024
# JSON nesting the parser accepts (pydantic-core's parser, which does not recurse in Python
# and stops at this depth); deeper frames are answered `bad_message`.
MAX_JSON_DEPTH = 200

# --- Board messages ----------------------------------------------------------------------------

MAX_OPS_PER_BATCH = 500
MAX_NAME_LENGTH = 200
MAX_SELECTION = 500
MAX_BATCH_ID_LENGTH = 64
MAX_REQUEST_ID_LENGTH = 64
# An item's free-form `props`: serialised size and nesting.
MAX_PROPS_BYTES = 16 * 1024
MAX_PROPS_DEPTH = 16
# Board units; far beyond any real canvas, small enough that arithmetic stays exact-ish.
MAX_COORDINATE = 1e9
# Revisions and other counters stay exact in JavaScript (Number.MAX_SAFE_INTEGER).
MAX_SAFE_INTEGER = 2**53 - 1
UUID_TEXT_LENGTH = 40

# --- Staying in step (docs/protocol.md "Staying in step") --------------------------------------
# The rules a board client follows by itself; the browser (frontend/src/realtime/convergence.ts)
# and the load-test client (tests/load/client.py) both implement them, with these values.

# Nothing heard for this long: `ping` (the pong names the board's revision); then again after
# 2, 4, 8 … times this while the silence lasts (never while a ping is unanswered), and at
# least every KEEPALIVE_PING_MS.
SILENCE_PING_MS = 1000
# The longest gap between two pings of a socket, busy or not (renews its group membership).
KEEPALIVE_PING_MS = 25_000
# An own batch unacknowledged this long while the socket is silent: `sync`.
UNACKED_SYNC_MS = 2000
# A `sync` unanswered this long while the socket is silent is sent again (rare: the server
# answers every sync in order; a busy one only answers late, and a retry queues behind it).
SYNC_RETRY_MS = 30_000

# --- Jobs --------------------------------------------------------------------------------------

MAX_ENGINE_NAME_LENGTH = 64
MAX_PROMPT_LENGTH = 4000
MAX_JOB_VARIABLES = 20  # values for a brand kit's prompt template ({product}, {season})
MAX_VARIABLE_NAME = 32
MAX_JOB_COUNT = 32
MAX_JOB_ANCHORS = 64
MAX_APPLY_IDS = 32
MAX_SCALE = 8
# A job's region and output size, in board units / pixels per side.
MAX_REGION_EDGE = 16_384
# Seeds are 0 … SEED_LIMIT − 1 (what every engine accepts).
SEED_LIMIT = 2**32
DEFAULT_ENGINE = "local"
# Video jobs (mode "video"): what any video engine may be asked for; each engine narrows it.
VIDEO_RATIOS = ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9")
VIDEO_RESOLUTIONS = ("480p", "720p", "1080p")
MAX_VIDEO_SECONDS = 20
MAX_VIDEO_FPS = 60
DEFAULT_VIDEO_SECONDS = 5

# --- Close codes -------------------------------------------------------------------------------

CLOSE_NOT_LOGGED_IN = 4401  # board socket: log in again
CLOSE_PASSWORD_REQUIRED = 4401  # share socket: the link's password cookie is missing
CLOSE_NO_ACCESS = 4403  # no role on this board, unknown or malformed board id, access removed
CLOSE_NOT_FOUND = 4404  # no websocket endpoint at this path
CLOSE_LINK_UNAVAILABLE = 4410  # share link unknown, malformed, revoked or expired
CLOSE_MESSAGE_TOO_BIG = 1009  # a frame over MAX_FRAME_BYTES (RFC 6455)
