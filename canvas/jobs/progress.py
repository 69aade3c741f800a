"""How a running job talks to the world: progress, previews, lease renewal, cancellation.

``JobProgress`` is the ``ProgressReporter`` the runner hands to an engine. It is a context
manager that throttles progress writes (an engine may call ``step`` hundreds of times a
second), sends previews, renews the job's lease from a heartbeat thread while the engine
works, and answers ``cancelled()`` from the database so a cancel from any process is seen.

Progress is a running → running change made through canvas.jobs.lifecycle (which bumps
the version and announces it); previews go straight to the board (canvas.jobs.announce).
It never ends a job: canvas.jobs.runner does.
"""

from __future__ import annotations

import base64
import io
import logging
import time
from typing import Any

from PIL import Image

from canvas import protocol
from canvas.jobs import config, lifecycle
from canvas.jobs.announce import send_to_board_now
from canvas.models.jobs import Job, JobState
from foundation.leased_work import Heartbeat

logger = logging.getLogger(__name__)

PREVIEW_EDGE = 192
PREVIEW_QUALITY = 70


class LeaseLost(Exception):
    """This worker no longer owns the job (recovered elsewhere or finished): stop quietly."""


# --- Previews -------------------------------------------------------------------------------


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
        self,
        job_id: Any,
        worker_id: str,
        *,
        base: float = 0.05,
        span: float = 0.85,
        board_id: Any = None,
        cancel_requested: bool | None = None,
    ) -> None:
        """``board_id`` and ``cancel_requested``: what the caller just read of the job's
        row (the runner reads it before it starts), so neither is asked again; the
        cancel flag counts as this interval's look at the database."""
        self.job_id = job_id
        self.worker_id = worker_id
        self.base = base
        self.span = span
        self.interval = config.progress_interval_seconds()
        # The claim wrote the first progress ("Preparing the region"): the next write
        # waits its interval like any other.
        self._last_write = time.monotonic()
        self._last_preview = 0.0
        self._last_cancel_check = -float("inf")
        self._cancel_seen = False
        if cancel_requested is not None:
            self._last_cancel_check = self._last_write
            self._cancel_seen = cancel_requested
        self._heartbeat = Heartbeat(
            self._renew, config.heartbeat_seconds, f"lease-{job_id}", logger
        )
        if board_id is None:
            board_id = Job.objects.filter(pk=job_id).values_list("board_id", flat=True).first()
        self._board_id = board_id
        self._deadline = time.monotonic() + config.time_limit_seconds()
        self.timed_out = False

    @classmethod
    def for_job(cls, job: Job, worker_id: str) -> JobProgress:
        """The reporter of ``job``, a row its worker just read (running, its own)."""
        return cls(job.pk, worker_id, board_id=job.board_id, cancel_requested=job.cancel_requested)

    # context management: the heartbeat keeps the lease while the engine is busy
    def __enter__(self) -> JobProgress:
        self._heartbeat.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._heartbeat.stop()
        if exc is not None and not isinstance(exc, LeaseLost):
            logger.info("job %s stopped with %s: %s", self.job_id, type(exc).__name__, exc)

    def _renew(self) -> bool:
        """One heartbeat: False once the job is no longer this worker's (the next progress
        write finds out and raises LeaseLost)."""
        return lifecycle.renew_lease(self.job_id, self.worker_id)

    def set(self, fraction: float, message: str = "", *, force: bool = False) -> None:
        """Record overall progress (0–1), at most once per interval unless ``force``."""
        now = time.monotonic()
        if not force and now - self._last_write < self.interval:
            return
        self._last_write = now
        fraction = min(1.0, max(0.0, fraction))
        updated = lifecycle.transition(
            self.job_id,
            JobState.RUNNING,
            JobState.RUNNING,
            owner=self.worker_id,
            durable=False,  # the next progress message or the final state supersedes it
            progress=fraction,
            progress_message=message[:200],
            lease_expires_at=lifecycle.lease_from_now(),
        )
        if updated is None:
            raise LeaseLost(str(self.job_id))

    # ProgressReporter
    def step(self, done: int, total: int, message: str = "") -> None:
        share = done / total if total else 0.0
        self.set(self.base + self.span * share, message, force=total > 0 and done >= total)

    def preview(self, image: Image.Image) -> None:
        now = time.monotonic()
        if now - self._last_preview < self.interval or self._board_id is None:
            return
        self._last_preview = now
        version = (
            Job.objects.filter(pk=self.job_id, state=JobState.RUNNING, worker_id=self.worker_id)
            .values_list("version", flat=True)
            .first()
        )
        if version is None:
            raise LeaseLost(str(self.job_id))
        send_to_board_now(
            self._board_id,
            protocol.job_preview_message(self.job_id, version, preview_data_url(image)),
        )

    def cancelled(self) -> bool:
        """True when someone cancelled, the job is no longer ours, or it ran out of time
        (then ``timed_out`` is set and the runner records a failure, not a cancel).

        The database is asked at most once per progress interval; in between, the last
        answer stands (an engine may ask before every step: a cancel is seen within one
        interval, and ten steps a job are not ten round trips)."""
        now = time.monotonic()
        if now > self._deadline:
            self.timed_out = True
            return True
        if self._cancel_seen or now - self._last_cancel_check < self.interval:
            return self._cancel_seen
        self._last_cancel_check = now
        self._cancel_seen = self._ask_cancelled()
        return self._cancel_seen

    def _ask_cancelled(self) -> bool:
        row = (
            Job.objects.filter(pk=self.job_id)
            .values_list("cancel_requested", "state", "worker_id")
            .first()
        )
        if row is None:
            return True
        cancel_requested, state, worker = row
        return bool(cancel_requested) or state != JobState.RUNNING or worker != self.worker_id
