"""The team level of the roll-ups (``TeamRollup``, ``TeamBreakdown``) is always the sum of
the fine rows it stands for, and the team-wide dashboard reads it.

Property-style: histories generated with several fixed seeds over two teams' boards and
people; after the roll-up, every (granularity, bucket, team) row equals the sum of that
bucket's fine rows, column by column, and every team breakdown the sum of the fine
breakdowns. Then: a rebuild changes nothing, an hour rebuilt after late jobs moves both
levels (and the day) by the same amount, and the migration's backfill writes the same team
rows the roll-up does. Runs on SQLite and, with DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import importlib
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from canvas.models import Job
from canvas.ops import rollups
from canvas.ops.dashboard import Scope, numbers
from canvas.ops.models import (
    COUNTERS,
    HISTOGRAM,
    WAIT_HISTOGRAM,
    MetricRollup,
    RollupBreakdown,
    TeamBreakdown,
    TeamRollup,
)
from tests.ops.history import seed_history

COLUMNS = (*COUNTERS, *HISTOGRAM, *WAIT_HISTOGRAM)
HOURS = 30


def fine_sums() -> tuple[dict[tuple, Counter], dict[tuple, list]]:
    """The fine rows summed per (granularity, bucket, team), in Python."""
    counts: dict[tuple, Counter] = defaultdict(Counter)
    megapixels: Counter = Counter()
    for row in MetricRollup.objects.values():
        where = (row["granularity"], row["bucket_start"], row["team"])
        counts[where].update({n: row[n] for n in COLUMNS})
        megapixels[where] += row["megapixels"]
    parts: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    for row in RollupBreakdown.objects.values():
        where = (row["granularity"], row["bucket_start"], row["team"], row["kind"], row["key"])
        parts[where][0] += row["count"]
        parts[where][1] += row["amount"]
    for where, value in megapixels.items():
        counts[where]["megapixels"] = round(value, 6)
    return counts, parts


def team_rows() -> tuple[dict[tuple, Counter], dict[tuple, list]]:
    counts: dict[tuple, Counter] = {}
    for row in TeamRollup.objects.values():
        where = (row["granularity"], row["bucket_start"], row["team"])
        counts[where] = Counter({n: row[n] for n in COLUMNS})
        counts[where]["megapixels"] = round(row["megapixels"], 6)
    parts = {
        (r["granularity"], r["bucket_start"], r["team"], r["kind"], r["key"]): [
            r["count"],
            r["amount"],
        ]
        for r in TeamBreakdown.objects.values()
    }
    return counts, parts


def assert_levels_agree() -> None:
    want, got = fine_sums(), team_rows()
    assert got[0] == want[0]
    assert got[1] == want[1]


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


@pytest.mark.django_db
@pytest.mark.parametrize("seed_value", [3, 29, 101])
def test_team_rows_equal_the_sums_of_the_fine_rows(studio, seed_value):
    now = timezone.now()
    start = rollups.floor_hour(now) - timedelta(hours=HOURS + 2)
    seed(studio, 600, start, seed_value)
    everything(start, now)

    assert TeamRollup.objects.filter(granularity="hour").count() > HOURS  # two teams
    assert TeamRollup.objects.filter(granularity="day").exists()
    assert TeamBreakdown.objects.filter(kind="failure").exists()
    assert TeamBreakdown.objects.filter(kind="cost").exists()
    assert_levels_agree()

    # A rebuild is idempotent at both levels: the same rows, nothing doubled.
    before = team_rows(), MetricRollup.objects.count(), TeamRollup.objects.count()
    everything(start, now)
    assert (team_rows(), MetricRollup.objects.count(), TeamRollup.objects.count()) == before


@pytest.mark.django_db
def test_team_view_reads_the_team_level_and_narrowed_views_the_fine_rows(studio):
    now = timezone.now()
    start = rollups.floor_hour(now) - timedelta(hours=HOURS + 2)
    seed(studio, 500, start, 7)
    everything(start, now)
    end = rollups.floor_hour(now) + rollups.HOUR
    team = Scope(start=start, end=end, team=str(studio.team.pk))
    board = Scope(start=start, end=end, team=str(studio.team.pk), board=str(studio.one.pk))
    assert team.team_wide and not board.team_wide
    whole, one = numbers(team), numbers(board)
    assert whole["totals"]["jobs_succeeded"] > one["totals"]["jobs_succeeded"] > 0

    # The team view's numbers come from the team level alone: without the fine rows it
    # says the same, the narrowed views fall to nothing.
    MetricRollup.objects.all().delete()
    RollupBreakdown.objects.all().delete()
    again = numbers(team)
    assert again["totals"] == whole["totals"]
    assert again["series"] == whole["series"]
    assert again["failures"] == whole["failures"] and whole["failures"]
    assert numbers(board)["totals"]["jobs_succeeded"] == 0
    for narrowed in ({"provider": "gemini"}, {"user": studio.admin.pk}):
        scope = Scope(start=start, end=end, team=str(studio.team.pk), **narrowed)
        assert not scope.team_wide
        assert numbers(scope)["totals"]["jobs_succeeded"] == 0


@pytest.mark.django_db
def test_an_hour_rebuilt_after_late_jobs_moves_both_levels(studio):
    now = timezone.now()
    start = rollups.floor_hour(now) - timedelta(hours=HOURS + 2)
    seed(studio, 400, start, 11)
    everything(start, now)
    hour = start + timedelta(hours=5)

    def succeeded(model: Any, granularity: str, bucket: Any) -> int:
        rows = model.objects.filter(
            granularity=granularity, bucket_start=bucket, team=str(studio.team.pk)
        )
        return sum(rows.values_list("jobs_succeeded", flat=True))

    def failed(granularity: str, bucket: Any) -> int:
        rows = TeamBreakdown.objects.filter(
            granularity=granularity, bucket_start=bucket, team=str(studio.team.pk),
            kind="failure", key="late_failure",
        )  # fmt: skip
        return sum(rows.values_list("count", flat=True))

    day = rollups.floor_day(hour)
    was = {
        (model, granularity): succeeded(model, granularity, bucket)
        for model in (MetricRollup, TeamRollup)
        for granularity, bucket in (("hour", hour), ("day", day))
    }
    # Three jobs of the team end late in that hour (committed after it was rolled up).
    for state, code in (("succeeded", ""), ("succeeded", ""), ("failed", "late_failure")):
        Job.objects.create(
            board=studio.two, created_by=studio.member, engine="local", state=state,
            attempts=1, queued_at=hour, started_at=hour + timedelta(minutes=1),
            finished_at=hour + timedelta(minutes=2), error_code=code,
        )  # fmt: skip
    assert succeeded(TeamRollup, "hour", hour) == was[(TeamRollup, "hour")]  # not yet

    rollups.rebuild(hour, hour + rollups.HOUR)
    for (model, granularity), before in was.items():
        bucket = hour if granularity == "hour" else day
        assert succeeded(model, granularity, bucket) == before + 2, (model, granularity)
    assert failed("hour", hour) == failed("day", day) == 1
    assert_levels_agree()


@pytest.mark.django_db
def test_the_migration_backfills_the_team_level_of_existing_roll_ups(studio):
    now = timezone.now()
    start = rollups.floor_hour(now) - timedelta(hours=HOURS + 2)
    seed(studio, 400, start, 5)
    everything(start, now)
    written = team_rows()
    TeamRollup.objects.all().delete()
    TeamBreakdown.objects.all().delete()

    migration = importlib.import_module("canvas.ops.migrations.0004_team_rollups")
    migration.backfill(apps, None)
    assert team_rows() == written
    assert written[0] and written[1]
