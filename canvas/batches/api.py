"""Batch endpoints of the JSON API (/api/v1/): preview, start, follow, steer, results.

``POST /boards/{id}/batches?dry_run=1`` previews (canvas.batches.preview); without
``dry_run`` it starts the batch (canvas.batches.runs.start_batch: 201, the batch id and the
same expansion summary). ``GET /batches/{id}`` is the aggregate (counts, ETA),
``POST /batches/{id}/pause|resume|cancel`` steer it, ``GET /batches/{id}/results`` lists
its results filtered by variable values, decision and drift; ``GET /boards/{id}/batches``
lists a board's batches. Roles: edit to preview, start and steer (batches make jobs), view
to read; a batch on a board the caller cannot see is a 404 like a missing one.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Body, Field, Query, Router, Schema, Status

from canvas.batches import progress, results, runs
from canvas.batches.preview import dry_run as preview_batch
from canvas.members.api_auth import api_user
from canvas.models import BATCH_ENDED_STATES, Batch
from canvas.permissions import Perm, get_board_for
from foundation.api_errors import ErrorOut
from foundation.api_pagination import Page, PageParams, paginate

router = Router(tags=["batches"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class BatchQuery(Schema):
    dry_run: bool = False


class BatchListQuery(Schema):
    active: bool = Field(False, description="true: only running and paused batches.")


class _Summary(Schema):
    """What the dry run and a started batch both answer (canvas.batches.preview / runs)."""

    dry_run: bool
    name: str
    seed: int
    jobs: int
    accepted: int
    refused: int
    engines: list[dict[str, Any]]
    first_jobs: list[dict[str, Any]]
    refusals: list[dict[str, Any]]
    brand_kit: dict[str, Any] | None


class BatchPreviewOut(_Summary):
    seeds: list[int]


class BatchStartedOut(_Summary):
    batch: str
    """The new batch's id: follow it at /api/v1/batches/{batch}."""


class BatchOut(Schema):
    id: str
    board: str
    name: str
    state: str
    created_by: int | None
    created_at: str
    finished_at: str | None
    seed: int
    jobs: int
    refused: int
    counts: dict[str, int]
    done: int
    failed: int
    running: int
    queued: int
    eta_seconds: float | None
    eta_basis: str


class ResultFilters(Schema):
    var: list[str] = Field(
        default_factory=list,
        description="name:value, repeatable (names AND, values of one name OR).",
    )
    decision: str | None = Field(
        None, description="approved, rejected, needs_changes or undecided."
    )
    drift: bool | None = Field(None, description="true: flagged for drift; false: not.")


class BatchResultOut(Schema):
    id: str
    job: str
    index: int
    asset: str
    status: str
    seed: int | None
    region: dict[str, Any]
    provenance: dict[str, Any]
    created_at: str | None
    consistency: dict[str, Any] | None
    variables: dict[str, str]
    decision: str
    drift: bool


def _batch_for(request: HttpRequest, batch_id: str, perm: Perm) -> Batch:
    return runs.get_batch_for(api_user(request), batch_id, perm)


@router.post(
    "/boards/{board_id}/batches",
    response={200: BatchPreviewOut, 201: BatchStartedOut, **ERRORS},
    summary="Preview (dry run) or start a batch",
)
def create_batch(
    request: HttpRequest,
    board_id: str,
    payload: Body[dict[str, Any]],
    query: Query[BatchQuery],
) -> Any:
    """The body is a batch spec (canvas.batches.spec.BatchSpec, example in docs/batches.md),
    checked once so every refusal is a 400 ``invalid_batch`` sentence.

    With ``?dry_run=1``: how many jobs, per engine count, cost and time, the first jobs'
    prompts, the jobs the brand kit or an engine refuses, the kit's rules; creates nothing.
    Without it: 201 — the batch is created and its accepted jobs queued at bulk priority
    (refused jobs are reported, not queued; all refused is a 400 ``batch_refused``)."""
    user = api_user(request)
    board, _ = get_board_for(user, board_id, Perm.EDIT)
    if query.dry_run:
        return preview_batch(board, payload)
    _, summary = runs.start_batch(board, user, payload)
    return Status(201, summary)


@router.get(
    "/boards/{board_id}/batches",
    response={200: Page[BatchOut], **ERRORS},
    summary="A board's batches",
)
def list_batches(
    request: HttpRequest,
    board_id: str,
    paging: Query[PageParams],
    filters: Query[BatchListQuery],
) -> dict[str, Any]:
    """Newest first, each with its counts; ``?active=1``: only the running and paused ones
    (what the board's progress element shows)."""
    board, _ = get_board_for(api_user(request), board_id, Perm.VIEW)
    rows = Batch.objects.filter(board=board).order_by("-created_at", "-pk")
    if filters.active:
        rows = rows.exclude(state__in=BATCH_ENDED_STATES)
    return paginate(request, rows, paging, lambda page: [progress.batch_payload(b) for b in page])


@router.get("/batches/{batch_id}", response={200: BatchOut, **ERRORS}, summary="One batch")
def get_batch(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    """State, jobs per state (``done`` = succeeded), and the ETA with what it rests on."""
    return progress.batch_payload(_batch_for(request, batch_id, Perm.VIEW))


@router.post("/batches/{batch_id}/pause", response={200: BatchOut, **ERRORS}, summary="Pause")
def pause_batch(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    """Queued jobs of the batch are not started; running ones finish."""
    batch = runs.pause_batch(_batch_for(request, batch_id, Perm.EDIT))
    return progress.batch_payload(batch)


@router.post("/batches/{batch_id}/resume", response={200: BatchOut, **ERRORS}, summary="Resume")
def resume_batch(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    batch = runs.resume_batch(_batch_for(request, batch_id, Perm.EDIT))
    return progress.batch_payload(batch)


@router.post("/batches/{batch_id}/cancel", response={200: BatchOut, **ERRORS}, summary="Cancel")
def cancel_batch(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    """Queued jobs are cancelled at once; running ones are asked to stop (each job's own
    cancel). The batch's state is ``cancelled``; ``finished_at`` is set when its last job
    has ended."""
    batch = runs.cancel_batch(_batch_for(request, batch_id, Perm.EDIT))
    return progress.batch_payload(batch)


@router.get(
    "/batches/{batch_id}/results",
    response={200: Page[BatchResultOut], **ERRORS},
    summary="A batch's results",
)
def batch_results(
    request: HttpRequest,
    batch_id: str,
    filters: Query[ResultFilters],
    paging: Query[PageParams],
) -> dict[str, Any]:
    """In expansion order; ``?var=product:boot&var=product:clog&decision=undecided&drift=true``."""
    batch = _batch_for(request, batch_id, Perm.VIEW)
    rows = results.batch_results(
        batch,
        variables=results.parse_variable_filters(filters.var),
        decision=filters.decision,
        drift=filters.drift,
    )
    return paginate(request, rows, paging, results.result_payloads)
