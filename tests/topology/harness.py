"""Run the scaled-out topology as real processes on loopback, for tests and the benchmark.

``Topology`` owns everything it starts and stops it again: a dedicated PostgreSQL database
(``anchorboard_topology_<random>`` on the shared server, dropped at the end), a private
``redis-server`` on a free port (so a test may restart it without disturbing anyone), an
S3-compatible server (moto) with a private bucket, web servers (``anchorboard.daphne_server``,
as deployed) and Celery workers started with the deployment's environment (DATABASE_URL,
REDIS_URL, ANCHORBOARD_DISPATCHER=celery, AWS_*).

Waiting is always "until this is true, or fail after a deadline" (``wait_until``); the
harness never sleeps to let something happen. Nothing here knows a test's assertions.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get(
    "TOPOLOGY_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
BUCKET = "anchorboard-topology"
# The deployment's web server options besides the address (deploy/Dockerfile).
WEB_OPTIONS = ["--websocket-max-message-size", "1048576", "--websocket-max-frame-size", "1048576"]
T = TypeVar("T")


class ServiceMissing(RuntimeError):
    """A service the topology needs is not installed or not reachable."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(
    check: Callable[[], T], *, timeout: float, what: str, every: float = 0.1, detail=None
) -> T:
    """Return ``check()``'s first truthy value; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f"\n{detail()}" if detail else ""
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}{extra}")
        time.sleep(every)  # polling interval of a bounded wait, not a synchronisation sleep


@dataclass
class Proc:
    name: str
    args: list[str]
    log: Path
    popen: subprocess.Popen | None = None
    port: int = 0

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 40) -> str:
        return f"--- {self.name} ({self.log}) ---\n" + "\n".join(
            self.log_text().splitlines()[-lines:]
        )


@dataclass
class Topology:
    """The processes and services of one scaled-out deployment on this machine."""

    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    worker_concurrency: int = 2
    database: str = ""
    redis_port: int = 0
    s3_port: int = 0
    webs: list[Proc] = field(default_factory=list)
    workers: list[Proc] = field(default_factory=list)
    _redis: Proc | None = None
    _moto: Any = None
    _worker_serial: int = 0

    # --- services -------------------------------------------------------------------------

    def start_services(self) -> None:
        self._create_database()
        self._start_redis()
        self._start_s3()

    def _admin(self):
        import psycopg

        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)

    def _create_database(self) -> None:
        try:
            admin = self._admin()
        except Exception as exc:
            raise ServiceMissing(f"PostgreSQL at {PG_ADMIN_URL}: {exc}") from exc
        self.database = f"anchorboard_topology_{secrets.token_hex(4)}"
        with admin:
            admin.execute(f'CREATE DATABASE "{self.database}"')

    def _drop_database(self) -> None:
        if not self.database:
            return
        with contextlib.suppress(Exception), self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def _start_redis(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServiceMissing("redis-server is not installed (apt install redis-server)")
        if not self.redis_port:
            self.redis_port = free_port()
        # No persistence: a restart loses every message and group, the worst case.
        self._redis = self._spawn(
            "redis",
            [
                binary,
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            env=os.environ.copy(),
        )
        wait_until(
            lambda: port_open(self.redis_port),
            timeout=20,
            what="redis-server",
            detail=self._redis.tail,
        )

    def restart_redis(self) -> None:
        """Stop the private Redis (all data lost) and start a new one on the same port."""
        assert self._redis is not None
        self._stop(self._redis, signal.SIGKILL)
        self._start_redis()

    def _start_s3(self) -> None:
        import boto3
        from moto.server import ThreadedMotoServer

        self.s3_port = free_port()
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.s3_port, verbose=False)
        self._moto.start()
        self.s3().create_bucket(Bucket=BUCKET)
        _ = boto3  # imported here so a missing boto3 fails the same way as a missing moto

    def s3(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.s3_port}",
            aws_access_key_id="topology",
            aws_secret_access_key="topology-secret",
            region_name="us-east-1",
        )

    # --- environment and processes --------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        keep = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("ANCHORBOARD_", "AWS_", "DJANGO_", "CELERY_"))
            and key not in {"DATABASE_URL", "REDIS_URL"}
        }
        keep.update(
            DJANGO_SETTINGS_MODULE="anchorboard.settings",
            DJANGO_SECRET_KEY="topology-" + "x" * 50,
            DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{self.database}",
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            ANCHORBOARD_DISPATCHER="celery",
            ANCHORBOARD_DATA_DIR=str(self.workdir / "data"),
            AWS_STORAGE_BUCKET_NAME=BUCKET,
            AWS_S3_ENDPOINT_URL=f"http://127.0.0.1:{self.s3_port}",
            AWS_S3_REGION_NAME="us-east-1",
            AWS_ACCESS_KEY_ID="topology",
            AWS_SECRET_ACCESS_KEY="topology-secret",
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(ROOT),
        )
        keep.update(self.extra_env)
        return keep

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> Proc:
        proc = Proc(name=name, args=args, log=self.workdir / f"{name}.log")
        with proc.log.open("ab") as log:
            proc.popen = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env if env is not None else self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return proc

    def run(self, *args: str, timeout: float = 300) -> str:
        """Run ``python args…`` to completion with the deployment's environment."""
        done = subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise AssertionError(f"{args} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        return done.stdout

    def migrate(self) -> None:
        self.run("manage.py", "migrate", "-v", "0")

    def seed(self, username: str, edge: int = 32) -> dict[str, Any]:
        return json.loads(
            self.run("-m", "tests.topology.seed", username, str(edge)).splitlines()[-1]
        )

    def start_web(self) -> Proc:
        """A web server started the way the deployment starts one (docs/deploy.md, the
        Dockerfile): ``anchorboard.daphne_server`` with its listen backlog, handshake time
        and request guard, and the same websocket size caps."""
        port = free_port()
        proc = self._spawn(
            f"web{len(self.webs) + 1}",
            [
                sys.executable,
                "-m",
                "anchorboard.daphne_server",  # as deployed (docs/deploy.md), not stock daphne
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                *WEB_OPTIONS,
                "tests.topology.asgi:application",
            ],
        )
        proc.port = port
        self.webs.append(proc)
        wait_until(
            lambda: port_open(port) or not proc.alive(),
            timeout=60,
            what=f"{proc.name} to listen",
            detail=proc.tail,
        )
        assert proc.alive(), proc.tail()
        return proc

    def start_worker(
        self,
        *,
        concurrency: int | None = None,
        queues: str = "",
        include: str = "tests.topology.engines",
    ) -> Proc:
        """A Celery worker (thread pool); ``queues`` limits what it consumes (``-Q``)."""
        self._worker_serial += 1
        name = f"worker{self._worker_serial}"
        proc = self._spawn(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "anchorboard.celery_app",
                "worker",
                "--pool",
                "threads",
                "--concurrency",
                str(concurrency or self.worker_concurrency),
                "-n",
                f"{name}@%h",
                "-I",
                include,
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                *(["-Q", queues] if queues else []),
            ],
        )
        self.workers.append(proc)
        # The sweeper starts on worker_ready: from then on the worker consumes messages.
        wait_until(
            lambda: "job sweeper started" in proc.log_text() or not proc.alive(),
            timeout=90,
            what=f"{name} to be ready",
            detail=proc.tail,
        )
        assert proc.alive(), proc.tail()
        return proc

    def kill(self, proc: Proc) -> None:
        """SIGKILL: no shutdown code runs, like a crashed machine or an OOM kill."""
        self._stop(proc, signal.SIGKILL)
        if proc in self.workers:
            self.workers.remove(proc)

    def _stop(self, proc: Proc, sig: int, timeout: float = 30) -> None:
        if proc.popen is None or proc.popen.poll() is not None:
            return
        proc.popen.send_signal(sig)
        try:
            proc.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.popen.kill()
            proc.popen.wait(10)

    def logs(self, lines: int = 30) -> str:
        procs = [*self.webs, *self.workers] + ([self._redis] if self._redis else [])
        return "\n".join(proc.tail(lines) for proc in procs)

    # --- the database, read directly for assertions ---------------------------------------

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(
            f"postgres://postgres@127.0.0.1:5432/{self.database}", connect_timeout=5
        ) as conn:
            return list(conn.execute(query, params).fetchall())

    # --- teardown -------------------------------------------------------------------------

    def stop(self) -> None:
        for proc in [*self.workers, *self.webs]:
            self._stop(proc, signal.SIGTERM)
        self.workers.clear()
        self.webs.clear()
        if self._redis is not None:
            self._stop(self._redis, signal.SIGTERM)
        if self._moto is not None:
            with contextlib.suppress(Exception):
                self._moto.stop()
        self._drop_database()


@contextlib.contextmanager
def topology(workdir: Path, **kwargs: Any) -> Iterator[Topology]:
    """Services up and migrated; web servers and workers are started by the caller."""
    workdir.mkdir(parents=True, exist_ok=True)
    topo = Topology(workdir=workdir, **kwargs)
    try:
        topo.start_services()
        topo.migrate()
        yield topo
    finally:
        topo.stop()
