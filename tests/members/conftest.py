"""Fixtures of the members tests: a studio team with a board, one person per kind of role,
and clients that are signed in (session) or send an API token."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from canvas.models import ApiToken, Board, Role, Team
from tests import factories


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@dataclass
class Studio:
    """Team "Studio" (default board role: none) with admin ``ada`` and member ``tom``; board
    "Poster" owned by ``olga`` (also a team member), ``eve`` editor, ``vic`` viewer (guests
    from outside the team); ``sam`` is in nothing."""

    team: Team
    board: Board
    ada: Any
    tom: Any
    olga: Any
    eve: Any
    vic: Any
    sam: Any


@pytest.fixture
def studio(db) -> Studio:
    people = {n: factories.make_user(n) for n in ("ada", "tom", "olga", "eve", "vic", "sam")}
    team = factories.make_team(
        "Studio", admin=people["ada"], members=[people["tom"], people["olga"]]
    )
    board = factories.make_board(
        team, "Poster", owner=people["olga"], editor=people["eve"], viewer=people["vic"]
    )
    return Studio(team=team, board=board, **people)


@pytest.fixture
def login():
    """``login(user)`` → a Client with a session of ``user``."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def bearer():
    """``bearer(user)`` → a Client sending an API token of ``user``."""

    def make(user) -> Client:
        _, token = ApiToken.issue(user, name="test")
        return Client(headers={"Authorization": f"Bearer {token}"})

    return make


def send(client: Client, method: str, url: str, body: Any = None):
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(url, data, content_type="application/json")


def board_role(board: Board, user) -> Role | None:
    from canvas.permissions import role_for

    return role_for(user, board)
