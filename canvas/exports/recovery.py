"""The exports' upkeep: what every worker process does for them once per poll period.

- **recovery**: a running export whose lease expired, or whose worker process on this host
  is gone, goes back to ``queued`` and is handed to the dispatcher again (the interrupted
  start counted as an attempt), or ``failed`` ("interrupted N times") when no attempts are
  left — never left ``running`` for ever;
- **lost hand-overs**: a queued export whose run task never started (the process that
  queued it died first, the broker lost the message) is handed over again once a lease
  has passed; a second hand-over of a live one is harmless (the claim is conditional);
- **expiry**: the files of exports past ``expires_at`` are deleted (the row stays, so the
  exports page can say "expired" and offer to export again).

Registered as chores of canvas.jobs.upkeep (the embedded pool's housekeeping thread, each
Celery worker's sweeper). Each looks first with one indexed read and does nothing more
when it finds nothing. Never runs an export.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from assets import storage
from canvas.exports import lifecycle
from canvas.exports.models import Export, ExportState
from canvas.jobs import config as job_config
from foundation.background import dispatch_now, run_after_commit

logger = logging.getLogger(__name__)

RUN_TASK = "canvas.exports.run"
PURGE_BATCH = 100


def recover_abandoned_exports() -> list[str]:
    """Requeue (and hand over again) or fail every abandoned running export."""
    now = timezone.now()
    recovered: list[str] = []
    for export in lifecycle.EXPORTS.abandoned(now):
        if export.attempts < export.max_attempts:
            updated = lifecycle.transition(
                export.pk,
                ExportState.RUNNING,
                ExportState.QUEUED,
                owner=export.worker_id,
                where={"lease_expires_at": export.lease_expires_at},
                progress_message=(
                    f"Attempt {export.attempts} of {export.max_attempts} was interrupted "
                    "(the worker stopped); running it again."
                ),
            )
            if updated is not None:
                run_after_commit(RUN_TASK, str(export.pk))
        else:
            updated = lifecycle.transition(
                export.pk,
                ExportState.RUNNING,
                ExportState.FAILED,
                owner=export.worker_id,
                where={"lease_expires_at": export.lease_expires_at},
                error_code="interrupted",
                error_message=(
                    f"The export was interrupted {export.attempts} times (the worker stopped "
                    "each time) and was not tried again. Export again, or export less at once."
                ),
                progress_message="Failed",
            )
        if updated is not None:
            recovered.append(str(export.pk))
            logger.warning("export %s recovered from %s", export.pk, export.worker_id)
    return recovered


def hand_over_lost() -> list[str]:
    """Queued exports whose run task never started: hand them to the dispatcher again."""
    cutoff = timezone.now() - timedelta(seconds=job_config.lease_seconds())
    stale = list(
        Export.objects.filter(state=ExportState.QUEUED)
        .filter(Q(dispatched_at__lt=cutoff) | Q(dispatched_at__isnull=True))
        .values_list("pk", "dispatched_at")[:50]
    )
    handed: list[str] = []
    for pk, at in stale:
        # Taken by one sweeper at a time: only the one whose update matched hands it over.
        if Export.objects.filter(pk=pk, state=ExportState.QUEUED, dispatched_at=at).update(
            dispatched_at=timezone.now()
        ):
            dispatch_now(RUN_TASK, str(pk))
            handed.append(str(pk))
    return handed


def purge_expired() -> int:
    """Delete the files of expired exports; returns how many."""
    now = timezone.now()
    due = list(
        Export.objects.filter(state=ExportState.READY, expires_at__lte=now)
        .exclude(file_key="")
        .values_list("pk", "file_key")[:PURGE_BATCH]
    )
    for pk, key in due:
        if Export.objects.filter(pk=pk, file_key=key).update(file_key=""):
            storage.delete_quietly(key)
    return len(due)


def tick() -> None:
    """One upkeep period for exports (a chore of canvas.jobs.upkeep)."""
    recovered = recover_abandoned_exports()
    if recovered:
        logger.warning("requeued or ended %d abandoned export(s)", len(recovered))
    hand_over_lost()
    purge_expired()
