"""The dashboard endpoint of the JSON API: ``GET /dashboard`` (docs/dashboard.md).

Parses the scope, checks the caller's role and hands over to canvas.ops.dashboard.
Team scope needs membership of the team; board scope needs a role on the board (the board's
team members with the team's default role included); anyone else is told the team or
board does not exist (404), like everywhere else. ``format=csv`` answers one series
(``series=``) as a CSV file instead of the JSON.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from ninja import Query, Router, Schema
from pydantic import Field

from canvas.members.api_auth import api_user
from canvas.models import TeamMembership
from canvas.ops import dashboard
from canvas.ops.models import Granularity
from canvas.ops.rollups import floor_day, floor_hour
from canvas.permissions import Perm, TeamPerm, get_board_for, get_team_for
from foundation.api_errors import ErrorOut
from foundation.errors import AppError, BoardNotFound

router = Router(tags=["dashboard"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
MAX_BUCKETS = {Granularity.HOUR: 24 * 62, Granularity.DAY: 731}
DEFAULT_SPAN = {Granularity.HOUR: timedelta(hours=24), Granularity.DAY: timedelta(days=30)}


class BadDashboardQuery(AppError):
    code = "invalid_dashboard_query"
    default_message = "The dashboard query is not valid."


class DashboardQuery(Schema):
    team: str = ""
    board: str = ""
    provider: str = ""
    user: int | None = None
    start: str = Field("", alias="from", description="ISO date or date-time (UTC if no zone).")
    end: str = Field("", alias="to", description="ISO date or date-time; exclusive.")
    granularity: Granularity = Granularity.HOUR
    format: str = Field("json", description="json, or csv for one series")
    series: str = Field("throughput", description=", ".join(dashboard.SERIES))


def _instant(text: str, name: str) -> datetime | None:
    if not text:
        return None
    try:  # Django's parsers return None for a malformed text, raise for 2026-13-01
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            moment = datetime(day.year, day.month, day.day) if day else None
    except ValueError:
        moment = None
    if moment is None:
        raise BadDashboardQuery(f"“{name}” must be an ISO date or date-time, like 2026-12-01.")
    return (
        moment
        if timezone.is_aware(moment)
        else moment.replace(tzinfo=timezone.get_current_timezone())
    )


def _range(query: DashboardQuery, now: datetime) -> tuple[datetime, datetime]:
    """The range, widened to whole buckets; at most MAX_BUCKETS of them."""
    floor = floor_hour if query.granularity == Granularity.HOUR else floor_day
    step = timedelta(hours=1) if query.granularity == Granularity.HOUR else timedelta(days=1)
    end = _instant(query.end, "to") or now
    end = floor(end) + step if floor(end) < end else floor(end)
    start = floor(_instant(query.start, "from") or end - DEFAULT_SPAN[query.granularity])
    if start >= end:
        raise BadDashboardQuery("“from” must be before “to”.")
    if (end - start) / step > MAX_BUCKETS[query.granularity]:
        raise BadDashboardQuery(
            f"That is more than {MAX_BUCKETS[query.granularity]} {query.granularity}s; "
            "choose a shorter range or granularity=day."
        )
    return start, end


def _team_and_board(user: Any, query: DashboardQuery) -> tuple[str, str]:
    """Check the caller may see the scope; returns (team, board) as UUID strings."""
    if query.board:
        board, _ = get_board_for(user, query.board, Perm.VIEW)
        if query.team and query.team != str(board.team_id):
            raise BoardNotFound()
        return str(board.team_id), str(board.pk)
    if query.team:
        team, _ = get_team_for(user, query.team, TeamPerm.VIEW)
        return str(team.pk), ""
    teams = list(TeamMembership.objects.filter(user=user).values_list("team_id", flat=True)[:2])
    if len(teams) != 1:
        raise BadDashboardQuery("Say which team (team=) or board (board=) to show.")
    return str(teams[0]), ""


@router.get(
    "/dashboard",
    response={200: dict[str, Any], **ERRORS},
    summary="Operations dashboard numbers",
)
def get_dashboard(request: HttpRequest, query: Query[DashboardQuery]) -> Any:
    """Throughput, time to delivery, failures, retries, fallbacks, breakers, queue,
    approval and drift rates and cost for a team or board, from the hourly/daily roll-ups."""
    user = api_user(request)
    team, board = _team_and_board(user, query)
    now = timezone.now()
    start, end = _range(query, now)
    scope = dashboard.Scope(
        start=start,
        end=end,
        granularity=query.granularity,
        team=team,
        board=board,
        provider=query.provider,
        user=query.user,
    )
    data = dashboard.numbers(scope, now)
    if query.format == "json":
        return data
    if query.format != "csv" or query.series not in dashboard.SERIES:
        raise BadDashboardQuery(
            f"format is json or csv; series is one of {', '.join(dashboard.SERIES)}."
        )
    buffer = io.StringIO()
    csv.writer(buffer).writerows(dashboard.csv_table(data, query.series))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"dashboard-{query.series}-{start:%Y%m%d%H}-{end:%Y%m%d%H}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
