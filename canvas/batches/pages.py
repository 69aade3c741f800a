"""The board's batches page (``/boards/<id>/batches/``) and its pause/resume/cancel forms.

Everyone with a role on the board sees its batches, newest first, 50 a page: name, who
started it, state, counts, ETA, engines, times, and links to its results and the board.
Editors and owners also get Pause/Resume/Cancel, plain POST forms that call the same
canvas.batches.runs functions as the API and come back to the page with the outcome as a
message. static/js/batches.js keeps the rows live by polling the board's batches API;
without JavaScript the page is a correct snapshot.

No role on the board is the board's 404, also for a batch of a board the caller cannot see;
a viewer or reviewer posting a form gets the API's 403 sentence as a message. This module
must not change a batch except through canvas.batches.runs.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from canvas.batches import progress, runs
from canvas.models import BATCH_ENDED_STATES, Batch, BatchState
from canvas.permissions import Perm, get_board_for, require, role_allows
from canvas.views.errors import app_error_response
from foundation.errors import AppError, NotFound

PER_PAGE = 50  # the API's default page size: the page polls the same page of the API

STEERS = {
    "pause": (runs.pause_batch, "Paused “{name}”: its queued jobs wait; running ones finish."),
    "resume": (runs.resume_batch, "Resumed “{name}”."),
    "cancel": (
        runs.cancel_batch,
        "Cancelled “{name}”: its queued jobs will not run; running ones are being stopped.",
    ),
}


def engines_of(batch: Batch) -> list[str]:
    """The engine names of the batch's spec, in the spec's order."""
    names = []
    for engine in (batch.spec or {}).get("engines", []):
        name = engine.get("name") if isinstance(engine, dict) else engine
        if isinstance(name, str) and name not in names:
            names.append(name)
    return names


def eta_text(seconds: float | None, *, ended: bool) -> str:
    """The time left in words, as frontend/src/batches/model.ts ``etaText`` says it (the page
    script rewrites the cell with that one every few seconds)."""
    if ended:
        return "—"
    if seconds is None:
        return "unknown"
    if seconds <= 0:
        return "—"
    if seconds < 60:
        return "under a minute"
    minutes = int(seconds / 60 + 0.5)  # JavaScript's Math.round, not banker's rounding
    if minutes < 60:
        return f"about {minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"about {hours} h {rest} min" if rest else f"about {hours} h"


def batch_row(batch: Batch) -> dict[str, Any]:
    """One row of the page: the API's payload (counts, ETA) plus what only the page shows."""
    payload = progress.batch_payload(batch)
    ended = batch.state in BATCH_ENDED_STATES
    return {
        "batch": batch,
        "data": payload,
        "engines": engines_of(batch),
        "active": not ended,
        "eta_text": eta_text(payload["eta_seconds"], ended=ended),
        "can_pause": batch.state == BatchState.RUNNING,
        "can_resume": batch.state == BatchState.PAUSED,
        "shares": bar_shares(payload["counts"], payload["jobs"]),
    }


def bar_shares(numbers: dict[str, int], jobs: int) -> dict[str, float]:
    """The bar's segments (templates/batches/_bar.html), in % of the batch's jobs."""
    total = max(1, jobs)
    return {
        key: round(100 * numbers[state] / total, 2)
        for key, state in (
            ("done", "succeeded"),
            ("failed", "failed"),
            ("running", "running"),
            ("queued", "queued"),
        )
    }


@login_required
def batches_page(request: HttpRequest, board_id: Any) -> HttpResponse:
    try:
        board, role = get_board_for(request.user, board_id, Perm.VIEW)
    except AppError as exc:
        return app_error_response(request, exc)
    rows = (
        Batch.objects.filter(board=board)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "batches/batches.html",
        {
            "board": board,
            "role": role,
            "can_edit": role_allows(role, Perm.EDIT),
            "page": page,
            "rows": [batch_row(b) for b in page.object_list],
            "api_url": f"/api/v1/boards/{board.pk}/batches?page={page.number}&page_size={PER_PAGE}",
        },
    )


@login_required
@require_POST
def steer_batch(request: HttpRequest, batch_id: Any, action: str) -> HttpResponse:
    """Pause, resume or cancel a batch from the page; back to the page the form was on."""
    if action not in STEERS:
        return app_error_response(request, NotFound())
    try:
        batch = runs.get_batch_for(request.user, batch_id, Perm.VIEW)
    except AppError as exc:
        return app_error_response(request, exc)
    back = reverse("board-batches", kwargs={"board_id": batch.board_id})
    page = request.POST.get("page", "")
    if page.isdigit():
        back += f"?page={page}"
    steer, done = STEERS[action]
    try:
        require(request.user, batch.board, Perm.EDIT)
        steer(batch)
    except AppError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, done.format(name=batch.name))
    return redirect(back)
