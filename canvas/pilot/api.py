"""Pilot endpoints of the JSON API (/api/v1/): start, list, read, cancel (docs/pilot.md).

``POST /pilots`` starts a run on the body's ``board`` (201, the run); ``GET /pilots`` lists
the runs on boards the caller can see (filters: board, team, engine, state); ``GET
/pilots/{id}`` is one run with its report; ``POST /pilots/{id}/cancel`` cancels it. Roles:
starting and cancelling need what running a batch needs (edit on the board — its editors,
owners and the team's admins through their role), reading needs any role; a run on a board
the caller cannot see is a 404 like a missing one.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Body, Field, Query, Router, Schema, Status

from canvas.members.api_auth import api_user
from canvas.permissions import Perm, get_board_for
from canvas.pilot import runs
from canvas.pilot.models import PilotRun, PilotState
from canvas.pilot.spec import InvalidPilot
from foundation.api_errors import ErrorOut
from foundation.api_pagination import Page, PageParams, paginate

router = Router(tags=["pilots"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class PilotListQuery(Schema):
    board: str | None = Field(None, description="Only this board's runs.")
    team: str | None = Field(None, description="Only this team's runs.")
    engine: str | None = Field(None, description="Only runs of this engine.")
    state: str | None = Field(None, description="queued, running, succeeded, failed, cancelled")


class PilotSummaryOut(Schema):
    id: str
    team: str
    board: str
    board_name: str
    engine: str
    provider: str
    settings: dict[str, Any]
    state: str
    stage: str
    progress: float
    progress_message: str
    created_by: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    verdict: str | None
    reason: str
    verdicts: dict[str, str | None]
    """Each test's verdict by name (consistency, latency, export); null while to come."""
    error_code: str
    error_message: str


class PilotOut(PilotSummaryOut):
    consistency_batch: str | None
    latency_batch: str | None
    exports: dict[str, Any]
    report: dict[str, Any]
    """The report (canvas/pilot/report.py PilotReport; docs/pilot.md)."""


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def summary(run: PilotRun) -> dict[str, Any]:
    report = run.report or {}
    tests = report.get("tests") or {}
    return {
        "id": str(run.pk),
        "team": str(run.team_id),
        "board": str(run.board_id),
        "board_name": run.board.name,
        "engine": run.engine,
        "provider": run.provider,
        "settings": run.settings,
        "state": run.state,
        "stage": run.stage,
        "progress": run.progress,
        "progress_message": run.progress_message,
        "created_by": run.created_by.get_username() if run.created_by else "",
        "created_at": run.created_at.isoformat(),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "verdict": report.get("verdict"),
        "reason": report.get("reason", ""),
        "verdicts": {name: test.get("verdict") for name, test in tests.items()},
        "error_code": run.error_code,
        "error_message": run.error_message,
    }


def payload(run: PilotRun) -> dict[str, Any]:
    return {
        **summary(run),
        "consistency_batch": str(run.consistency_batch_id) if run.consistency_batch_id else None,
        "latency_batch": str(run.latency_batch_id) if run.latency_batch_id else None,
        "exports": run.exports or {},
        "report": run.report or {},
    }


@router.post("/pilots", response={201: PilotOut, **ERRORS}, summary="Start a pilot run")
def start_pilot(request: HttpRequest, body: Body[dict[str, Any]]) -> Any:
    """The body: ``{"board", "engine", "jobs"?, "concurrency"?, "burst"?, "prompt"?,
    "target"?}`` (docs/pilot.md). 201 with the queued run; it starts on the workers."""
    user = api_user(request)
    board_id = body.get("board")
    if not isinstance(board_id, str) or not board_id:
        raise InvalidPilot('Say which board to run the pilot on: "board" is the board\'s id.')
    board, _ = get_board_for(user, board_id, Perm.EDIT)
    run = runs.start_pilot(board, user, body)
    return Status(201, payload(runs.get_pilot(run.pk)))


@router.get("/pilots", response={200: Page[PilotSummaryOut], **ERRORS}, summary="Pilot runs")
def list_pilots(
    request: HttpRequest, filters: Query[PilotListQuery], paging: Query[PageParams]
) -> dict[str, Any]:
    """Newest first, on the boards you have a role on; without their reports (read one run
    for its report)."""
    rows = runs.visible_pilots(api_user(request))
    if filters.state is not None:
        if filters.state not in PilotState.values:
            raise InvalidPilot(f"state must be one of {', '.join(PilotState.values)}.")
        rows = rows.filter(state=filters.state)
    for name in ("board", "team"):
        value = getattr(filters, name)
        if value is not None:
            try:
                rows = rows.filter(**{f"{name}_id": runs.as_uuid(value, name)})
            except ValueError as exc:
                raise InvalidPilot(str(exc)) from None
    if filters.engine is not None:
        rows = rows.filter(engine=filters.engine)
    return paginate(request, rows, paging, lambda page: [summary(run) for run in page])


@router.get("/pilots/{run_id}", response={200: PilotOut, **ERRORS}, summary="One pilot run")
def get_pilot(request: HttpRequest, run_id: str) -> dict[str, Any]:
    return payload(runs.get_pilot_for(api_user(request), run_id, Perm.VIEW))


@router.post("/pilots/{run_id}/cancel", response={200: PilotOut, **ERRORS}, summary="Cancel")
def cancel_pilot(request: HttpRequest, run_id: str) -> dict[str, Any]:
    """The run ends ``cancelled``; its jobs and exports are cancelled; the tests that ended
    keep their report. ``409 pilot_finished`` when it had already ended."""
    user = api_user(request)
    run = runs.get_pilot_for(user, run_id, Perm.EDIT)
    return payload(runs.cancel_pilot(run, user))
