"""Fixtures for the atlas tests: a board with people, images placed through the board's
write path (as the editor places them), and sheets of four cells so a few images make
several sheets."""

from __future__ import annotations

import pytest
from django.test import TestCase

from assets import atlas as pixels
from assets.services import ingest_bytes
from canvas.boards.operations import apply_batch
from tests import factories
from tests.wsclient import create, parse_ops


@pytest.fixture
def people(db, media_root):
    """owner, viewer and stranger (no role) around one board."""
    owner = factories.make_user("owner")
    viewer = factories.make_user("viewer")
    stranger = factories.make_user("stranger")
    board = factories.make_board(name="Wall", owner=owner, viewer=viewer)
    return {"owner": owner, "viewer": viewer, "stranger": stranger, "board": board}


@pytest.fixture
def small_sheets(monkeypatch):
    """Sheets of 2 × 2 cells: six images make two sheets."""
    monkeypatch.setattr(pixels, "COLUMNS", 2)
    monkeypatch.setattr(pixels, "CELLS_PER_SHEET", 4)


def edit(board, user, *ops) -> None:
    """Apply operations as the board socket does, running the after-commit tasks."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        apply_batch(board.pk, user, parse_ops(list(ops)))


@pytest.fixture
def place(people):
    """place(n, **fields) -> the create ops' item ids: n new images on the board."""

    def _place(count: int, start: int = 0, **fields) -> list[str]:
        board, owner = people["board"], people["owner"]
        ops = []
        for i in range(start, start + count):
            color = (40 + (i * 37) % 200, 200 - (i * 23) % 160, (i * 71) % 255)
            asset = ingest_bytes(board, owner, factories.png_bytes((80, 60), color), f"{i}.png")
            ops.append(
                create("image", asset=asset, x=i * 100, y=0, width=80, height=60, z=i, **fields)
            )
        edit(board, owner, *ops)
        return [op["item"]["id"] for op in ops]

    return _place
