"""The SQLite test database is a file with production's connection settings (tests/settings.py).

Django's default, a shared-cache in-memory database, refuses a table another connection is
writing at once ("database table is locked"), so threaded tests saw failures production's
file database (WAL, busy timeout) never has.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_the_sqlite_test_database_is_a_wal_file_outside_the_project():
    if connection.vendor != "sqlite":
        pytest.skip("The SQLite test database only (DATABASE_URL names another).")
    name = connection.settings_dict["NAME"]
    assert not connection.creation.is_in_memory_db(name)
    path = Path(name)
    assert path.is_file()
    assert path.parent == Path(tempfile.gettempdir())
    assert not path.resolve().is_relative_to(ROOT)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        assert name.endswith(f"_{worker}")  # one file per xdist worker
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 10_000
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
