"""Fixtures for the operations tests: two teams' boards, their people, one stored image;
the fake providers' fixtures (tests/providers/fixtures.py) for the recording tests."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from canvas.models import TeamMembership, TeamRole
from tests import factories
from tests.providers.fixtures import (  # noqa: F401 - re-exported as fixtures
    board,
    gemini_server,
    image_item,
    openai_server,
    owner,
    providers_fast,
    submit,
)


@pytest.fixture
def studio(db, media_root):
    """Team "Studio" (admin ``admin``, member ``member`` who has no board role), its boards
    ``one`` (owner ``admin``, viewer ``viewer``, who is not in the team) and ``two``; team
    "Elsewhere" with board ``other`` and its admin ``stranger``; one stored image."""
    from assets.services import ingest_bytes

    admin, member, viewer, stranger = (
        factories.make_user(name) for name in ("admin", "member", "viewer", "stranger")
    )
    team = factories.make_team("Studio", admin=admin)
    TeamMembership.objects.create(team=team, user=member, role=TeamRole.MEMBER)
    one = factories.make_board(team, "One", owner=admin, viewer=viewer)
    two = factories.make_board(team, "Two", owner=admin)
    elsewhere = factories.make_team("Elsewhere", admin=stranger)
    other = factories.make_board(elsewhere, "Other", owner=stranger)
    asset = ingest_bytes(one, admin, factories.png_bytes(), "result.png")
    return SimpleNamespace(
        team=team, elsewhere=elsewhere, one=one, two=two, other=other, asset=asset,
        admin=admin, member=member, viewer=viewer, stranger=stranger,
    )  # fmt: skip
