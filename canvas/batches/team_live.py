"""The team's batches page, live (``GET /batches/live/``): what the page's script
(frontend/src/batches/teamLive.ts) polls every few seconds to bring the rows in view up to
date without a reload — each batch's state, counts and end — and how many batches matching
the page's filter started since the page was read.

Why a polled endpoint and not the board socket or a team channel group: the page spans
every board of a team the visitor has a role on — possibly hundreds — and the role is per
board, so a team-wide group would either tell people about boards they cannot see or need a
per-socket filter of every message; joining one group per board would mean one socket
subscription per board for a table that changes every few seconds at most. A poll reads
exactly the rows on the screen through the same permission query as the page
(``team_scope``: only the visitor's boards), costs one grouped count query for at most 50
batches, and needs no new socket protocol. The answer carries an ``ETag`` (a hash of the
answer): a poll that finds nothing changed gets a bodiless ``304``. A fingerprint read from
``Batch.progress_sent_at`` alone would spare the count query too, but a trailing progress
send lost with its process would then freeze the page's counts, so the counts are always read.

Read-only, like the page.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.utils.dateparse import parse_datetime
from django.utils.http import parse_etags
from django.views.decorators.http import require_GET

from canvas.batches import progress
from canvas.batches.pages import PER_PAGE
from canvas.batches.team_page import team_scope
from canvas.models import Batch
from foundation.errors import BoardNotFound, TeamNotFound


def live_row(batch: Batch, numbers: dict[str, int]) -> dict[str, Any]:
    """One batch as the page's script updates its row (the keys of the socket's
    ``batch_progress``; no ETA: the team page does not show one)."""
    return {
        "id": str(batch.pk),
        "board": str(batch.board_id),
        "name": batch.name,
        "state": batch.state,
        "jobs": batch.jobs_total,
        "counts": numbers,
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        "eta_seconds": None,
    }


def _ids(values: list[str]) -> list[uuid.UUID]:
    out = []
    for text in values[:PER_PAGE]:
        try:
            out.append(uuid.UUID(text))
        except ValueError:
            continue
    return out


def live_answer(user: Any, query: Any) -> dict[str, Any]:
    """``items``: the batches asked for (``batch``, repeated; at most a page) that are on the
    visitor's boards of the page's team — whatever the filter, so a row whose state leaves
    the filter still updates — and ``new``: batches matching the filter started after
    ``since`` (the page's read time). Raises the page's 404s."""
    scope = team_scope(user, query)
    batches = list(
        Batch.objects.filter(
            pk__in=_ids(query.getlist("batch")), board__in=scope.in_team.values("pk")
        ).order_by("-created_at", "-pk")
    )
    numbers = progress.counts_for_many([b.pk for b in batches])
    since = parse_datetime(query.get("since", ""))
    return {
        "new": scope.rows.filter(created_at__gt=since).count() if since else 0,
        "items": [live_row(b, numbers[b.pk]) for b in batches],
    }


@require_GET
def team_batches_live(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        message = "You are signed out. Sign in again to follow the batches."
        return JsonResponse(
            {"error": {"code": "not_authenticated", "message": message}}, status=401
        )
    try:
        answer = live_answer(request.user, request.GET)
    except (TeamNotFound, BoardNotFound) as exc:
        error = {"code": exc.code, "message": exc.message}
        return JsonResponse({"error": error}, status=exc.status)
    body = json.dumps(answer, sort_keys=True, separators=(",", ":")).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        unchanged = HttpResponseNotModified()
        unchanged["ETag"] = etag
        return unchanged
    response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    # Always asked again (private: it depends on who asks).
    response["Cache-Control"] = "private, no-cache"
    return response
