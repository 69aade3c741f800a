"""The levels every roll-up bucket is kept at, and which one answers a dashboard scope.

A level is a pair of tables (counters, breakdowns) keyed by the bucket and some of the four
dimensions (team, board, provider, person). The fine level has all four; the others are
its sums per team, per (team, provider) and per (team, person), pre-summed by the rebuild
that writes the fine rows (canvas.ops.rollups), in the same transaction, so a team's view —
whole, or narrowed to one provider or one person — reads one row a bucket instead of adding
up every board × provider × person row of its range (docs/dashboard.md, "Levels").

This module only names the levels and picks one; it reads and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from canvas.ops.models import (
    MetricRollup,
    RollupBreakdown,
    TeamBreakdown,
    TeamPersonBreakdown,
    TeamPersonRollup,
    TeamProviderBreakdown,
    TeamProviderRollup,
    TeamRollup,
)

DIMENSIONS = ("team", "board", "provider", "user")


@dataclass(frozen=True)
class Level:
    """One level: its counter table, its breakdown table and the dimensions that key it
    (a subset of ``DIMENSIONS``, in that order)."""

    name: str
    rollup: type[models.Model]
    breakdown: type[models.Model]
    dimensions: tuple[str, ...]


FINE = Level("fine", MetricRollup, RollupBreakdown, DIMENSIONS)
TEAM = Level("team", TeamRollup, TeamBreakdown, ("team",))
TEAM_PROVIDER = Level(
    "team × provider", TeamProviderRollup, TeamProviderBreakdown, ("team", "provider")
)
TEAM_PERSON = Level("team × person", TeamPersonRollup, TeamPersonBreakdown, ("team", "user"))
LEVELS = (FINE, TEAM, TEAM_PROVIDER, TEAM_PERSON)


def level_for(*, board: str, provider: str, user: int | None) -> Level:
    """The level that holds a scope's rows with nothing to add across another dimension: a
    board's view (and a team's narrowed to a provider *and* a person) reads the fine rows,
    which its index picks out; a team's, whole or narrowed once, its own pre-summed level."""
    if board or (provider and user is not None):
        return FINE
    if provider:
        return TEAM_PROVIDER
    if user is not None:
        return TEAM_PERSON
    return TEAM
