"""JSON shapes of jobs and iterations, shared by the API and the websocket ``job`` message.

Pure functions of a row: no queries beyond the row's own foreign-key ids, except a result's
``consistency`` (its stored drift check, canvas.governance.readings: one query for a result,
one for a page of them through ``iteration_payloads``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from canvas.governance import readings
from canvas.models.jobs import Iteration, Job

_READ = object()  # iteration_payload reads the result's consistency itself


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def public_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec without the layer snapshot (large, and only the runner needs it)."""
    return {key: value for key, value in spec.items() if key != "layers"}


def job_payload(job: Job) -> dict[str, Any]:
    return {
        "id": str(job.id),
        "board": str(job.board_id),
        "created_by": job.created_by_id,
        "mode": job.mode,
        "engine": job.engine,
        "state": job.state,
        "priority": job.priority,
        "position": job.position,
        "spec": public_spec(job.spec),
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "cancel_requested": job.cancel_requested,
        "progress": job.progress,
        "progress_message": job.progress_message,
        "error": (
            {"code": job.error_code, "message": job.error_message} if job.error_code else None
        ),
        "notes": list(job.notes or []),
        "queued_at": _iso(job.queued_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "not_before": _iso(job.not_before),
        "retried_from": str(job.retried_from_id) if job.retried_from_id else None,
        "parent_iteration": str(job.parent_iteration_id) if job.parent_iteration_id else None,
        "version": job.version,
        "batch": str(job.batch_id) if job.batch_id else None,
    }


def iteration_payloads(iterations: Iterable[Iteration]) -> list[dict[str, Any]]:
    """Payloads of several results, their consistency read in one query."""
    rows = list(iterations)
    found = readings.consistency_by_asset(it.asset_id for it in rows)
    return [iteration_payload(it, consistency=found.get(it.asset_id)) for it in rows]


def iteration_payload(iteration: Iteration, *, consistency: Any = _READ) -> dict[str, Any]:
    if consistency is _READ:
        consistency = readings.consistency_of(iteration.asset_id)
    return {
        "id": str(iteration.id),
        "board": str(iteration.board_id),
        "job": str(iteration.job_id),
        "index": iteration.index,
        "asset": str(iteration.asset_id),
        "source_asset": str(iteration.source_asset_id) if iteration.source_asset_id else None,
        "parent": str(iteration.parent_id) if iteration.parent_id else None,
        "region": iteration.region,
        "status": iteration.status,
        "applied_item": str(iteration.applied_item_id) if iteration.applied_item_id else None,
        "is_current": iteration.is_current,
        "seed": iteration.seed,
        "provenance": iteration.provenance,
        "created_at": _iso(iteration.created_at),
        "consistency": consistency,
    }
