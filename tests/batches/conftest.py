"""Fixtures for batch tests: a board with an image under REGION, two anchor images, and
``batch(**fields)`` making a raw spec over REGION with the test engines."""

from __future__ import annotations

import pytest

from tests import factories
from tests.jobs import engines  # noqa: F401  (registers test-echo and test-gate)
from tests.jobs.conftest import REGION, add_image


@pytest.fixture
def owner(db):
    return factories.make_user("owner")


@pytest.fixture
def board(owner, media_root):
    """A board with an image under REGION and two more images to use as anchors."""
    board = factories.make_board(owner=owner)
    add_image(board, owner)
    board.anchor_items = [
        add_image(board, owner, x=500, y=500, z=2),
        add_image(board, owner, x=700, y=500, z=3),
    ]
    return board


def raw_batch(**fields):
    """A batch spec over REGION with the test-echo engine; ``fields`` override."""
    return {
        "name": "Hero variations",
        "prompt": "a {product} on {background}",
        "variables": {"product": ["sneaker", "boot"], "background": ["sand"]},
        "seeds": 2,
        "seed": 42,
        "engines": ["test-echo"],
        "targets": [{"region": REGION}],
        **fields,
    }


@pytest.fixture
def batch():
    return raw_batch


@pytest.fixture(autouse=True)
def trailing_sends(monkeypatch):
    """Batch progress sends that found the throttle closed, recorded instead of timed: the
    tests call ``progress.send_now`` themselves when they want the trailing send."""
    from canvas.batches import progress

    scheduled: list = []
    monkeypatch.setattr(progress, "_schedule", scheduled.append)
    return scheduled


@pytest.fixture
def sent(monkeypatch):
    """Every message the batches send to a board: (board id, message)."""
    from canvas.batches import progress

    messages: list = []
    monkeypatch.setattr(
        progress,
        "send_to_board_now",
        lambda board, message: messages.append((board, message)) or True,
    )
    return messages
