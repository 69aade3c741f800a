"""Runs one export: claim it, let its kind write the file, store it, end the row.

``run(export_id, worker_id)`` does nothing unless it can claim the export (queued →
running as ``worker_id``), so a second delivery of the same task is a no-op. Then, inside
an ``ExportProgress`` (progress throttled and announced to the requester, the lease renewed
from a heartbeat thread while the writer works):

1. the kind (canvas.exports.kinds) writes the file into a temporary file on local disk —
   never into memory, whatever its size — while reporting progress;
2. the file's SHA-256 and size are taken in 1 MiB chunks, and the file is copied chunk by
   chunk to storage (assets.storage.write: local folder or S3 through django-storages,
   multipart for large objects) at ``exports/<board>/<export>/<name>``;
3. the row becomes ``ready`` with the key, size, hash and ``expires_at`` — only if this
   worker still owns it; the ``export.ready`` webhook is recorded in the same transaction.

An ``AppError`` fails the export with its code and message; anything else with
``internal_error`` and a plain sentence (the traceback goes to the log). If the export is
no longer this worker's (recovered elsewhere after a lost lease, or cancelled: the cancel
fails the row in this worker's name) the run stops at its next progress step and deletes
what it wrote (the temporary file, anything stored).

**Time limit.** A run may take ``ANCHORBOARD_EXPORT_TIME_LIMIT_SECONDS`` from its claim.
Past it, the next progress call raises ``ExportTimedOut`` (the export fails with
``export_timed_out``); a writer stuck between progress calls is failed by the heartbeat
thread, so the row says so on time and the writer stops when it next reports.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import threading
import time
from datetime import timedelta
from typing import Any, BinaryIO, cast

from django.utils import timezone
from django.utils.text import get_valid_filename

from assets import storage
from canvas.exports import kinds, lifecycle
from canvas.exports.models import Export, ExportState
from canvas.jobs import config as job_config
from foundation import config, knobs
from foundation.errors import AppError
from foundation.leased_work import Heartbeat

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024


# The run's clock (monotonic); tests replace it to move time forward without sleeping.
clock = time.monotonic


class LeaseLost(Exception):
    """This worker no longer owns the export (lease lost, or cancelled): stop quietly."""


class ExportTimedOut(AppError):
    status = 400
    code = "export_timed_out"


def _timed_out_error(limit: int) -> ExportTimedOut:
    minutes = f"{limit // 60} minutes" if limit >= 120 else f"{limit} seconds"
    return ExportTimedOut(
        f"The export took longer than {minutes}, this server's limit, and was stopped. "
        "Export fewer or smaller files, or ask your administrator to raise "
        "ANCHORBOARD_EXPORT_TIME_LIMIT_SECONDS."
    )


class ExportProgress:
    """The ``progress(fraction, message)`` a kind calls; renews the lease meanwhile."""

    def __init__(self, export: Export, worker_id: str) -> None:
        self.export_id = export.pk
        self.worker_id = worker_id
        self.interval = job_config.progress_interval_seconds()
        self.limit = config.read(knobs.EXPORT_TIME_LIMIT_SECONDS)
        self.started = clock()
        self._last = 0.0
        self._lost = threading.Event()
        self._heart = Heartbeat(
            self.beat,
            job_config.heartbeat_seconds,
            f"anchorboard-export-heartbeat-{self.export_id}",
            logger,
        )

    def __enter__(self) -> ExportProgress:
        self._heart.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._heart.stop()

    def over_time(self) -> bool:
        return clock() - self.started > self.limit

    def beat(self) -> bool:
        """One heartbeat: renew the lease, or fail a run that is over its time limit (the
        writer stops at its next progress call). False once the run is no longer ours."""
        if self.over_time():
            error = _timed_out_error(self.limit)
            _fail_running(self.export_id, self.worker_id, error.code, error.message)
            self._lost.set()
            return False
        if not lifecycle.renew_lease(self.export_id, self.worker_id):
            self._lost.set()
            return False
        return True

    def check(self) -> None:
        if self._lost.is_set():
            raise LeaseLost()
        if self.over_time():
            raise _timed_out_error(self.limit)

    def __call__(self, fraction: float, message: str = "") -> None:
        self.check()
        now = clock()
        if now - self._last < self.interval:
            return
        self._last = now
        fraction = min(1.0, max(0.0, float(fraction)))
        updated = lifecycle.transition(
            self.export_id,
            ExportState.RUNNING,
            ExportState.RUNNING,
            owner=self.worker_id,
            progress=fraction,
            progress_message=message[:200],
            lease_expires_at=lifecycle.lease_from_now(),
        )
        if updated is None:
            self._lost.set()
            raise LeaseLost()


def claim(export_id: Any, worker_id: str) -> Export | None:
    return lifecycle.transition(export_id, ExportState.QUEUED, ExportState.RUNNING, owner=worker_id)


def file_key(export: Export, file_name: str) -> str:
    return f"exports/{export.board_id}/{export.pk}/{file_name}"


def _digest(handle: Any) -> tuple[int, str]:
    handle.seek(0)
    sha, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        sha.update(chunk)
        size += len(chunk)
    handle.seek(0)
    return size, sha.hexdigest()


def keep_until() -> Any:
    return timezone.now() + timedelta(days=config.read(knobs.EXPORT_KEEP_DAYS))


def _fail_running(export_id: Any, worker_id: str, code: str, message: str) -> Export | None:
    return lifecycle.transition(
        export_id,
        ExportState.RUNNING,
        ExportState.FAILED,
        owner=worker_id,
        error_code=code,
        error_message=message,
        progress_message="Failed",
    )


def _fail(export: Export, worker_id: str, code: str, message: str) -> str:
    _fail_running(export.pk, worker_id, code, message)
    return ExportState.FAILED


def run(export_id: Any, worker_id: str) -> str | None:
    """Claim and run export ``export_id``; returns its final state, or None if this worker
    did not (or no longer) own it."""
    export = claim(export_id, worker_id)
    if export is None:
        return None
    key = ""
    try:
        with ExportProgress(export, worker_id) as progress:
            kind = kinds.get(export.kind)
            # Named: some writers (tifffile) need a file with a path, not a bare descriptor.
            with tempfile.NamedTemporaryFile(prefix="anchorboard-export-") as out:
                written = kind.write(export, cast(BinaryIO, out), progress)
                out.flush()
                progress.check()
                size, sha256 = _digest(out)
                key = file_key(export, get_valid_filename(written.file_name))
                progress(1.0, "Storing the file")
                storage.write(key, out, expected_size=size)
            progress.check()
            done = lifecycle.transition(
                export.pk,
                ExportState.RUNNING,
                ExportState.READY,
                owner=worker_id,
                file_key=key,
                file_name=get_valid_filename(written.file_name),
                mime_type=written.mime_type,
                size=size,
                sha256=sha256,
                progress=1.0,
                progress_message="Ready",
                expires_at=keep_until(),
            )
            if done is None:
                raise LeaseLost()
            return ExportState.READY
    except LeaseLost:
        logger.warning(
            "export %s: %s no longer owns it (cancelled, timed out or lease lost); stopping",
            export_id,
            worker_id,
        )
        if key:
            storage.delete_quietly(key)
        return None
    except AppError as exc:
        if key:
            storage.delete_quietly(key)
        return _fail(export, worker_id, exc.code, exc.message)
    except Exception:
        logger.exception("export %s failed", export_id)
        if key:
            storage.delete_quietly(key)
        return _fail(
            export,
            worker_id,
            "internal_error",
            "The export failed because of a problem on the server. Try again; if it fails "
            "again, tell your administrator (the server log has the details).",
        )
