"""Every change of an export row: the allowed transitions, written once.

``transition(export_id, source, target, owner=…, **fields)`` is one conditional
``UPDATE … WHERE state = <source>`` (plus ``worker_id = <owner>`` where the rule needs
one, plus any ``where`` guard), ``version + 1``, the row read back in the same
transaction, its requester told after commit (canvas.exports.announce), and — on
``ready`` — the team's ``export.ready`` webhook recorded in the same transaction
(idempotent: the event key is the export's id). A guard that no longer holds is a lost
race and returns None; a transition that is not in the table raises IllegalTransition.

    queued ── claim ──► running ── file stored ──► ready
                          │  ├──── error ────────► failed
                          │  └─ worker died, attempts left ─► queued (recovery)
                          └──── worker died, none left ────► failed (recovery)
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from canvas.exports import announce
from canvas.exports.models import Export, ExportState
from canvas.exports.payloads import webhook_data
from canvas.jobs import config as job_config
from canvas.webhooks import dispatch, events

logger = logging.getLogger(__name__)

QUEUED, RUNNING, READY, FAILED = (
    ExportState.QUEUED,
    ExportState.RUNNING,
    ExportState.READY,
    ExportState.FAILED,
)


class IllegalTransition(Exception):
    """A bug: an export may not change like that (tests/exports/test_lifecycle.py)."""


# (source, target) -> does the change need the running worker's name?
TRANSITIONS: dict[tuple[str, str], bool] = {
    (QUEUED, RUNNING): True,  # claimed by a worker (the owner it gets)
    (RUNNING, RUNNING): True,  # progress, from its worker
    (RUNNING, READY): True,  # the file is stored
    (RUNNING, FAILED): True,  # the writer refused or crashed; recovery: out of attempts
    (RUNNING, QUEUED): True,  # recovery: the worker died, attempts left
}
FINISHED = (READY, FAILED)
_RESERVED = frozenset({"state", "version"})


def lease_from_now() -> Any:
    """Exports share the job queue's lease and heartbeat settings (docs/jobs.md)."""
    return timezone.now() + timedelta(seconds=job_config.lease_seconds())


def _effects(source: str, target: str, owner: str, now: Any) -> dict[str, Any]:
    if (source, target) == (QUEUED, RUNNING):
        return {
            "worker_id": owner,
            "started_at": now,
            "lease_expires_at": lease_from_now(),
            "attempts": F("attempts") + 1,
            "progress": 0,
            "progress_message": "Starting",
        }
    if (source, target) == (RUNNING, QUEUED):
        return {"worker_id": "", "lease_expires_at": None, "progress": 0, "dispatched_at": now}
    if target in FINISHED:
        return {"finished_at": now, "lease_expires_at": None}
    return {}


def transition(
    export_id: Any,
    source: str,
    target: str,
    *,
    owner: str,
    where: dict[str, Any] | None = None,
    **fields: Any,
) -> Export | None:
    if (source, target) not in TRANSITIONS:
        raise IllegalTransition(f"an export cannot go from {source} to {target}")
    if not owner:
        raise IllegalTransition(f"{source} → {target} must name the worker")
    if _RESERVED & fields.keys():
        raise IllegalTransition("only the lifecycle writes state and version")
    now = timezone.now()
    guard: dict[str, Any] = {"pk": export_id, "state": source, **(where or {})}
    if source == RUNNING:
        guard["worker_id"] = owner
    changes = {**_effects(source, target, owner, now), **fields}
    changes.update(state=target, version=F("version") + 1)
    with transaction.atomic():
        if not Export.objects.filter(**guard).update(**changes):
            return None
        export = Export.objects.select_related("board", "requested_by").get(pk=export_id)
        announce.export_after_commit(export)
        if target == READY:
            dispatch.emit(
                events.EXPORT_READY,
                None,
                lambda: webhook_data(export),
                board=export.board_id,
                key=f"export:{export.pk}",
            )
    if source != target:
        logger.info("export %s: %s → %s (v%d)", export_id, source, target, export.version)
    return export


def create(**fields: Any) -> Export:
    """Store a new queued export (version 1) and tell its requester after commit."""
    if _RESERVED & fields.keys():
        raise IllegalTransition("a new export is always queued, version 1")
    with transaction.atomic():
        export = Export.objects.create(state=QUEUED, dispatched_at=timezone.now(), **fields)
        announce.export_after_commit(export)
    return export


def renew_lease(export_id: Any, owner: str) -> bool:
    """Extend ``owner``'s lease on its running export; False if it is no longer its own."""
    return bool(
        Export.objects.filter(pk=export_id, state=RUNNING, worker_id=owner).update(
            lease_expires_at=lease_from_now()
        )
    )
