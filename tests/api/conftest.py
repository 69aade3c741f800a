"""Fixtures for the JSON API tests: users, a team, and clients that authenticate."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client

from canvas.models import ApiToken
from tests import factories


@pytest.fixture(autouse=True)
def _empty_cache():
    """Login-failure counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(db):
    return factories.make_user("alice")


@pytest.fixture
def team(alice):
    """A team with alice as admin; members get no role on boards unless added."""
    return factories.make_team("Studio", admin=alice)


@pytest.fixture
def board(team, alice):
    return factories.make_board(team, "Moodboard", owner=alice)


@pytest.fixture
def bearer() -> Callable[..., Client]:
    """``bearer(user)`` → a Client sending a fresh API token of ``user`` on every request."""

    def make(user, **client_kwargs) -> Client:
        _, token = ApiToken.issue(user, name="test")
        client = Client(headers={"Authorization": f"Bearer {token}"}, **client_kwargs)
        client.token = token  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def api(alice, bearer) -> Client:
    """A client authenticated as alice with an API token."""
    return bearer(alice)
