"""Fixtures for the HTML page tests: a team with people at every board role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests import factories


@dataclass
class Cast:
    owner: object
    editor: object
    reviewer: object
    viewer: object
    stranger: object
    team: object
    board: object


@pytest.fixture
def cast(db) -> Cast:
    """One board with an owner, editor, reviewer and viewer (all team members, so they may
    create boards in its team) and a stranger who belongs to another team."""
    owner, editor, reviewer, viewer, stranger = (
        factories.make_user(name) for name in ("olivia", "eddie", "rita", "vera", "stan")
    )
    team = factories.make_team("Studio", members=[owner, editor, reviewer, viewer])
    factories.make_team("Elsewhere", members=[stranger])
    board = factories.make_board(
        team, "Autumn launch", owner=owner, editor=editor, reviewer=reviewer, viewer=viewer
    )
    return Cast(owner, editor, reviewer, viewer, stranger, team, board)


@pytest.fixture
def login(client):
    """Log ``user`` in on the test client and return the client."""

    def do(user):
        client.force_login(user)
        return client

    return do
