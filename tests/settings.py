"""Test settings: the real settings module, pointed at a throwaway data folder.

Everything else (database choice through DATABASE_URL, channel layer, storage) comes from
the environment exactly as in a deployment, so the same suite runs on SQLite and PostgreSQL.
"""

import os
import tempfile

os.environ.setdefault("ANCHORBOARD_DATA_DIR", tempfile.mkdtemp(prefix="anchorboard-test-"))
os.environ.setdefault("ANCHORBOARD_DISPATCHER", "inline")

from anchorboard.settings import *  # noqa: F403
from anchorboard.settings import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, like production's, with its connection settings (WAL, busy timeout, IMMEDIATE
    # transactions; the OPTIONS above): Django's default in-memory test database is
    # shared-cache, where a thread that meets a table another connection is writing fails at
    # once ("database table is locked") instead of waiting its busy timeout. In the system's
    # temp folder, never the data folder (which a developer may point at real data);
    # pytest-django appends the xdist worker (``_gw0``), and tests/conftest.py removes what a
    # run leaves (docs/architecture.md, "Tests").
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"anchorboard-test-{os.getpid()}.sqlite3")
    }
# Tests clear the cache between cases (throttle counters); never let that reach a shared
# Redis named by REDIS_URL/CACHE_URL. Redis-backed throttle tests build their own cache with
# a random key prefix (tests/web/test_password_throttle.py).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Every message a socket sends in a test is checked against its protocol schema
# (canvas.sockets.check_outgoing): a payload the protocol does not declare fails the test.
ANCHORBOARD_PROTOCOL_CHECK_OUTGOING = True
