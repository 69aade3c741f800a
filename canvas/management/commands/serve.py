"""``manage.py serve``: the one-process server behind ``python3 dev.py start``.

It migrates, seeds the demo data, requeues unfinished image previews and then runs Daphne
in this process, so the embedded job workers (foundation.background) share it.

Daphne runs in-process through ``anchorboard.daphne_server.GuardedServer`` (Daphne's
server with request bodies admitted before they are read) rather than by exec'ing the
``daphne`` CLI: the banner (URL and demo login) can then be printed from
``ready_callable``, i.e. only once the port is really listening, which is what people and
the smoke test wait for; and there is no second interpreter start or argument parsing to
keep in step. Ctrl+C / SIGTERM stop the reactor (Daphne installs the handlers); the
embedded worker pool is then drained before the process exits.

Not for production scale-out: there, run ``python -m anchorboard.daphne_server
anchorboard.asgi:application`` behind a proxy, and Celery workers (docs/deploy.md).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from assets.services import requeue_pending_derivatives
from canvas.demo import seed_demo
from canvas.protocol.limits import MAX_FRAME_BYTES
from foundation import knobs
from foundation.config import from_environment

# Largest websocket message a browser may send: a batch of up to 500 operations is well
# under this; anything bigger is a bug or abuse and is refused by Daphne before parsing,
# with close code 1009 (anchorboard.daphne_server.GuardedServer).
WEBSOCKET_MAX_MESSAGE_BYTES = MAX_FRAME_BYTES
WEBSOCKET_MAX_FRAME_BYTES = MAX_FRAME_BYTES


def default_port() -> int:
    try:
        return from_environment(knobs.PORT)
    except ImproperlyConfigured as exc:
        raise CommandError(str(exc)) from None


class Command(BaseCommand):
    help = "Migrate, seed the demo board and serve Anchorboard (HTTP + websockets) with Daphne."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
        parser.add_argument("--no-demo", action="store_true", help="do not create demo data")

    def handle(self, *args, host: str, port: int | None, no_demo: bool, **options) -> None:
        port = port if port is not None else default_port()
        if not 0 < port < 65536:
            raise CommandError(f"Port {port} is out of range (1–65535).")
        say = self._say

        say("applying database migrations")
        call_command("migrate", interactive=False, verbosity=0)

        # Before seeding: the demo images schedule their own previews when they are added.
        requeue_pending_derivatives()

        login = None
        if not no_demo:
            say("checking demo data")
            login = seed_demo().login

        self._serve(host, port, login)

    def _say(self, message: str) -> None:
        self.stdout.write(f"[anchorboard] {message}")
        self.stdout.flush()

    def _banner(self, host: str, port: int, login) -> None:
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104
        if ":" in shown_host and not shown_host.startswith("["):
            shown_host = f"[{shown_host}]"
        lines = ["", "=" * 64, f"  Anchorboard is running at  http://{shown_host}:{port}/"]
        if login is not None:
            if login.password:
                lines.append(
                    f"  Demo login:  username {login.username}   password {login.password}"
                )
            else:
                lines.append(
                    f"  Demo login:  username {login.username} (password changed by its user)"
                )
            lines.append(f"  (kept in {login.path})")
        lines += ["  Stop the server with Ctrl+C.", "=" * 64, ""]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    def _serve(self, host: str, port: int, login) -> None:
        # Imported here: daphne.server installs the asyncio Twisted reactor on import.
        from channels.routing import get_default_application
        from daphne.endpoints import build_endpoint_description_strings

        from anchorboard.daphne_server import HANDSHAKE_TIMEOUT_SECONDS, GuardedServer
        from canvas.boardsocket import writer as board_writer
        from canvas.jobs.workers import start_embedded_workers, stop_embedded_workers
        from foundation.background import shutdown_embedded_pool

        application = get_default_application()
        endpoints = build_endpoint_description_strings(host=host, port=port)
        server = GuardedServer(
            application=application,
            endpoints=endpoints,
            signal_handlers=True,
            websocket_max_message_size=WEBSOCKET_MAX_MESSAGE_BYTES,
            websocket_max_frame_size=WEBSOCKET_MAX_FRAME_BYTES,
            websocket_handshake_timeout=HANDSHAKE_TIMEOUT_SECONDS,
            ready_callable=lambda: self._banner(host, port, login),
            verbosity=1,
        )
        start_embedded_workers()  # job workers in this process (embedded dispatcher only)
        try:
            server.run()
        finally:
            self._say("stopping: finishing background tasks")
            board_writer.stop()
            stop_embedded_workers()
            shutdown_embedded_pool(wait=True)
        if not server.listening_addresses:
            raise CommandError(f"Could not listen on {host}:{port}; is the port already in use?")
