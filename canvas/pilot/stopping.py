"""Stopping a pilot's work through the cancels everyone else uses: a batch's through
``cancel_batch`` (queued and held jobs at once, running ones asked to stop), an export
through ``cancel_export`` (queued at once; a running one's worker stops at its next step
and deletes its partial file).

Both the person's cancel (canvas.pilot.runs.cancel_pilot) and the stage deadline
(canvas.pilot.deadline) stop work this way, so results and files already saved stay where
they are: a cancel ends what is still to come, it never deletes what has landed. This
module changes other apps' rows only through their own functions; it never touches a run.
"""

from __future__ import annotations

import contextlib
from typing import Any

from canvas.batches.runs import BatchStateConflict, cancel_batch
from canvas.exports.models import Export, ExportState
from canvas.exports.services import ExportFinished, cancel_export
from canvas.models import BATCH_ENDED_STATES, Batch
from canvas.pilot.models import batch_key
from foundation.errors import Forbidden

EXPORT_ACTIVE = (ExportState.QUEUED, ExportState.RUNNING)


def stop_batch(batch_id: Any) -> bool:
    """Cancel the batch if it has not ended; True when this call cancelled it."""
    batch = Batch.objects.filter(pk=batch_key(batch_id)).exclude(state__in=BATCH_ENDED_STATES)
    found = batch.first()
    if found is None:
        return False
    with contextlib.suppress(BatchStateConflict):  # it ended meanwhile
        cancel_batch(found)
        return True
    return False


def export_ids(exports: dict[str, Any] | None) -> list[str]:
    """The ids of the exports a run asked for (``PilotRun.exports``; refusals have none)."""
    return [entry["id"] for entry in (exports or {}).values() if "id" in entry]


def stop_exports(exports: dict[str, Any] | None, user: Any) -> list[str]:
    """Cancel the run's exports still queued or running, in their requester's name (the
    pilot asked for them; ``user`` when the requester is gone); the ids it cancelled."""
    stopped = []
    active = Export.objects.filter(pk__in=export_ids(exports), state__in=EXPORT_ACTIVE)
    for export in active.select_related("board", "requested_by"):
        requester = export.requested_by if export.requested_by_id else user
        with contextlib.suppress(ExportFinished, Forbidden):
            cancel_export(export, requester)
            stopped.append(str(export.pk))
    return stopped
