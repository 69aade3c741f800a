"""Knobs: request and image limits, passwords, sign-up, invitations, share links, the board
socket."""

from __future__ import annotations

from foundation.config import FLAG, NUMBER, WHOLE
from foundation.knobs.registry import ACCESS, BOARD, LIMITS, declare

# --- Limits -----------------------------------------------------------------------------------

MAX_UPLOAD_BYTES = declare(
    "ANCHORBOARD_MAX_UPLOAD_BYTES", WHOLE, 200 * 1024 * 1024,
    "largest accepted upload (file, and files of one upload request)", LIMITS,
)  # fmt: skip
MAX_REQUEST_BYTES = declare(
    "ANCHORBOARD_MAX_REQUEST_BYTES", WHOLE, 512 * 1024,
    "largest body of any other request (JSON, forms)", LIMITS,
)  # fmt: skip
MAX_IMAGE_PIXELS = declare(
    "ANCHORBOARD_MAX_IMAGE_PIXELS", WHOLE, 64_000_000,
    "largest accepted image (decompression-bomb guard), also the largest composited region",
    LIMITS,
)  # fmt: skip
EXPORT_PSD_MAX_PIXELS = declare(
    "ANCHORBOARD_EXPORT_PSD_MAX_PIXELS", WHOLE, 80_000_000,
    "largest layered PSD export: the pixels of every layer's box plus the frame's composite "
    "(16 bits count twice); the writer holds the compressed document in memory, up to "
    "~7 bytes per pixel counted here for noise-like pictures (docs/exports.md), so a bigger "
    "one is refused before it is queued",
    LIMITS,
)  # fmt: skip

# --- Passwords, sign-up, invitations, share links ------------------------------------------------

PASSWORD_FREE_FAILURES = declare(
    "ANCHORBOARD_PASSWORD_FREE_FAILURES", WHOLE, 5,
    "wrong passwords per (account or link, address) before delays start", ACCESS,
)  # fmt: skip
PASSWORD_BASE_DELAY_SECONDS = declare(
    "ANCHORBOARD_PASSWORD_BASE_DELAY_SECONDS", WHOLE, 30,
    "first delay; each further failure doubles it", ACCESS,
)  # fmt: skip
PASSWORD_MAX_DELAY_SECONDS = declare(
    "ANCHORBOARD_PASSWORD_MAX_DELAY_SECONDS", WHOLE, 900, "longest delay", ACCESS
)
PASSWORD_FORGET_SECONDS = declare(
    "ANCHORBOARD_PASSWORD_FORGET_SECONDS", WHOLE, 86_400,
    "a pair that has not failed for this long starts again", ACCESS,
)  # fmt: skip
PASSWORD_ATTACK_FAILURES = declare(
    "ANCHORBOARD_PASSWORD_ATTACK_FAILURES", WHOLE, 100,
    "failures on one account or link (all addresses, within the forget time) that end the "
    "free failures for every address",
    ACCESS,
)  # fmt: skip
SIGNUP_FREE_FAILURES = declare(
    "ANCHORBOARD_SIGNUP_FREE_FAILURES", WHOLE, 20,
    "new accounts (sign-up, invitation links) per client address a day before delays start "
    "([members.md](members.md#throttling-new-accounts))",
    ACCESS,
)  # fmt: skip
SIGNUP_BASE_DELAY_SECONDS = declare(
    "ANCHORBOARD_SIGNUP_BASE_DELAY_SECONDS", WHOLE, 60,
    "first delay after those; doubles up to an hour", ACCESS,
)  # fmt: skip
INVITATION_DAYS = declare(
    "ANCHORBOARD_INVITATION_DAYS", WHOLE, 7,
    "how long a new invitation link works unless its maker says (1–30)", ACCESS,
)  # fmt: skip
SHARE_MAX_DAYS = declare(
    "ANCHORBOARD_SHARE_MAX_DAYS", WHOLE, 90, "longest life of a share link, days", ACCESS
)
SHARE_PASSWORD_COOKIE_SECONDS = declare(
    "ANCHORBOARD_SHARE_PASSWORD_COOKIE_SECONDS", WHOLE, 12 * 3600,
    "how long a guest stays unlocked after typing a share link's password", ACCESS,
)  # fmt: skip
SHARE_COMMENT_WINDOW_SECONDS = declare(
    "ANCHORBOARD_SHARE_COMMENT_WINDOW_SECONDS", WHOLE, 600,
    "window of the guest comment limits below", ACCESS,
)  # fmt: skip
SHARE_COMMENTS_PER_IP = declare(
    "ANCHORBOARD_SHARE_COMMENTS_PER_IP", WHOLE, 20,
    "guest comments per client address and link within the window", ACCESS,
)  # fmt: skip
SHARE_COMMENTS_PER_LINK = declare(
    "ANCHORBOARD_SHARE_COMMENTS_PER_LINK", WHOLE, 200,
    "guest comments per link within the window", ACCESS,
)  # fmt: skip

# --- Board websocket --------------------------------------------------------------------------

OPERATION_LOG_SIZE = declare(
    "ANCHORBOARD_OPERATION_LOG_SIZE", WHOLE, 1000,
    "committed batches kept per board for catch-up; a client further behind gets a snapshot",
    BOARD,
)  # fmt: skip
WS_MESSAGE_BURST = declare(
    "ANCHORBOARD_WS_MESSAGE_BURST", NUMBER, 200.0,
    "messages one socket may send in a burst before `rate_limited`", BOARD,
)  # fmt: skip
WS_MESSAGE_RATE = declare(
    "ANCHORBOARD_WS_MESSAGE_RATE", NUMBER, 60.0,
    "messages per second one socket may send, sustained", BOARD,
)  # fmt: skip
BOARD_WRITER_LANES = declare(
    "ANCHORBOARD_BOARD_WRITER_LANES", WHOLE, 0,
    "threads per web process that apply board edits, each with its own database connection "
    "(a board always uses the same one); 0: one on SQLite, four on PostgreSQL", BOARD,
)  # fmt: skip
PROTOCOL_CHECK_OUTGOING = declare(
    "ANCHORBOARD_PROTOCOL_CHECK_OUTGOING", FLAG, False,
    "check every message a socket sends against its protocol schema (the tests turn it on)",
    BOARD,
)  # fmt: skip
