"""Fixtures for governance tests: a board with anchors and a batch of constructed results."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from PIL import Image

from canvas.models import Item, ItemKind
from tests import factories
from tests.governance import images


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def add_asset(board, user, array: np.ndarray, name: str = "result.png"):
    from assets.services import ingest_bytes

    return ingest_bytes(board, user, png(array), name)


def add_anchor(board, user, array: np.ndarray, role: str) -> Item:
    asset = add_asset(board, user, array, f"{role}.png")
    return Item.objects.create(
        board=board, kind=ItemKind.IMAGE, asset=asset, anchor_role=role, width=64, height=64
    )


@dataclass
class Campaign:
    """A board whose anchors are a lit ball, ten consistent results and one lit from the
    other side (``drifted``)."""

    board: Any
    owner: Any
    users: dict[str, Any]
    consistent: list[Any] = field(default_factory=list)
    drifted: Any = None

    @property
    def asset_ids(self) -> list[str]:
        return [str(a.pk) for a in [*self.consistent, self.drifted]]


@pytest.fixture
def campaign(db, media_root) -> Campaign:
    owner = factories.make_user("owner")
    users = {
        role: factories.make_user(role) for role in ("editor", "reviewer", "viewer", "stranger")
    }
    board = factories.make_board(
        owner=owner, editor=users["editor"], reviewer=users["reviewer"], viewer=users["viewer"]
    )
    anchor = images.ball(size=128)
    for role in ("palette", "lighting", "composition"):
        add_anchor(board, owner, anchor, role)
    rng = np.random.default_rng(5)
    found = Campaign(board, owner, users)
    for number in range(10):
        centre = (0.5 + rng.uniform(-0.06, 0.06), 0.5 + rng.uniform(-0.06, 0.06))
        found.consistent.append(
            add_asset(board, owner, images.ball(centre=centre, size=128), f"ok-{number}.png")
        )
    mirrored = images.ball(light=(0.6, -0.5, 0.62), size=128)
    found.drifted = add_asset(board, owner, mirrored, "mirrored.png")
    return found
