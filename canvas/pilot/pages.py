"""The pilot's pages: the list with a start form (``/pilots/``), one run's report
(``/pilots/<id>/``, with its PDF and its raw JSON) and reports side by side
(``/pilots/compare/?run=…&run=…``).

Everyone with a role on a run's board sees its report; starting one needs what running a
batch needs (edit on the board) and goes through canvas.pilot.runs.start_pilot, the same as
the API and the CLI. A run on a board the caller has no role on is the same 404 as one that
does not exist, also inside a comparison. The words and numbers come from
canvas.pilot.presenting, shared with the PDF.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from assets.models import Asset
from assets.presenters import level_url
from canvas.engines.registry import available_engines
from canvas.permissions import Perm, can, get_board_for, role_allows, roles_for, visible_boards
from canvas.pilot import presenting, runs
from canvas.pilot.models import PILOT_ACTIVE_STATES, PilotRun
from canvas.pilot.pdf import render_pdf
from canvas.pilot.spec import DEFAULT_PROMPT, MAX_CONCURRENCY, MAX_JOBS
from canvas.views.errors import app_error_response
from foundation.errors import AppError

PER_PAGE = 50
MAX_COMPARED = 4  # columns that still read side by side on a laptop


def _start_fields(request: HttpRequest) -> dict[str, Any]:
    """The start form's fields as the spec takes them (numbers stay text when they are not
    numbers, so the spec's own sentence says what is wrong)."""
    data = request.POST

    def number(name: str, default: int) -> Any:
        text = data.get(name, "").strip()
        return int(text) if text.isdigit() else (text or default)

    return {
        "engine": data.get("engine", ""),
        "jobs": number("jobs", 20),
        "concurrency": number("concurrency", 4),
        "burst": data.get("burst") == "on",
        "prompt": data.get("prompt", "").strip() or DEFAULT_PROMPT,
    }


@login_required
def pilots_page(request: HttpRequest) -> HttpResponse:
    """Runs on the visitor's boards, newest first, 50 a page; a POST starts one."""
    if request.method == "POST":
        try:
            board, _ = get_board_for(request.user, request.POST.get("board", ""), Perm.EDIT)
            run = runs.start_pilot(board, request.user, _start_fields(request))
        except AppError as exc:
            messages.error(request, exc.message)
            return redirect(reverse("pilots"))
        messages.success(request, f"Started a pilot of {run.engine} on “{board.name}”.")
        return redirect(reverse("pilot", args=[run.pk]))
    page = Paginator(runs.visible_pilots(request.user), PER_PAGE).get_page(request.GET.get("page"))
    candidates = list(visible_boards(request.user).filter(archived_at=None).order_by("name", "pk"))
    roles = roles_for(request.user, candidates)
    boards = [b for b in candidates if role_allows(roles.get(b.pk), Perm.EDIT)]
    return render(
        request,
        "pilot/pilots.html",
        {
            "page": page,
            "runs": list(page),
            "boards": boards,
            "engines": list(available_engines()),
            "max_jobs": MAX_JOBS,
            "max_concurrency": MAX_CONCURRENCY,
            "default_prompt": DEFAULT_PROMPT,
            "max_compared": MAX_COMPARED,
            "verdicts": presenting.VERDICT_LABELS,
        },
    )


def _with_urls(tests: list[presenting.TestView]) -> None:
    """Give each image of the report the URL of its smallest preview level (one query)."""
    ids = {ref["asset"] for view in tests for ref in view.images if ref.get("asset")}
    assets = Asset.objects.select_related("blob").in_bulk(list(ids))
    smallest = min(settings.ANCHORBOARD_DERIVATIVE_SIZES)
    for view in tests:
        for ref in view.images:
            asset = assets.get(_uuid_or_none(ref.get("asset")))
            ref["url"] = level_url(asset, smallest) if asset is not None else None


def _uuid_or_none(value: Any) -> Any:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _run_for(request: HttpRequest, run_id: Any) -> PilotRun:
    return runs.get_pilot_for(request.user, run_id, Perm.VIEW)


@login_required
def pilot_page(request: HttpRequest, run_id: str) -> HttpResponse:
    """One run's report; while it runs the page reloads itself every few seconds."""
    try:
        run = _run_for(request, run_id)
    except AppError as exc:
        return app_error_response(request, exc)
    report = run.report or {}
    tests = presenting.test_views(report)
    _with_urls(tests)
    return render(
        request,
        "pilot/pilot.html",
        {
            "run": run,
            "report": report,
            "tests": tests,
            "verdict_label": presenting.VERDICT_LABELS.get(report.get("verdict"), "Pending"),
            "active": run.state in PILOT_ACTIVE_STATES,
            "can_cancel": run.state in PILOT_ACTIVE_STATES
            and can(request.user, run.board, Perm.EDIT),
        },
    )


@login_required
def pilot_cancel(request: HttpRequest, run_id: str) -> HttpResponse:
    if request.method != "POST":
        return redirect(reverse("pilot", args=[run_id]))
    try:
        run = runs.get_pilot_for(request.user, run_id, Perm.EDIT)
        runs.cancel_pilot(run, request.user)
    except AppError as exc:
        if exc.status == 404:
            return app_error_response(request, exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, "Cancelled the pilot: finished tests keep their report.")
    return redirect(reverse("pilot", args=[run_id]))


@login_required
def pilot_pdf(request: HttpRequest, run_id: str) -> HttpResponse:
    try:
        run = _run_for(request, run_id)
    except AppError as exc:
        return app_error_response(request, exc)
    response = HttpResponse(render_pdf(run), content_type="application/pdf")
    name = f"pilot-{run.engine}-{run.created_at:%Y%m%d-%H%M}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def pilot_json(request: HttpRequest, run_id: str) -> HttpResponse:
    """The raw report (every row the numbers rest on), as stored."""
    try:
        run = _run_for(request, run_id)
    except AppError as exc:
        return app_error_response(request, exc)
    response = HttpResponse(
        json.dumps(run.report or {}, indent=2, ensure_ascii=False),
        content_type="application/json",
    )
    response["Content-Disposition"] = f'attachment; filename="pilot-{run.pk}.json"'
    return response


@login_required
def compare_page(request: HttpRequest) -> HttpResponse:
    """Two to four reports side by side, in the order asked."""
    ids = list(dict.fromkeys(request.GET.getlist("run")))
    if not 2 <= len(ids) <= MAX_COMPARED:
        messages.error(
            request, f"Pick between 2 and {MAX_COMPARED} pilot runs to compare them side by side."
        )
        return redirect(reverse("pilots"))
    try:
        chosen = [_run_for(request, run_id) for run_id in ids]
    except AppError as exc:
        return app_error_response(request, exc)
    rows = presenting.comparison(run.report or {} for run in chosen)
    return render(
        request, "pilot/compare.html", {"runs": chosen, "head": rows[0], "rows": rows[1:]}
    )
