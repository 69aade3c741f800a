"""How a running job talks to the world: progress, previews, lease renewal, cancellation.

``JobProgress`` is the ``ProgressReporter`` the runner hands to an engine. It is a context
manager that owns every channel-layer call of a running job, throttles database writes
and broadcasts (an engine may call ``step`` hundreds of times a second), renews the job's
lease while the engine works, and answers ``cancelled()`` from the database so a cancel
from any process is seen.

The module also holds the after-commit broadcast of job state used by canvas.jobs.queue.
Messages go through the channel layer only, never through memory shared with the
websocket server, so a worker in another process reaches the same clients.

It never changes a job's state (queued/running/finished): that is canvas.jobs.queue and
canvas.jobs.runner.
"""

from __future__ import annotations

import base64
import io
import logging
import threading
import time
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import close_old_connections, transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image

from canvas.jobs import config
from canvas.models.jobs import Job, JobState

logger = logging.getLogger(__name__)

# Dispatched to the board consumer's ``board_job`` handler, which relays ``message`` as is.
JOB_EVENT = "board.job"
PREVIEW_EDGE = 192
PREVIEW_QUALITY = 70


class LeaseLost(Exception):
    """This worker no longer owns the job (recovered elsewhere or finished): stop quietly."""


# --- Messages -------------------------------------------------------------------------------


def job_message(job: Job) -> dict[str, Any]:
    from canvas.jobs.payloads import job_payload

    return {"type": "job", "job": job_payload(job)}


def job_preview_message(job_id: Any, version: int, data_url: str) -> dict[str, Any]:
    return {"type": "job_preview", "job": str(job_id), "version": version, "image": data_url}


def iteration_message(iteration: Any) -> dict[str, Any]:
    from canvas.jobs.payloads import iteration_payload

    return {"type": "iteration", "iteration": iteration_payload(iteration)}


def queue_message(board_id: Any, paused: bool) -> dict[str, Any]:
    return {"type": "job_queue", "board": str(board_id), "paused": paused}


def send_to_board_now(board_id: Any, message: dict[str, Any]) -> None:
    """Send ``message`` to everyone on the board; must not be called inside a transaction
    whose outcome is unknown (use the ``*_after_commit`` helpers there)."""
    from canvas.realtime import board_group

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            board_group(board_id), {"type": JOB_EVENT, "message": message}
        )
    except Exception:  # a broadcast failing must never fail the job itself
        logger.warning("could not broadcast %s to board %s", message.get("type"), board_id)


def _send_job_state_now(job_id: Any) -> None:
    # Read after commit so the message carries what was committed (and the latest version).
    job = Job.objects.filter(pk=job_id).first()
    if job is not None:
        send_to_board_now(job.board_id, job_message(job))


def broadcast_job_after_commit(job_id: Any) -> None:
    """Broadcast the job's committed state once the surrounding transaction commits."""
    transaction.on_commit(lambda: _send_job_state_now(job_id))


def _send_iteration_now(iteration_id: Any) -> None:
    from canvas.models.jobs import Iteration

    iteration = Iteration.objects.filter(pk=iteration_id).first()
    if iteration is not None:
        send_to_board_now(iteration.board_id, iteration_message(iteration))


def broadcast_iteration_after_commit(iteration_id: Any) -> None:
    """Broadcast a result's committed state (new, applied, discarded, current…)."""
    transaction.on_commit(lambda: _send_iteration_now(iteration_id))


def broadcast_queue_after_commit(board_id: Any, paused: bool) -> None:
    transaction.on_commit(lambda: send_to_board_now(board_id, queue_message(board_id, paused)))


def preview_data_url(image: Image.Image, edge: int = PREVIEW_EDGE) -> str:
    """A small JPEG of ``image`` as a data URL (long edge ≤ ``edge``)."""
    small = image.copy()
    small.thumbnail((edge, edge), Image.Resampling.BILINEAR)
    if small.mode != "RGB":
        background = Image.new("RGB", small.size, (255, 255, 255))
        rgba = small.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        small = background
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=PREVIEW_QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# --- The reporter ---------------------------------------------------------------------------


class JobProgress:
    """The engine's view of its job. Use as ``with JobProgress(job_id, worker) as p:``.

    ``base``/``span`` map the engine's 0–1 onto part of the job's bar, so the runner can
    keep a share for compositing and storing results.
    """

    def __init__(
        self, job_id: Any, worker_id: str, *, base: float = 0.05, span: float = 0.85
    ) -> None:
        self.job_id = job_id
        self.worker_id = worker_id
        self.base = base
        self.span = span
        self.interval = config.progress_interval_seconds()
        self._last_write = 0.0
        self._last_preview = 0.0
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._board_id = Job.objects.filter(pk=job_id).values_list("board_id", flat=True).first()
        self._deadline = time.monotonic() + config.time_limit_seconds()
        self.timed_out = False

    # context management: the heartbeat keeps the lease while the engine is busy
    def __enter__(self) -> JobProgress:
        self._heartbeat = threading.Thread(
            target=self._beat, name=f"lease-{self.job_id}", daemon=True
        )
        self._heartbeat.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        if exc is not None and not isinstance(exc, LeaseLost):
            logger.info("job %s stopped with %s: %s", self.job_id, type(exc).__name__, exc)

    def _beat(self) -> None:
        every = max(0.2, config.lease_seconds() / 3)
        try:
            while not self._stop.wait(every):
                try:
                    self.renew_lease()
                except LeaseLost:
                    return
                except Exception:
                    logger.exception("lease renewal for job %s failed", self.job_id)
        finally:
            close_old_connections()

    def _mine(self):
        return Job.objects.filter(pk=self.job_id, state=JobState.RUNNING, worker_id=self.worker_id)

    def renew_lease(self) -> None:
        expires = timezone.now() + timedelta(seconds=config.lease_seconds())
        if not self._mine().update(lease_expires_at=expires):
            raise LeaseLost(str(self.job_id))

    def set(self, fraction: float, message: str = "", *, force: bool = False) -> None:
        """Record overall progress (0–1), at most once per interval unless ``force``."""
        now = time.monotonic()
        if not force and now - self._last_write < self.interval:
            return
        self._last_write = now
        fraction = min(1.0, max(0.0, fraction))
        updated = self._mine().update(
            progress=fraction,
            progress_message=message[:200],
            lease_expires_at=timezone.now() + timedelta(seconds=config.lease_seconds()),
            version=F("version") + 1,
        )
        if not updated:
            raise LeaseLost(str(self.job_id))
        _send_job_state_now(self.job_id)  # autocommit: the write above is already visible

    # ProgressReporter
    def step(self, done: int, total: int, message: str = "") -> None:
        share = done / total if total else 0.0
        self.set(self.base + self.span * share, message, force=total > 0 and done >= total)

    def preview(self, image: Image.Image) -> None:
        now = time.monotonic()
        if now - self._last_preview < self.interval or self._board_id is None:
            return
        self._last_preview = now
        version = self._mine().values_list("version", flat=True).first()
        if version is None:
            raise LeaseLost(str(self.job_id))
        send_to_board_now(
            self._board_id, job_preview_message(self.job_id, version, preview_data_url(image))
        )

    def cancelled(self) -> bool:
        """True when someone cancelled, the job is no longer ours, or it ran out of time
        (then ``timed_out`` is set and the runner records a failure, not a cancel)."""
        if time.monotonic() > self._deadline:
            self.timed_out = True
            return True
        row = (
            Job.objects.filter(pk=self.job_id)
            .values_list("cancel_requested", "state", "worker_id")
            .first()
        )
        if row is None:
            return True
        cancel_requested, state, worker = row
        return bool(cancel_requested) or state != JobState.RUNNING or worker != self.worker_id
