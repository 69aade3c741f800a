"""Background work of exports (registered with foundation.background by ExportsConfig).

- "canvas.exports.run" ``(export_id)``: sent after the transaction that queued (or
  requeued) an export commits; claims and runs it (canvas.exports.runner). Runs on the
  dispatcher's threads (embedded) or a Celery worker, like every background task.
  Idempotent: an export that is not queued any more is not run again.
- the upkeep chore (canvas.exports.recovery.tick), added to canvas.jobs.upkeep so every
  worker process recovers exports whose worker died and deletes expired files.
- the kinds whose writers have landed register with canvas.exports.kinds here.
"""

from __future__ import annotations

import uuid

from canvas.exports import formats, recovery, runner  # formats: registers the kinds
from canvas.jobs import upkeep
from foundation.background import task
from foundation.leased_work import worker_name


@task(recovery.RUN_TASK)
def run(export_id: str) -> str | None:
    # One name per run: two threads of one process must never share an owner.
    return runner.run(export_id, worker_name(f"export-{uuid.uuid4().hex[:12]}"))


upkeep.add_chore("exports", recovery.tick)
__all__ = ["formats", "run"]
