"""Signals the job queue sends to rooms above it (it may not import them).

``job_changed(job=...)``: a job that belongs to a batch changed state (queued → running,
any ending, back to the queue), or joined it (a retry, queued, ``created=True``: sent by
canvas.jobs.lifecycle.create). Sent by canvas.jobs.lifecycle.transition inside the
transaction that made the change, with the row as written; canvas.batches listens (its
counts, live progress and ``batch.completed``). Receivers must not raise for a reason the
change should not fail over, and must defer anything slow to after commit.

``clip_landed(iteration=..., user=...)``: a video job's clip was stored as a result
(canvas.jobs.video_results), inside the transaction that stored it; canvas.boards places
it on the board as a video item (canvas.boards.video_items).
"""

from __future__ import annotations

from django.dispatch import Signal

job_changed = Signal()
clip_landed = Signal()
