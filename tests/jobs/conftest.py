"""Fixtures for the job queue tests: a board with an image under a region, and submit()."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from canvas.models import Item, ItemKind
from canvas.realtime import board_group
from tests import factories
from tests.jobs import engines

REGION = {"x": 0, "y": 0, "width": 32, "height": 24}


@pytest.fixture
def job_settings(media_root, settings):
    """Empty storage, the queue settings these tests assume, and fresh test-engine gates:
    every job test's (autouse below), and the board tests' that run jobs
    (tests/boards/conftest.py)."""
    settings.ANCHORBOARD_JOB_MAX_ATTEMPTS = 3
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 2
    settings.ANCHORBOARD_ENGINE_CONCURRENCY = {}
    settings.ANCHORBOARD_JOB_RETRY_BASE_SECONDS = 5.0
    settings.ANCHORBOARD_JOB_PROGRESS_INTERVAL = 0.0
    engines.STARTED.clear()
    engines.GATE.clear()
    engines.CALLS.clear()
    yield
    engines.GATE.set()  # never leave a worker thread blocked


@pytest.fixture(autouse=True)
def _isolated(job_settings):
    """Every job test runs with ``job_settings``."""


@pytest.fixture
def owner():
    return factories.make_user("owner")


@pytest.fixture
def board(owner):
    return factories.make_board(owner=owner)


def add_image(board, user, *, x=0, y=0, width=64, height=48, color=(200, 40, 40), z=1):
    """An image item backed by a real stored asset."""
    from assets.services import ingest_bytes

    asset = ingest_bytes(
        board, user, factories.png_bytes((int(width), int(height)), color), "layer.png"
    )
    return Item.objects.create(
        board=board,
        kind=ItemKind.IMAGE,
        asset=asset,
        x=x,
        y=y,
        width=width,
        height=height,
        z=z,
        created_by=user,
    )


@pytest.fixture
def image_item(board, owner):
    return add_image(board, owner)


@pytest.fixture
def submit(board, owner, image_item):
    """submit(engine="test-echo", user=owner, **spec) -> Job, with the region over the image."""
    from canvas.jobs.queue import submit_job

    def _submit(engine="test-echo", user=None, target=None, **spec):
        spec = {"mode": "img2img", "engine": engine, "region": REGION, "seed": 7, **spec}
        return submit_job(target or board, user or owner, spec)

    return _submit


@pytest.fixture
def inbox(board):
    """What a client of the board receives (in-memory layer): ``inbox()`` drains it."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(board_group(board.pk), channel)

    def drain():
        messages = []
        while channel in layer.channels and not layer.channels[channel].empty():
            messages.append(async_to_sync(layer.receive)(channel)["message"])
        return messages

    return drain
