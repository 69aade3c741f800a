"""Batch matrix endpoints of the JSON API (/api/v1/): the matrix of a batch's results,
"approve the best N per cell" and its undo, "re-run failed", "re-run drifted".

Roles (canvas.permissions, as for the batch's results and for review): view to read the
matrix; review to approve and undo (they are review decisions); edit to re-run (re-runs
make jobs). A batch on a board the caller has no role on is the batch's 404. Each endpoint
parses, checks, calls one function of canvas.review (matrix, batch_picks, reruns) and
shapes the reply. Guide: docs/batches.md "The matrix".
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from canvas.batches import progress
from canvas.batches.runs import get_batch_for
from canvas.jobs.payloads import job_payload
from canvas.members.api_auth import api_user
from canvas.permissions import Perm
from canvas.review import batch_picks, matrix, reruns
from foundation.api_errors import ErrorOut

router = Router(tags=["batches"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
Json = dict[str, Any]


class MatrixQuery(Schema):
    rows: str | None = Field(
        None,
        description="The axis down the side: a variable's name, or engine, seed, anchor_set. "
        "Empty: one row. Default: the first variable when the batch has two or more.",
    )
    cols: str | None = Field(
        None, description="The axis across. Default: the second variable (or the only one)."
    )


class ApproveBestIn(MatrixQuery):
    per_cell: int = Field(1, description="How many results to approve in each cell (1–100).")


def _axes(batch: Any, query: MatrixQuery) -> tuple[str | None, str | None]:
    fields = query.dict(exclude_unset=True)
    if "rows" not in fields and "cols" not in fields:
        return matrix.default_axes(matrix.axes(batch))
    return query.rows or None, query.cols or None


@router.get(
    "/batches/{batch_id}/matrix",
    response={200: Json, **ERRORS},
    summary="A batch's results as a matrix: rows × columns of values, per-cell counts",
)
def batch_matrix(request: HttpRequest, batch_id: str, query: Query[MatrixQuery]) -> Json:
    """``axes`` (every axis: the variables, then engine / seed / anchor_set when they
    vary), the chosen ``rows`` and ``cols``, and ``cells`` (row-major) with jobs, done,
    failed, active, results, drifted, approved and the cell's candidates best first."""
    batch = get_batch_for(api_user(request), batch_id, Perm.VIEW)
    rows, cols = _axes(batch, query)
    return matrix.matrix_payload(matrix.build(batch, rows, cols))


@router.post(
    "/batches/{batch_id}/approve-best",
    response={201: Json, **ERRORS},
    summary="Approve the best N results of every cell nobody decided by hand",
)
def approve_best(request: HttpRequest, batch_id: str, payload: ApproveBestIn) -> Status[Json]:
    """Best: not drifted, then the highest consistency score, then the earliest completed.
    Only results without a verdict and without a drift flag are approved. Answers the
    approval (``id`` for the undo) and how many it approved and skipped."""
    user = api_user(request)
    batch = get_batch_for(user, batch_id, Perm.REVIEW)
    rows, cols = _axes(batch, payload)
    approval, summary = batch_picks.approve_best(batch, user, payload.per_cell, rows, cols)
    return Status(201, {**matrix.approval_payload(approval), **summary})


@router.post(
    "/batches/{batch_id}/approvals/{approval_id}/undo",
    response={200: Json, **ERRORS},
    summary="Undo an 'approve the best N': clear the verdicts it gave that nobody changed",
)
def undo_approval(request: HttpRequest, batch_id: str, approval_id: str) -> Json:
    user = api_user(request)
    batch = get_batch_for(user, batch_id, Perm.REVIEW)
    approval = batch_picks.get_approval(batch, approval_id)
    summary = batch_picks.undo_approval(approval, user)
    return {**matrix.approval_payload(approval), **summary}


def _rerun_reply(batch: Any, jobs: list[Any], refused: int = 0) -> Json:
    batch.refresh_from_db()
    return {
        "queued": len(jobs),
        "refused": refused,
        "jobs": [job_payload(job) for job in jobs[:50]],
        "batch": progress.batch_payload(batch),
    }


@router.post(
    "/batches/{batch_id}/rerun-failed",
    response={201: Json, **ERRORS},
    summary="Queue the batch's failed jobs again in the batch (same spec, same seeds)",
)
def rerun_failed(request: HttpRequest, batch_id: str) -> Status[Json]:
    user = api_user(request)
    batch = get_batch_for(user, batch_id, Perm.EDIT)
    return Status(201, _rerun_reply(batch, reruns.rerun_failed(batch, user)))


@router.post(
    "/batches/{batch_id}/rerun-drifted",
    response={201: Json, **ERRORS},
    summary="Queue a refine job (the batch's final engine) for each drifted result",
)
def rerun_drifted(request: HttpRequest, batch_id: str) -> Status[Json]:
    user = api_user(request)
    batch = get_batch_for(user, batch_id, Perm.EDIT)
    jobs, refused = reruns.refine_drifted(batch, user)
    return Status(201, _rerun_reply(batch, jobs, refused))
