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
    DATABASES["default"]["TEST"] = {"NAME": None}  # in-memory, shared between threads
# Tests clear the cache between cases (throttle counters); never let that reach a shared
# Redis named by REDIS_URL/CACHE_URL. Redis-backed throttle tests build their own cache with
# a random key prefix (tests/web/test_password_throttle.py).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Every message a socket sends in a test is checked against its protocol schema
# (canvas.sockets.check_outgoing): a payload the protocol does not declare fails the test.
ANCHORBOARD_PROTOCOL_CHECK_OUTGOING = True
