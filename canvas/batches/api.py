"""Batch endpoints of the JSON API (/api/v1/). This slice: the dry run only.

``POST /boards/{id}/batches?dry_run=1`` checks the caller may edit the board (batches make
jobs, and making jobs is an editor's), calls canvas.batches.preview.dry_run and returns its
summary. Without ``dry_run`` the same request answers 501 ``batch_runs_not_available``
after the role check: creating and running batches is the next slice of issue 15, and a
client that asked to run a batch must not mistake a preview for a started batch.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Body, Query, Router, Schema

from canvas.batches.preview import dry_run as preview_batch
from canvas.members.api_auth import api_user
from canvas.permissions import Perm, get_board_for
from foundation.api_errors import ErrorOut
from foundation.errors import AppError

router = Router(tags=["batches"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 501: ErrorOut}


class BatchRunsNotAvailable(AppError):
    status = 501
    code = "batch_runs_not_available"
    default_message = (
        "This server previews batches but cannot run them yet: send the spec with "
        "?dry_run=1 to see its jobs and estimates."
    )


class BatchQuery(Schema):
    dry_run: bool = False


class BatchPreviewOut(Schema):
    dry_run: bool
    name: str
    seed: int
    seeds: list[int]
    jobs: int
    accepted: int
    refused: int
    engines: list[dict[str, Any]]
    first_jobs: list[dict[str, Any]]
    refusals: list[dict[str, Any]]
    brand_kit: dict[str, Any] | None


@router.post(
    "/boards/{board_id}/batches",
    response={200: BatchPreviewOut, **ERRORS},
    summary="Preview a batch (dry run)",
)
def create_batch(
    request: HttpRequest,
    board_id: str,
    payload: Body[dict[str, Any]],
    query: Query[BatchQuery],
) -> dict[str, Any]:
    """With ``?dry_run=1``: how many jobs, per engine count, cost and time, the first jobs'
    prompts, the jobs the brand kit or an engine refuses, the kit's rules. Creates nothing.
    Without it: 501 until batch runs are built. The body is a batch spec
    (canvas.batches.spec.BatchSpec, example in docs/batches.md), checked there once so every
    refusal is a 400 ``invalid_batch`` sentence."""
    board, _ = get_board_for(api_user(request), board_id, Perm.EDIT)
    if not query.dry_run:
        raise BatchRunsNotAvailable()
    return preview_batch(board, payload)
