"""The pre-summed levels of the roll-ups — per team (``TeamRollup``, ``TeamBreakdown``), per
(team, provider) and per (team, person) — are always the sums of the fine rows they stand
for, and the team views (whole, or narrowed to one provider or one person) read them.

Property-style: histories generated with several fixed seeds over two teams' boards and
people; after the roll-up, every row of every pre-summed level equals the sum of that
bucket's fine rows with its key, column by column, and every breakdown the sum of the fine
breakdowns. Then: a rebuild changes nothing, an hour rebuilt after late jobs moves every
level (and the day) by the same amount, the provider and person views answer what they
answered from the fine rows (the same JSON through the API), and the migrations' backfills
write the same rows the roll-up does. Runs on SQLite and, with DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import importlib
import json
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from django.utils import timezone

from canvas.models import Job
from canvas.ops import rollups
from canvas.ops.dashboard import Scope, numbers
from canvas.ops.levels import FINE, LEVELS, TEAM, TEAM_PERSON, TEAM_PROVIDER, Level
from canvas.ops.models import (
    COUNTERS,
    HISTOGRAM,
    WAIT_HISTOGRAM,
    MetricRollup,
    RollupBreakdown,
    TeamRollup,
)
from tests.ops.history import seed_history

COLUMNS = (*COUNTERS, *HISTOGRAM, *WAIT_HISTOGRAM)
HOURS = 30
SUMMED_LEVELS = [level for level in LEVELS if level is not FINE]

Rows = tuple[dict[tuple, Counter], dict[tuple, list]]


def fine_sums(level: Level) -> Rows:
    """The fine rows summed per (granularity, bucket, the level's dimensions), in Python."""
    counts: dict[tuple, Counter] = defaultdict(Counter)
    megapixels: Counter = Counter()
    for row in MetricRollup.objects.values():
        where = (row["granularity"], row["bucket_start"], *(row[d] for d in level.dimensions))
        counts[where].update({n: row[n] for n in COLUMNS})
        megapixels[where] += row["megapixels"]
    parts: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    for row in RollupBreakdown.objects.values():
        where = (row["granularity"], row["bucket_start"], *(row[d] for d in level.dimensions))
        parts[(*where, row["kind"], row["key"])][0] += row["count"]
        parts[(*where, row["kind"], row["key"])][1] += row["amount"]
    for where, value in megapixels.items():
        counts[where]["megapixels"] = round(value, 6)
    return counts, dict(parts)


def level_rows(level: Level) -> Rows:
    """A pre-summed level's rows as they are stored."""
    counts: dict[tuple, Counter] = {}
    for row in level.rollup._default_manager.values():
        where = (row["granularity"], row["bucket_start"], *(row[d] for d in level.dimensions))
        counts[where] = Counter({n: row[n] for n in COLUMNS})
        counts[where]["megapixels"] = round(row["megapixels"], 6)
    parts = {}
    for row in level.breakdown._default_manager.values():
        where = (row["granularity"], row["bucket_start"], *(row[d] for d in level.dimensions))
        parts[(*where, row["kind"], row["key"])] = [row["count"], row["amount"]]
    return counts, parts


def assert_levels_agree() -> None:
    for level in SUMMED_LEVELS:
        assert level_rows(level) == fine_sums(level), level.name


def seed(studio: Any, jobs: int, start: Any, seed_value: int, hours: int = HOURS) -> None:
    seed_history(
        jobs,
        boards=[studio.one, studio.two, studio.other],
        users=[studio.admin, studio.member, studio.stranger],
        asset=studio.asset,
        start=start,
        hours=hours,
        seed=seed_value,
    )


def everything(start: Any, now: Any) -> int:
    return rollups.rebuild(start, rollups.floor_hour(now) + rollups.HOUR)


def rolled_up(studio: Any, jobs: int, seed_value: int) -> tuple[Any, Any]:
    """A generated history of ``jobs`` over HOURS, rolled up at every level: (start, now)."""
    now = timezone.now()
    start = rollups.floor_hour(now) - timedelta(hours=HOURS + 2)
    seed(studio, jobs, start, seed_value)
    everything(start, now)
    return start, now


def summed_rows() -> dict[str, Rows]:
    return {level.name: level_rows(level) for level in SUMMED_LEVELS}


@pytest.mark.django_db
@pytest.mark.parametrize("seed_value", [3, 29, 101])
def test_every_level_equals_the_sums_of_the_fine_rows(studio, seed_value):
    start, now = rolled_up(studio, 600, seed_value)

    assert TeamRollup.objects.filter(granularity="hour").count() > HOURS  # two teams
    for level in SUMMED_LEVELS:
        rows, parts = level.rollup._default_manager, level.breakdown._default_manager
        assert rows.filter(granularity="day").exists(), level.name
        assert parts.filter(kind="failure").exists(), level.name
        assert parts.filter(kind="cost").exists(), level.name
    # Each narrowed level has a row per value seen: three providers, four people (0: nobody).
    assert set(TEAM_PROVIDER.rollup._default_manager.values_list("provider", flat=True)) == {
        "gemini", "openai", "local",
    }  # fmt: skip
    people = {studio.admin.pk, studio.member.pk, studio.stranger.pk, 0}
    assert set(TEAM_PERSON.rollup._default_manager.values_list("user", flat=True)) == people
    assert_levels_agree()

    # A rebuild is idempotent at every level: the same rows, nothing doubled.
    before = summed_rows(), MetricRollup.objects.count()
    everything(start, now)
    assert (summed_rows(), MetricRollup.objects.count()) == before


def window(studio: Any, start: Any, now: Any, **narrowed: Any) -> Scope:
    end = rollups.floor_hour(now) + rollups.HOUR
    return Scope(start=start, end=end, team=str(studio.team.pk), **narrowed)


@pytest.mark.django_db
def test_each_view_reads_its_own_level(studio):
    start, now = rolled_up(studio, 500, 7)
    team = window(studio, start, now)
    board = window(studio, start, now, board=str(studio.one.pk))
    provider = window(studio, start, now, provider="gemini")
    person = window(studio, start, now, user=studio.admin.pk)
    both = window(studio, start, now, provider="gemini", user=studio.admin.pk)
    assert (team.level, board.level, provider.level, person.level, both.level) == (
        TEAM, FINE, TEAM_PROVIDER, TEAM_PERSON, FINE,
    )  # fmt: skip
    views = (team, provider, person)
    before = [numbers(scope) for scope in views]
    assert before[0]["totals"]["jobs_succeeded"] > before[1]["totals"]["jobs_succeeded"] > 0
    assert before[0]["totals"]["jobs_succeeded"] > before[2]["totals"]["jobs_succeeded"] > 0
    assert numbers(board)["totals"]["jobs_succeeded"] > 0
    assert numbers(both)["totals"]["jobs_succeeded"] > 0

    # The team, provider and person views come from their own levels alone: without the
    # fine rows they say the same; the board view and the twice-narrowed one fall to nothing.
    MetricRollup.objects.all().delete()
    RollupBreakdown.objects.all().delete()
    for scope, was in zip(views, before, strict=True):
        again = numbers(scope)
        assert again["totals"] == was["totals"], scope.level.name
        assert again["series"] == was["series"], scope.level.name
        assert again["failures"] == was["failures"] and was["failures"], scope.level.name
    assert numbers(board)["totals"]["jobs_succeeded"] == 0
    assert numbers(both)["totals"]["jobs_succeeded"] == 0
    # And without its own level's rows a view falls to nothing: it reads no other.
    for scope in views:
        scope.level.rollup._default_manager.all().delete()
        scope.level.breakdown._default_manager.all().delete()
        assert numbers(scope)["totals"]["jobs_succeeded"] == 0, scope.level.name


def as_json(data: Any) -> Any:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


@pytest.mark.django_db
def test_provider_and_person_views_answer_what_the_fine_rows_answered(studio, monkeypatch):
    """The API's provider and person views, now read from their own levels, give the same
    JSON as the same views read from the fine rows (how they were answered before)."""
    start, _ = rolled_up(studio, 600, 13)
    client = Client()
    client.force_login(studio.admin)
    team = str(studio.team.pk)
    narrowed = [{"provider": p} for p in ("gemini", "openai", "local")]
    narrowed += [{"user": u} for u in (studio.admin.pk, studio.member.pk, 0)]
    ranges = [
        {"granularity": "hour", "from": start.isoformat()},
        {"granularity": "day", "from": rollups.floor_day(start).date().isoformat()},
    ]
    queries = [{"team": team, **n, **r} for n in narrowed for r in ranges]
    new = []
    for query in queries:
        response = client.get("/api/v1/dashboard", query)
        assert response.status_code == 200, response.content
        new.append(response.json())
        # The CSV too (one series), as a download of the same view.
        csv = client.get("/api/v1/dashboard", {**query, "format": "csv", "series": "cost"})
        new[-1]["csv"] = csv.content.decode()

    # The same requests answered from the fine rows: the scan the new levels replace.
    monkeypatch.setattr("canvas.ops.dashboard.level_for", lambda **_: FINE)
    for query, answer in zip(queries, new, strict=True):
        old = client.get("/api/v1/dashboard", query).json()
        old["csv"] = client.get(
            "/api/v1/dashboard", {**query, "format": "csv", "series": "cost"}
        ).content.decode()
        assert answer == as_json(old), query
        assert answer["totals"]["jobs_succeeded"] > 0 and answer["series"], query
    assert len({json.dumps(a["totals"], sort_keys=True) for a in new}) == len(new)


@pytest.mark.django_db
def test_an_hour_rebuilt_after_late_jobs_moves_every_level(studio):
    start, _ = rolled_up(studio, 400, 11)
    hour = start + timedelta(hours=5)
    team = str(studio.team.pk)
    # The rows of each level the late jobs belong to (local engine, board two, member).
    where = {
        FINE: {"board": str(studio.two.pk), "provider": "local", "user": studio.member.pk},
        TEAM: {},
        TEAM_PROVIDER: {"provider": "local"},
        TEAM_PERSON: {"user": studio.member.pk},
    }

    def succeeded(level: Level, granularity: str, bucket: Any) -> int:
        rows = level.rollup._default_manager.filter(
            granularity=granularity, bucket_start=bucket, team=team, **where[level]
        )
        return sum(rows.values_list("jobs_succeeded", flat=True))

    def failed(level: Level, granularity: str, bucket: Any) -> int:
        rows = level.breakdown._default_manager.filter(
            granularity=granularity, bucket_start=bucket, team=team, kind="failure",
            key="late_failure", **where[level],
        )  # fmt: skip
        return sum(rows.values_list("count", flat=True))

    day = rollups.floor_day(hour)
    buckets = (("hour", hour), ("day", day))
    was = {(lv, g): succeeded(lv, g, b) for lv in LEVELS for g, b in buckets}
    # Three jobs of the team end late in that hour (committed after it was rolled up).
    for state, code in (("succeeded", ""), ("succeeded", ""), ("failed", "late_failure")):
        Job.objects.create(
            board=studio.two, created_by=studio.member, engine="local", state=state,
            attempts=1, queued_at=hour, started_at=hour + timedelta(minutes=1),
            finished_at=hour + timedelta(minutes=2), error_code=code,
        )  # fmt: skip
    assert succeeded(TEAM, "hour", hour) == was[(TEAM, "hour")]  # not yet

    rollups.rebuild(hour, hour + rollups.HOUR)
    for (level, granularity), before in was.items():
        bucket = hour if granularity == "hour" else day
        assert succeeded(level, granularity, bucket) == before + 2, (level.name, granularity)
        assert failed(level, granularity, bucket) == 1, (level.name, granularity)
    assert_levels_agree()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("migration", "backfilled"),
    [
        ("0004_team_rollups", [TEAM]),
        ("0005_team_provider_person_rollups", [TEAM_PROVIDER, TEAM_PERSON]),
    ],
)
def test_the_migrations_backfill_the_levels_of_existing_roll_ups(studio, migration, backfilled):
    rolled_up(studio, 400, 5)
    written = summed_rows()
    for level in backfilled:
        level.rollup._default_manager.all().delete()
        level.breakdown._default_manager.all().delete()
        assert level_rows(level) == ({}, {})

    importlib.import_module(f"canvas.ops.migrations.{migration}").backfill(apps, None)
    assert summed_rows() == written
    for level in backfilled:
        assert written[level.name][0] and written[level.name][1], level.name
