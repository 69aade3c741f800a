"""Fixtures of the board realtime tests."""

from __future__ import annotations

import uuid

import pytest
from channels.layers import channel_layers

from anchorboard.settings import redis_channel_layer


@pytest.fixture
def redis_layer(settings, redis_url):
    """Use channels-redis, configured as in production, in a key space of its own."""
    settings.CHANNEL_LAYERS = {
        "default": redis_channel_layer(redis_url, prefix=f"test-{uuid.uuid4().hex[:8]}")
    }
    channel_layers.backends.clear()
    yield settings.CHANNEL_LAYERS["default"]["CONFIG"]
    channel_layers.backends.clear()
