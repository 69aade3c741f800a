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


def test_a_run_removes_its_own_files_and_those_of_ended_runs_only(tmp_path):
    from tests.conftest import sqlite_test_files_to_remove

    if os.name != "posix":
        pytest.skip("Ended runs are found with os.kill(pid, 0), on POSIX only.")
    own = str(tmp_path / f"anchorboard-test-{os.getpid()}.sqlite3_gw0")
    running = tmp_path / f"anchorboard-test-{os.getppid()}.sqlite3_gw1"  # another live run
    ended = tmp_path / "anchorboard-test-4194305.sqlite3_gw0"  # above Linux's highest pid
    for path in (Path(own), Path(own + "-wal"), running, ended, Path(f"{ended}-shm")):
        path.write_bytes(b"")
    (tmp_path / "anchorboard-test-q1x2").mkdir()  # a test data folder, not a database
    found = sorted(Path(p).name for p in sqlite_test_files_to_remove(str(tmp_path), own))
    assert found == sorted(
        [Path(own).name, f"{Path(own).name}-wal", ended.name, f"{ended.name}-shm"]
    )
