"""Idle board sockets stay open on the Redis channel layer.

channels-redis waits for messages with a blocking pop (``brpop_timeout``, 5 s). When the
Redis socket timeout was not longer than that pop, the read gave up first, the layer's
``receive`` raised ``TimeoutError`` and Daphne closed the idle socket with 1011 every few
seconds. The first tests prove the timeout relationship quickly; the slow one keeps real
sockets idle for a minute.
"""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels_redis.core import RedisChannelLayer

from tests import factories
from tests.wsclient import open_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


def test_the_socket_timeout_outlasts_the_layers_blocking_pop(redis_layer):
    layer = RedisChannelLayer(**redis_layer)
    options = layer.create_pool(0).connection_kwargs
    assert options["socket_timeout"] >= 2 * layer.brpop_timeout


async def test_a_receive_outlasts_a_whole_empty_blocking_pop(redis_layer):
    """One full blocking pop on an empty channel ends quietly; the message after it arrives."""
    layer = RedisChannelLayer(**redis_layer)
    channel = await layer.new_channel()
    try:
        receiving = asyncio.ensure_future(layer.receive(channel))
        # Nothing to wait *for*: the subject is one blocking pop expiring with no message.
        done, _ = await asyncio.wait({receiving}, timeout=layer.brpop_timeout + 1.5)
        assert not done, receiving.exception()  # a TimeoutError would have ended it
        await layer.send(channel, {"type": "hello"})
        assert (await asyncio.wait_for(receiving, 10))["type"] == "hello"
    finally:
        await layer.flush()
        await layer.close_pools()


@pytest.mark.slow
async def test_idle_board_sockets_stay_open_for_a_minute(redis_layer):
    owner = await database_sync_to_async(factories.make_user)("olive")
    board = await database_sync_to_async(factories.make_board)(owner=owner)
    sockets = []
    for _ in range(3):
        sock, welcome = await open_socket(board, owner)
        assert welcome["type"] == "welcome"
        assert (await sock.sync(None))["type"] == "snapshot"
        sockets.append(sock)
    # Idle on purpose: a minute spans a dozen blocking pops of the layer.
    assert await sockets[0].comm.receive_nothing(timeout=60, interval=0.5)
    for sock in sockets:
        assert await sock.comm.receive_nothing(timeout=0)  # no close, no error
        await sock.send({"type": "ping"})
        assert (await sock.recv())["type"] == "pong"
        await sock.close()
    from channels.layers import get_channel_layer

    await get_channel_layer().close_pools()
