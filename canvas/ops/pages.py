"""The dashboard page (``/dashboard/``): the form that picks a scope and range, and the frame
that src/dashboard/main.ts fills from ``GET /api/v1/dashboard`` (docs/dashboard.md "The page").

The page names only what the caller may see: teams they are a member of, boards they have
a role on (canvas.permissions.visible_boards), people of a team they are in. A team or board
outside that is the same 404 as a missing one, never a name. The numbers themselves come
from the API, which checks the scope again; this module reads no roll-up.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from canvas.models import ProviderHealth, TeamMembership
from canvas.ops.models import MetricRollup, TeamProviderRollup
from canvas.permissions import visible_boards
from canvas.views.errors import app_error_response
from foundation.errors import BoardNotFound, TeamNotFound

# name → (label, days back from today's UTC midnight, granularity it opens with)
PRESETS = {
    "today": ("Today", 0, "hour"),
    "7d": ("Last 7 days", 6, "hour"),
    "30d": ("Last 30 days", 29, "day"),
}
# The tiles (filled by src/dashboard/main.ts) and the charts: key, title, the API's CSV series.
TILES = (
    ("results", "Results"),
    ("delivery", "Delivery p50 / p95"),
    ("wait", "Queue wait p50 / p95"),
    ("failure", "Failure rate"),
    ("cost", "Cost"),
    ("queue", "Queue now"),
    ("approval", "Approval rate"),
    ("drift", "Drift rate"),
    ("retries", "Retries / fallbacks"),
)
CHARTS = (
    ("throughput", "Results", "throughput"),
    ("delivery", "Time to delivery", "delivery"),
    ("outcomes", "Jobs by outcome", "throughput"),
    ("failure_classes", "Failed jobs by error class over time", "failures_over_time"),
    ("wait", "Queue wait to the first claim", "queue_wait"),
    ("cost", "Cost", "cost"),
)
CUSTOM_MAX_DAYS = 61  # the API's hour limit (1,488 hours) with a day to spare


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _range(params: Any, today: date) -> dict[str, Any]:
    """The chosen range: a preset (open-ended: the API reads up to now on every refresh)
    or custom dates (``to`` inclusive on the page, exclusive in the API)."""
    preset = params.get("range", "today")
    granularity = params.get("granularity", "")
    if preset == "custom":
        start = _date(params.get("from", "")) or today - timedelta(days=6)
        end = _date(params.get("to", "")) or today
        if end < start:
            start, end = end, start
        start = max(start, end - timedelta(days=CUSTOM_MAX_DAYS))
        granularity = granularity if granularity in ("hour", "day") else "day"
        api = {"from": start.isoformat(), "to": (end + timedelta(days=1)).isoformat()}
        return {
            "range": "custom", "label": f"{start:%d %b} – {end:%d %b %Y}", "from": start,
            "to": end, "api": api, "granularity": granularity,
        }  # fmt: skip
    if preset not in PRESETS:
        preset = "today"
    label, back, default = PRESETS[preset]
    start = today - timedelta(days=back)
    return {
        "range": preset, "label": label, "from": start, "to": today,
        "api": {"from": start.isoformat()},
        "granularity": granularity if granularity in ("hour", "day") else default,
    }  # fmt: skip


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    teams = list(
        TeamMembership.objects.filter(user=user)
        .select_related("team")
        .order_by("team__name", "team__created_at", "team_id")
        .values_list("team_id", "team__name")
    )
    boards = visible_boards(user).filter(archived_at__isnull=True).order_by("name", "pk")
    wanted_team, wanted_board = request.GET.get("team", ""), request.GET.get("board", "")
    team = next((t for t in teams if str(t[0]) == wanted_team), None)
    if wanted_team and team is None:
        return app_error_response(request, TeamNotFound())
    board = None
    if wanted_board:
        board = boards.filter(pk=wanted_board).first() if _is_uuid(wanted_board) else None
        if board is None or (team and board.team_id != team[0]):
            return app_error_response(request, BoardNotFound())
    if team is None and board is None:
        team = teams[0] if teams else None
    if team is None and board is None:
        board = boards.first()
    # The board list: the chosen team's boards the caller has a role on; a board-only person
    # (a guest on someone else's team) sees just their boards, never the team's others.
    team_id = team[0] if team else (board.team_id if board else None)
    choices = list(boards.filter(team_id=team_id).values_list("pk", "name")) if team_id else []
    today = timezone.now().date()
    chosen = _range(request.GET, today)
    provider = request.GET.get("provider", "")
    person = request.GET.get("user", "")
    people = []
    if team is not None:
        people = list(
            get_user_model()
            .objects.filter(team_memberships__team_id=team[0])
            .order_by("first_name", "username")
        )
    if not person.isdigit() or int(person) not in {p.pk for p in people} | {0}:
        person = ""
    providers = sorted(
        set(ProviderHealth.objects.values_list("provider", flat=True))
        | set(
            # A board's providers from its fine rows, a team's from its provider level.
            (
                MetricRollup.objects.filter(granularity="day", board=str(board.pk))
                if board
                else TeamProviderRollup.objects.filter(granularity="day", team=str(team_id))
            )
            .exclude(provider="")
            .values_list("provider", flat=True)
            .distinct()
        )
    ) if team_id else []  # fmt: skip
    query: dict[str, str] = {"granularity": chosen["granularity"], **chosen["api"]}
    if board is not None:
        query["board"] = str(board.pk)
    elif team is not None:
        query["team"] = str(team[0])
    if provider:
        query["provider"] = provider
    if person:
        query["user"] = person
    return render(
        request,
        "ops/dashboard.html",
        {
            "teams": teams if len(teams) > 1 else [],
            "team": team,
            "board": board,
            "boards": choices,
            "team_scope": team is not None,
            "providers": providers,
            "provider": provider,
            "people": people,
            "person": person,
            "chosen": chosen,
            "presets": [(key, value[0]) for key, value in PRESETS.items()],
            "tiles": TILES,
            "charts": CHARTS,
            "api_query": urlencode(query) if (team or board) else "",
        },
    )


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
