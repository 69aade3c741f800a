"""Every change of an export row: the allowed transitions, written once.

``transition(export_id, source, target, owner=…, **fields)`` is one conditional
``UPDATE … WHERE state = <source>`` (plus ``worker_id = <owner>`` where the rule needs
one, plus any ``where`` guard), ``version + 1``, the row read back in the same
transaction, its requester told after commit (canvas.exports.announce), and — on
``ready`` — the team's ``export.ready`` webhook recorded in the same transaction
(idempotent: the event key is the export's id). A guard that no longer holds is a lost
race and returns None; a transition that is not in the table raises IllegalTransition.
The machinery (conditional UPDATE, version, lease, claim/requeue/finish effects) is
foundation.leased_work's, shared with canvas.jobs.lifecycle.

    queued ── claim ──► running ── file stored ──► ready
                          │  ├──── error ────────► failed
                          │  └─ worker died, attempts left ─► queued (recovery)
                          └──── worker died, none left ────► failed (recovery)
    queued / running ── cancelled (someone asked) ──► failed ``export_cancelled``

A cancel of a running export is a running → failed change made in the worker's name: the
worker's next progress call (or heartbeat) finds the row no longer its own and stops,
deleting its partial files, exactly as after a lost lease.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.utils import timezone

from canvas.exports import announce
from canvas.exports.models import Export, ExportState
from canvas.exports.payloads import webhook_data
from canvas.jobs import config as job_config
from canvas.webhooks import dispatch, events
from foundation.leased_work import IllegalTransition, Lifecycle, Rule

__all__ = [
    "EXPORTS",
    "FINISHED",
    "TRANSITIONS",
    "IllegalTransition",
    "create",
    "lease_from_now",
    "renew_lease",
    "transition",
]

logger = logging.getLogger(__name__)

QUEUED, RUNNING, READY, FAILED = (
    ExportState.QUEUED,
    ExportState.RUNNING,
    ExportState.READY,
    ExportState.FAILED,
)

# Every change of a claimed export names its worker; a cancel before the claim names none.
TRANSITIONS: dict[tuple[str, str], Rule] = {
    (QUEUED, RUNNING): Rule("claims", "claimed by a worker"),
    (RUNNING, RUNNING): Rule("required", "progress, from its worker"),
    (RUNNING, READY): Rule("required", "the file is stored"),
    (RUNNING, FAILED): Rule("required", "the writer refused or crashed; out of attempts"),
    (RUNNING, QUEUED): Rule("required", "recovery: the worker died, attempts left"),
    (QUEUED, FAILED): Rule("none", "cancelled before a worker claimed it"),
}
FINISHED = (READY, FAILED)


def _own_effects(source: str, target: str, now: datetime) -> dict[str, Any]:
    """A requeued export is handed to the dispatcher again (recovery does it)."""
    return {"dispatched_at": now} if (source, target) == (RUNNING, QUEUED) else {}


def _changed(export: Export, source: str, target: str) -> None:
    """Tell the requester after commit; ``ready`` records the ``export.ready`` webhook in
    the same transaction (idempotent: the event key is the export's id)."""
    announce.export_after_commit(export)
    if target == READY:
        dispatch.emit(
            events.EXPORT_READY,
            None,
            lambda: webhook_data(export),
            board=export.board_id,
            key=f"export:{export.pk}",
        )


# The shared machinery (foundation.leased_work), with the jobs' lease and heartbeat
# settings (docs/jobs.md): exports share them.
EXPORTS: Lifecycle[Export] = Lifecycle(
    noun="export",
    model=Export,
    transitions=TRANSITIONS,
    finished=frozenset(FINISHED),
    lease_seconds=job_config.lease_seconds,
    select_related=("board", "requested_by"),
    own_effects=_own_effects,
    changed=_changed,
    logger=logger,
)
# transition(export_id, source, target, *, owner, where=None, **fields) -> Export | None
transition = EXPORTS.transition
lease_from_now = EXPORTS.lease_from_now
renew_lease = EXPORTS.renew_lease


def create(**fields: Any) -> Export:
    """Store a new queued export (version 1) and tell its requester after commit."""
    return EXPORTS.create(
        fields, announce.export_after_commit, initial={"dispatched_at": timezone.now()}
    )
