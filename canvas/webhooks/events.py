"""The event types a team can subscribe to, and the builders of their payloads.

Every delivery's body is one envelope, serialised the same way at every attempt so a
receiver sees identical bytes for one event id::

    {"id": "<event id>", "type": "job.succeeded", "created_at": "…", "team": "<team id>",
     "data": {...}}

``data`` comes from the builders below (``job_data``, ``decision_data``); batches and
exports pass their own to ``canvas.webhooks.dispatch.emit``. docs/webhooks.md shows each.
"""

from __future__ import annotations

import json
from typing import Any

from canvas.models import Batch, Decision, Iteration, Job

JOB_SUCCEEDED = "job.succeeded"
JOB_FAILED = "job.failed"
BATCH_COMPLETED = "batch.completed"
REVIEW_DECIDED = "review.decided"
EXPORT_READY = "export.ready"

EVENT_TYPES: dict[str, str] = {
    JOB_SUCCEEDED: "A job finished and its results are stored",
    JOB_FAILED: "A job failed for good (after its retries)",
    BATCH_COMPLETED: "Every job of a batch has finished",
    REVIEW_DECIDED: "A candidate was approved, rejected or sent back for changes",
    EXPORT_READY: "An export is ready to download",
}

# Event types nothing emits yet, with what must ship first, e.g. {"x.done": "when x ships"}.
# The webhooks page offers them labelled, so a team can subscribe ahead and is not surprised
# by silence; the change that adds the emitter removes the entry (tests/webhooks/test_pages.py
# fails while an event is both emitted and labelled, or neither). Empty: all are sent.
NOT_SENT_YET: dict[str, str] = {}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def body(event: Any) -> bytes:
    """The exact bytes posted for ``event`` (a WebhookEvent), the same at every attempt."""
    envelope = {
        "id": str(event.id),
        "type": event.type,
        "created_at": _iso(event.created_at),
        "team": str(event.team_id),
        "data": event.payload,
    }
    return json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()


def job_data(job: Job) -> dict[str, Any]:
    """``job.succeeded`` / ``job.failed``: the job, its board, its batch (id and name, or
    None) and its results with their provenance (anchors, prompt, engine, model, seed)."""
    results = [
        {
            "id": str(it.pk),
            "index": it.index,
            "asset": str(it.asset_id),
            "seed": it.seed,
            "provenance": it.provenance,
        }
        for it in Iteration.objects.filter(job_id=job.pk).order_by("index")
    ]
    error = {"code": job.error_code, "message": job.error_message} if job.error_code else None
    # The batch that made the job, so a pipeline can sort results by batch without a lookup.
    batch = None
    if job.batch_id is not None:
        name = Batch.objects.filter(pk=job.batch_id).values_list("name", flat=True).first()
        batch = {"id": str(job.batch_id), "name": name}
    return {
        "job": {
            "id": str(job.pk),
            "board": str(job.board_id),
            "mode": job.mode,
            "engine": job.engine,
            "state": job.state,
            "attempts": job.attempts,
            "created_by": job.created_by.get_username() if job.created_by else None,
            "queued_at": _iso(job.queued_at),
            "started_at": _iso(job.started_at),
            "finished_at": _iso(job.finished_at),
            "error": error,
            "batch": batch,
            "results": results,
        }
    }


def decision_data(decision: Decision) -> dict[str, Any]:
    """``review.decided``: who decided what on which candidate."""
    if decision.decided_by is not None:
        by: dict[str, Any] = {"user": decision.decided_by.get_username()}
    else:
        by = {"guest": decision.guest_name or "Guest"}
    iteration = decision.iteration
    return {
        "decision": {
            "iteration": str(iteration.pk),
            "job": str(iteration.job_id),
            "board": str(decision.board_id),
            "asset": str(iteration.asset_id),
            "status": decision.status,
            "rating": decision.rating,
            "starred": decision.starred,
            "tier": decision.tier,
            "decided_by": by,
            "decided_at": _iso(decision.decided_at),
        }
    }
