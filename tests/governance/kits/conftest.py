"""Fixtures for brand kit tests: a team with one person in each role, a board, a kit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from canvas.models import Role, TeamMembership, TeamRole
from tests import factories


@dataclass
class KitTeam:
    """A team with an admin, a kit manager, and members who are editor and viewer on
    ``board``; ``stranger`` belongs to another team."""

    team: Any
    board: Any
    people: dict[str, Any]


@pytest.fixture
def kit_team(db, media_root) -> KitTeam:
    people = {
        name: factories.make_user(name)
        for name in ("admin", "kit_manager", "editor", "viewer", "stranger")
    }
    team = factories.make_team("Studio", admin=people["admin"], default_board_role=Role.EDITOR)
    TeamMembership.objects.create(team=team, user=people["kit_manager"], role=TeamRole.KIT_MANAGER)
    TeamMembership.objects.create(team=team, user=people["editor"], role=TeamRole.MEMBER)
    TeamMembership.objects.create(team=team, user=people["viewer"], role=TeamRole.MEMBER)
    board = factories.make_board(team, "Spring shoot", viewer=people["viewer"])
    factories.make_team("Elsewhere", admin=people["stranger"])
    return KitTeam(team, board, people)


SPRING = {
    "palette": [{"name": "Petal", "hex": "#e8a0b4", "tolerance": 4}],
    "prompt_template": "{product} on a pastel set, {season} light, {prompt}",
    "negative_prompt": "text, watermark",
    "engine": "local",
    "settings": {"strength": 0.5},
    "locks": ["engine", "prompt"],
}


def add_petal(kit_team, kit):
    """A 20 × 20 petal-pink palette reference added to ``kit`` by its kit manager:
    (reference, new version)."""
    import io

    from canvas.governance.kits import services

    return services.add_reference(
        kit,
        kit_team.people["kit_manager"],
        io.BytesIO(factories.png_bytes((20, 20), (230, 160, 180))),
        "petal.png",
        "palette",
    )
