"""Job and result endpoints of the JSON API (/api/v1/): submit, watch, steer, apply.

Each endpoint parses, checks the caller's role through canvas.permissions (view to read;
edit to submit, cancel, retry, move, pause, apply, discard, restore, re-run), calls one
function of canvas.jobs.queue or canvas.boards.iterations, and shapes the reply with
canvas.jobs.payloads. A job or result on a board the caller cannot see is a 404.

Nothing here changes rows directly or decides permissions by hand.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ValidationError, model_validator

from canvas.boards import iterations as iteration_services
from canvas.governance.api import ImageConsistencyOut
from canvas.jobs import queue
from canvas.jobs.payloads import iteration_payload, iteration_payloads, job_payload
from canvas.members.api_auth import api_user
from canvas.models import Iteration, IterationStatus, Job
from canvas.permissions import Perm, get_board_for, require
from canvas.protocol import JobSpec
from canvas.protocol.errors import error_from_validation
from canvas.protocol.types import CleanText
from foundation.api_errors import ErrorOut
from foundation.api_pagination import Page, PageParams, paginate

router = Router(tags=["jobs"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# --- Schemas --------------------------------------------------------------------------------


class JobSubmit(JobSpec):
    """A job spec (canvas.protocol.JobSpec: the one declaration of its fields and limits,
    which the websocket's ``job_submit`` uses too) plus its place in the queue."""

    priority: Literal["interactive", "bulk"] = "interactive"

    @model_validator(mode="wrap")
    @classmethod
    def _refuse_as_invalid_job(cls, data: Any, handler: Any) -> Any:
        # A spec out of range is a 400 invalid_job naming the field, like every other
        # refusal of a job (not ninja's generic 422).
        try:
            return handler(data)
        except ValidationError as exc:
            raise queue.InvalidJob(error_from_validation(exc, "").message) from None


# JobErrorOut, JobOut and IterationOut declare again what canvas.protocol.jobs declares for
# the sockets (UUID and datetime types for the OpenAPI schema); tests/api/test_schema.py
# keeps each pair in step field by field (docs/architecture.md "API schemas and protocol
# models").
class JobErrorOut(Schema):
    code: str
    message: str


class JobOut(Schema):
    id: uuid.UUID
    board: uuid.UUID
    created_by: int | None
    mode: str
    engine: str
    state: str = Field(..., description="queued, running, succeeded, failed or cancelled.")
    priority: int
    position: float
    spec: dict[str, Any]
    attempts: int
    max_attempts: int
    cancel_requested: bool
    progress: float
    progress_message: str
    error: JobErrorOut | None
    notes: list[dict[str, Any]]
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    not_before: datetime | None
    retried_from: uuid.UUID | None
    parent_iteration: uuid.UUID | None
    version: int = Field(..., description="Grows with every change; drop older updates.")
    batch: uuid.UUID | None = Field(None, description="The batch that made the job, if any.")


class JobMove(Schema):
    to: Literal["front", "back"]


class JobFilters(Schema):
    state: Literal["queued", "running", "succeeded", "failed", "cancelled"] | None = None
    engine: str | None = None
    author: int | None = Field(None, description="User id of whoever submitted the job.")
    q: CleanText = Field("", max_length=200, description="Part of the prompt (any case).")
    since: datetime | None = Field(None, description="Queued at or after this time.")
    until: datetime | None = Field(None, description="Queued before this time.")
    batch: uuid.UUID | None = Field(None, description="Only the jobs of this batch.")


class IterationOut(Schema):
    id: uuid.UUID
    board: uuid.UUID
    job: uuid.UUID
    index: int
    asset: uuid.UUID
    source_asset: uuid.UUID | None
    parent: uuid.UUID | None
    region: dict[str, Any]
    status: str = Field(..., description="staged, applied or discarded.")
    applied_item: uuid.UUID | None
    is_current: bool
    seed: int | None
    provenance: dict[str, Any]
    created_at: datetime
    consistency: ImageConsistencyOut | None = Field(
        ..., description="Its latest drift check against the anchors; null until scored."
    )


class IterationFilters(Schema):
    status: Literal["staged", "applied", "discarded"] | None = None
    job: uuid.UUID | None = None
    engine: str | None = None
    author: int | None = None
    q: CleanText = Field("", max_length=200, description="Part of the prompt (any case).")
    since: datetime | None = None
    until: datetime | None = None


class QueueOut(Schema):
    board: uuid.UUID
    paused: bool


class ApplyMany(Schema):
    iterations: list[uuid.UUID] = Field(..., description="Results of one board, 1–32.")


# --- Helpers --------------------------------------------------------------------------------


def _job_for(request: HttpRequest, job_id: str, perm: Perm) -> Job:
    job = queue.get_job(job_id)
    require(api_user(request), job.board, perm)  # no role → 404, like the board
    return job


def _iteration_for(request: HttpRequest, iteration_id: str, perm: Perm) -> Iteration:
    iteration = iteration_services.get_iteration(iteration_id)
    require(api_user(request), iteration.board, perm)
    return iteration


# --- Jobs -----------------------------------------------------------------------------------


@router.post(
    "/boards/{board_id}/jobs", response={201: JobOut, **ERRORS}, summary="Submit a region job"
)
def submit_job(request: HttpRequest, board_id: str, payload: JobSubmit) -> Status[dict[str, Any]]:
    """Validated against the engine before anything is queued; a job the engine cannot do
    is refused with a 400 saying why. The layers under the region are snapshotted now."""
    user = api_user(request)
    board, _ = get_board_for(user, board_id, Perm.EDIT)
    spec = payload.model_dump(exclude={"priority"})
    job = queue.submit_job(board, user, spec, priority=payload.priority)
    return Status(201, job_payload(job))


@router.get("/jobs/{job_id}", response={200: JobOut, **ERRORS}, summary="One job")
def get_job(request: HttpRequest, job_id: str) -> dict[str, Any]:
    return job_payload(_job_for(request, job_id, Perm.VIEW))


@router.get(
    "/boards/{board_id}/jobs", response={200: Page[JobOut], **ERRORS}, summary="A board's jobs"
)
def list_jobs(
    request: HttpRequest, board_id: str, filters: Query[JobFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """Newest first."""
    board, _ = get_board_for(api_user(request), board_id, Perm.VIEW)
    jobs = Job.objects.filter(board=board)
    if filters.state:
        jobs = jobs.filter(state=filters.state)
    if filters.engine:
        jobs = jobs.filter(engine=filters.engine)
    if filters.author is not None:
        jobs = jobs.filter(created_by_id=filters.author)
    if filters.q:
        jobs = jobs.filter(spec__prompt__icontains=filters.q)
    if filters.since:
        jobs = jobs.filter(queued_at__gte=filters.since)
    if filters.until:
        jobs = jobs.filter(queued_at__lt=filters.until)
    if filters.batch:
        jobs = jobs.filter(batch_id=filters.batch)
    jobs = jobs.order_by("-queued_at", "-id")
    return paginate(request, jobs, paging, lambda rows: [job_payload(j) for j in rows])


@router.post("/jobs/{job_id}/cancel", response={200: JobOut, **ERRORS}, summary="Cancel a job")
def cancel_job(request: HttpRequest, job_id: str) -> dict[str, Any]:
    """Queued: cancelled at once. Running: ``cancel_requested`` until the engine stops."""
    return job_payload(queue.cancel_job(_job_for(request, job_id, Perm.EDIT)))


@router.post("/jobs/{job_id}/retry", response={201: JobOut, **ERRORS}, summary="Retry a failed job")
def retry_job(request: HttpRequest, job_id: str) -> Status[dict[str, Any]]:
    """A new queued job with the same settings and seed (``retried_from`` links them)."""
    job = _job_for(request, job_id, Perm.EDIT)
    return Status(201, job_payload(queue.retry_job(job, api_user(request))))


@router.post(
    "/jobs/{job_id}/move", response={200: JobOut, **ERRORS}, summary="Move to front or back"
)
def move_job(request: HttpRequest, job_id: str, payload: JobMove) -> dict[str, Any]:
    return job_payload(queue.move_job(_job_for(request, job_id, Perm.EDIT), payload.to))


@router.post(
    "/boards/{board_id}/queue/pause", response={200: QueueOut, **ERRORS}, summary="Pause queue"
)
def pause_queue(request: HttpRequest, board_id: str) -> dict[str, Any]:
    """Queued jobs of the board wait; running ones finish."""
    board, _ = get_board_for(api_user(request), board_id, Perm.EDIT)
    queue.set_queue_paused(board, True)
    return {"board": board.pk, "paused": True}


@router.post(
    "/boards/{board_id}/queue/resume", response={200: QueueOut, **ERRORS}, summary="Resume queue"
)
def resume_queue(request: HttpRequest, board_id: str) -> dict[str, Any]:
    board, _ = get_board_for(api_user(request), board_id, Perm.EDIT)
    queue.set_queue_paused(board, False)
    return {"board": board.pk, "paused": False}


# --- Results (iterations) -------------------------------------------------------------------


@router.get(
    "/boards/{board_id}/iterations",
    response={200: Page[IterationOut], **ERRORS},
    summary="A board's results (history)",
)
def list_iterations(
    request: HttpRequest,
    board_id: str,
    filters: Query[IterationFilters],
    paging: Query[PageParams],
) -> dict[str, Any]:
    """Newest first; discarded results are included unless filtered out."""
    board, _ = get_board_for(api_user(request), board_id, Perm.VIEW)
    rows = Iteration.objects.filter(board=board)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.job:
        rows = rows.filter(job_id=filters.job)
    if filters.engine:
        rows = rows.filter(job__engine=filters.engine)
    if filters.author is not None:
        rows = rows.filter(job__created_by_id=filters.author)
    if filters.q:
        rows = rows.filter(Q(job__spec__prompt__icontains=filters.q))
    if filters.since:
        rows = rows.filter(created_at__gte=filters.since)
    if filters.until:
        rows = rows.filter(created_at__lt=filters.until)
    rows = rows.order_by("-created_at", "index")
    return paginate(request, rows, paging, iteration_payloads)


@router.get(
    "/iterations/{iteration_id}/lineage",
    response={200: dict[str, Any], **ERRORS},
    summary="The result's lineage tree",
)
def iteration_lineage(request: HttpRequest, iteration_id: str) -> dict[str, Any]:
    """Root first; each node has ``children`` (refinements), oldest first."""
    return iteration_services.lineage(_iteration_for(request, iteration_id, Perm.VIEW))


@router.post(
    "/iterations/{iteration_id}/apply",
    response={200: IterationOut, **ERRORS},
    summary="Place a result on the canvas",
)
def apply_iteration(request: HttpRequest, iteration_id: str) -> dict[str, Any]:
    iteration = _iteration_for(request, iteration_id, Perm.EDIT)
    if iteration.status == IterationStatus.DISCARDED:
        raise iteration_services.IterationConflict("Restore this result before applying it.")
    return iteration_payload(iteration_services.apply(iteration, api_user(request)))


@router.post(
    "/boards/{board_id}/iterations/apply",
    response={200: list[IterationOut], **ERRORS},
    summary="Place several results as a grid beside their region",
)
def apply_iterations(request: HttpRequest, board_id: str, payload: ApplyMany) -> list[Any]:
    user = api_user(request)
    board, _ = get_board_for(user, board_id, Perm.EDIT)
    found = {it.pk: it for it in Iteration.objects.filter(board=board, pk__in=payload.iterations)}
    missing = [str(pk) for pk in payload.iterations if pk not in found]
    if missing:
        raise iteration_services.IterationNotFound(
            f"These results are not on this board: {', '.join(missing)}."
        )
    chosen = [found[pk] for pk in payload.iterations]
    if any(it.status == IterationStatus.DISCARDED for it in chosen):
        raise iteration_services.IterationConflict("Restore discarded results before applying.")
    return iteration_payloads(iteration_services.apply_many(chosen, user))


@router.post(
    "/iterations/{iteration_id}/discard",
    response={200: IterationOut, **ERRORS},
    summary="Discard a result (recoverable)",
)
def discard_iteration(request: HttpRequest, iteration_id: str) -> dict[str, Any]:
    iteration = _iteration_for(request, iteration_id, Perm.EDIT)
    return iteration_payload(iteration_services.discard(iteration, api_user(request)))


@router.post(
    "/iterations/{iteration_id}/restore",
    response={200: IterationOut, **ERRORS},
    summary="Restore a discarded result",
)
def restore_iteration(request: HttpRequest, iteration_id: str) -> dict[str, Any]:
    iteration = _iteration_for(request, iteration_id, Perm.EDIT)
    return iteration_payload(iteration_services.restore(iteration))


@router.post(
    "/iterations/{iteration_id}/make-current",
    response={200: IterationOut, **ERRORS},
    summary="Choose this result among its alternatives",
)
def make_current(request: HttpRequest, iteration_id: str) -> dict[str, Any]:
    iteration = _iteration_for(request, iteration_id, Perm.EDIT)
    return iteration_payload(iteration_services.make_current(iteration))


@router.post(
    "/iterations/{iteration_id}/rerun",
    response={201: JobOut, **ERRORS},
    summary="Run the job again with the same settings and seed",
)
def rerun_iteration(request: HttpRequest, iteration_id: str) -> Status[dict[str, Any]]:
    iteration = _iteration_for(request, iteration_id, Perm.EDIT)
    return Status(201, job_payload(iteration_services.rerun(iteration, api_user(request))))
