"""``manage.py run_workers``: a standalone process of job workers (see canvas.jobs.workers).

Runs until SIGTERM/SIGINT, then stops taking jobs and lets running ones finish. A job cut
short by SIGKILL is found by recovery when any worker starts again.
"""

from __future__ import annotations

import importlib
import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from canvas.jobs.workers import WorkerPool
from foundation import config, knobs


class Command(BaseCommand):
    help = "Run job workers in this process until stopped."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Worker threads (default: ANCHORBOARD_EMBEDDED_WORKERS).",
        )
        parser.add_argument(
            "--import",
            dest="imports",
            action="append",
            default=[],
            metavar="MODULE",
            help="Import MODULE first (e.g. one that registers extra engines). Repeatable.",
        )
        parser.add_argument(
            "--exit-when-idle",
            action="store_true",
            help="Exit once no job is queued or running (batch runs and tests).",
        )

    def handle(self, *args, **options) -> None:
        for module in options["imports"]:
            try:
                importlib.import_module(module)
            except ImportError as exc:
                raise CommandError(f"Could not import {module}: {exc}") from exc
        pool = WorkerPool(options["workers"] or config.read(knobs.EMBEDDED_WORKERS))
        stop = threading.Event()

        def request_stop(signum, frame) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        pool.start()
        self.stdout.write(f"job workers running ({pool.size} threads)", ending="\n")
        self.stdout.flush()
        while not stop.wait(1.0):
            if options["exit_when_idle"] and pool.idle():
                break
        self.stdout.write("stopping job workers (running jobs finish first)")
        pool.stop()
