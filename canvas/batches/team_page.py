"""The team's batches page (``/batches/``): every batch on the boards of one team that the
visitor has a role on, newest first, 50 a page, filtered by state, board and who started it.

The board's own page (canvas.batches.pages) steers one board's batches; this one is the
overview a team lead reads across boards: name, board, state, progress, who, when, and a
link to each batch's matrix. It never names a board the visitor has no role on — the batches
come from canvas.permissions.visible_boards, a team with none of them is the same 404 as a
missing one, and so is a board filter outside the visitor's boards. Counts for a page are
read in one grouped query (canvas.batches.progress.counts_for_many). Read-only: it changes
nothing. The page's rows follow live through canvas.batches.team_live, which reads the same
``team_scope``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from canvas.batches import progress
from canvas.batches.pages import PER_PAGE, bar_shares
from canvas.models import Batch, BatchState, Board, Team
from canvas.permissions import visible_boards
from canvas.views.errors import app_error_response
from foundation.errors import BoardNotFound, TeamNotFound


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def team_row(batch: Batch, numbers: dict[str, int]) -> dict[str, Any]:
    """One row: the batch, its counts as the API names them, and the bar's segments."""
    data = {
        "jobs": batch.jobs_total,
        "counts": numbers,
        "done": numbers["succeeded"],
        "failed": numbers["failed"],
        "running": numbers["running"],
        "queued": numbers["queued"],
    }
    return {"batch": batch, "data": data, "shares": bar_shares(numbers, batch.jobs_total)}


@dataclass
class TeamScope:
    """What the page's query string picks: the team, the visitor's boards of it (the filter's
    choices), the filter as understood, and the batches it selects (newest first)."""

    teams: list[Team]
    team: Team | None
    in_team: QuerySet[Board]
    board_choices: list[tuple[Any, str]]
    chosen: dict[str, str]
    rows: QuerySet[Batch]


def team_scope(user: Any, query: QueryDict) -> TeamScope:
    """The batches of one of the visitor's teams, only on boards they have a role on,
    filtered by ``state``, ``board`` and ``person``; raises ``TeamNotFound`` or
    ``BoardNotFound`` (the same 404 as a missing one) for a team or board that is not theirs."""
    boards = visible_boards(user)
    teams = list(
        Team.objects.filter(boards__in=boards.values("pk"))
        .distinct()
        .order_by("name", "created_at", "pk")
    )
    wanted = query.get("team", "")
    team = next((t for t in teams if str(t.pk) == wanted), None)
    if wanted and team is None:
        raise TeamNotFound()
    team = team or (teams[0] if teams else None)
    in_team = boards.filter(team=team) if team else boards.none()
    board_choices = list(in_team.order_by("name", "pk").values_list("pk", "name"))
    rows = Batch.objects.filter(board__in=in_team.values("pk"))
    chosen = {
        "state": query.get("state", ""),
        "board": query.get("board", ""),
        "person": query.get("person", ""),
    }
    if chosen["state"] in BatchState.values:
        rows = rows.filter(state=chosen["state"])
    else:
        chosen["state"] = ""
    if chosen["board"]:
        key = _uuid(chosen["board"])
        if key in {pk for pk, _ in board_choices}:
            rows = rows.filter(board_id=key)
        elif key is not None and boards.filter(pk=key).exists():
            chosen["board"] = ""  # one of theirs on another team: the team was switched
        else:
            raise BoardNotFound()
    if chosen["person"].isdigit():
        rows = rows.filter(created_by_id=int(chosen["person"]))
    else:
        chosen["person"] = ""
    return TeamScope(teams, team, in_team, board_choices, chosen, rows)


@login_required
def team_batches_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    try:
        scope = team_scope(user, request.GET)
    except (TeamNotFound, BoardNotFound) as exc:
        return app_error_response(request, exc)
    team, teams, chosen = scope.team, scope.teams, scope.chosen
    people = list(
        get_user_model()
        .objects.filter(
            pk__in=Batch.objects.filter(board__in=scope.in_team.values("pk")).values(
                "created_by_id"
            )
        )
        .order_by("first_name", "username")
    )
    rows = scope.rows.select_related("board", "created_by").order_by("-created_at", "-pk")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    batches = list(page.object_list)
    numbers = progress.counts_for_many([b.pk for b in batches])
    query = {k: v for k, v in chosen.items() if v}
    if team and len(teams) > 1:
        query["team"] = str(team.pk)
    return render(
        request,
        "batches/team_batches.html",
        {
            "teams": teams if len(teams) > 1 else [],
            "team": team,
            "boards": scope.board_choices,
            "people": people,
            "states": BatchState.choices,
            "chosen": chosen,
            "filtered": any(chosen.values()),
            "page": page,
            "rows": [team_row(b, numbers[b.pk]) for b in batches],
            "page_query": urlencode(query),
            # What the page's script polls (canvas.batches.team_live): the same filter, and
            # the time the snapshot was read, so batches started since are counted.
            "live_url": reverse("team-batches-live") + (f"?{urlencode(query)}" if query else ""),
            "read_at": timezone.now().isoformat(),
        },
    )
