"""Fixtures shared by the whole suite.

Service fixtures (PostgreSQL, Redis, Chromium) fail in CI (CI=true or
ANCHORBOARD_REQUIRE_SERVICES=1) when the service is missing, and skip with an install hint
on a laptop. A silent skip in CI would hide a broken deployment path.
"""

from __future__ import annotations

import contextlib
import glob
import os
import socket
import sys
import tempfile
import uuid

import channels.db
import django.db
import pytest
from channels.layers import channel_layers

from anchorboard.settings import redis_channel_layer
from tests import factories


def pytest_unconfigure(config) -> None:
    """Remove this process's SQLite test database file and its WAL companions (tests/settings.py
    puts it in the temp folder), and those of test processes that have ended. Django deletes
    the database file itself; the ``-wal`` and ``-shm`` files stay while a thread's connection
    is still open, and such a thread, still running after this hook, can open them again."""
    from django.conf import settings

    if not settings.configured:
        return
    database = settings.DATABASES["default"]
    name = str(database.get("TEST", {}).get("NAME") or "")
    if database["ENGINE"].endswith("sqlite3") and name.startswith(tempfile.gettempdir()):
        for leftover in sqlite_test_files_to_remove(os.path.dirname(name), name):
            with contextlib.suppress(OSError):
                os.remove(leftover)


def sqlite_test_files_to_remove(folder: str, own: str) -> list[str]:
    """The files of the SQLite test database ``own`` and of any whose process has ended (they
    are named ``anchorboard-test-<pid>.sqlite3…`` by tests/settings.py)."""
    found = []
    for path in glob.glob(os.path.join(glob.escape(folder), "anchorboard-test-*.sqlite3*")):
        pid = os.path.basename(path).removeprefix("anchorboard-test-").split(".", 1)[0]
        if path.startswith(own) or (pid.isdigit() and not process_running(int(pid))):
            found.append(path)
    return found


def process_running(pid: int) -> bool:
    if os.name != "posix":
        return True  # os.kill(pid, 0) would end the process on Windows: keep its files
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's
    return True


def services_required() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true"} or os.environ.get(
        "ANCHORBOARD_REQUIRE_SERVICES", ""
    ) in {"1", "true"}


def missing_service(what: str, hint: str) -> None:
    """Fail in CI, skip elsewhere, always saying how to get the service."""
    message = f"{what} is not available. {hint}"
    if services_required():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    """URL of a reachable Redis (REDIS_TEST_URL, default redis://127.0.0.1:6379/15)."""
    url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    if not port_open(host or "127.0.0.1", int(port or 6379)):
        missing_service(
            "Redis at " + host_port, "Install and start redis-server (apt install redis-server)."
        )
    return url


@pytest.fixture
def redis_layer(settings, redis_url):
    """Use channels-redis, configured as in production, in a key space of its own.

    Yields the layer's CONFIG, so a test can build a second layer (another server process)
    on the same Redis and prefix."""
    settings.CHANNEL_LAYERS = {
        "default": redis_channel_layer(redis_url, prefix=f"test-{uuid.uuid4().hex[:8]}")
    }
    channel_layers.backends.clear()
    yield settings.CHANNEL_LAYERS["default"]["CONFIG"]
    channel_layers.backends.clear()


@pytest.fixture
def chromium_path() -> str:
    path = os.environ.get("ANCHORBOARD_CHROMIUM", "")
    if not path or not os.path.exists(path):
        missing_service(
            "Chromium", "Install it with `apt install chromium` or set ANCHORBOARD_CHROMIUM."
        )
    return path


@pytest.fixture
def password() -> str:
    return factories.PASSWORD


@pytest.fixture
def no_job_heartbeat(settings):
    """For tests that run jobs in their own thread, inside the test's transaction: the
    runner's heartbeat thread has a connection of its own, which waits for the test's
    transaction to release SQLite's write lock (and fails after the busy timeout) or cannot
    see the job (PostgreSQL) once a job outlasts a beat — as it does on a loaded machine.
    Such jobs take well under a lease; leases are tested in tests/jobs."""
    settings.ANCHORBOARD_JOB_HEARTBEAT_SECONDS = 600.0


@pytest.fixture
def media_root(settings, tmp_path):
    """Point file storage at an empty folder for this test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": None},
        },
    }
    return tmp_path / "media"


@pytest.fixture
def browser(chromium_path):
    """Headless Debian Chromium through Playwright (never a downloaded browser).

    Flags: no background networking or component updates (this machine's network is closed,
    and those requests only slow start-up), no GPU (software raster, as in CI).
    """
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture(autouse=True)
def _decoded_originals_forgotten():
    """Start each test with an empty decoded-originals cache (assets.decoded): tests reuse
    the same tiny images (same hash) and some break a stored file on purpose."""
    from assets import decoded

    decoded.clear()
    yield
    decoded.clear()


@pytest.fixture(autouse=True)
def _board_writer_stopped():
    """End the board writer's lanes after each test: each holds a database connection of
    its own, which must not outlive the test's database (flushed or dropped) or settings."""
    yield
    from canvas.boardsocket import writer as board_writer

    board_writer.stop()


@pytest.fixture(autouse=True)
def _batch_progress_trailing_sends_stopped():
    """Cancel the trailing ``batch_progress`` sends a test's batch jobs scheduled (timer
    threads, THROTTLE_SECONDS later: canvas.batches.progress), and wait for one under way.
    Left running, one reads the database after the test: pytest-django refuses it
    ("Database access not allowed"), or it lands in the next test's database."""
    yield
    from canvas.batches import progress

    progress.cancel_trailing_sends()


@pytest.fixture(autouse=True)
def _channels_closes_old_connections_again():
    """Fail the test after which Channels no longer closes old database connections.

    Channels' test communicator swaps ``channels.db.close_old_connections`` for a no-op
    while it awaits. A test that leaves one awaiting (a socket never disconnected, a task
    left waiting on a socket), or runs Channels' own communicators concurrently (their
    patches unwind out of order), leaves the no-op in place for every later test of the
    worker process; tests/test_socket_connection.py failed on PostgreSQL that way. The
    real function is put back so the tests after it are not affected too."""
    yield
    wsclient = sys.modules.get("tests.wsclient")
    awaiting = wsclient.forget_awaits() if wsclient else 0
    if awaiting or channels.db.close_old_connections is not django.db.close_old_connections:
        left = channels.db.close_old_connections
        channels.db.close_old_connections = django.db.close_old_connections
        pytest.fail(
            f"This test left channels.db.close_old_connections swapped for {left!r} "
            f"({awaiting} tests.wsclient awaits under way): a "
            "Channels test communicator was still awaiting when it ended (a socket not "
            "disconnected, a task left waiting on one), or Channels' own "
            "WebsocketCommunicators were awaited at once (use tests.wsclient.Communicator, "
            "which counts the swap). Later tests would run with Channels never closing "
            "database connections.",
            pytrace=False,
        )


# --- S3 on loopback ---------------------------------------------------------------------------

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint():
    """A moto S3 server on a free loopback port, for the module that uses it."""
    from moto.server import ThreadedMotoServer  # ~1 s to import: only where S3 is tested

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(moto_endpoint, settings, monkeypatch):
    """A fresh private bucket used as the default storage; returns a boto3 Bucket. Ask for
    it after ``media_root`` (or fixtures using it), which points storage at a folder."""
    import boto3  # with moto: only where S3 is tested

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    name = f"anchorboard-{uuid.uuid4().hex[:12]}"
    s3 = boto3.resource("s3", endpoint_url=moto_endpoint, region_name="us-east-1", **CREDENTIALS)
    s3.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": moto_endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "addressing_style": "path",
                "default_acl": None,
                "file_overwrite": True,
            },
        },
    }
    return s3.Bucket(name)
