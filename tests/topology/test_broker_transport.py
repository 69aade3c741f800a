"""The broker-loss crash of busy Celery workers, step by step at the kombu level, and the
transport that survives it (anchorboard/broker.py).

A private redis-server on a free port is killed under a connection laid out like a
Celery worker's — the task consumer on the default channel holding unacknowledged
messages with a BRPOP in flight (a busy worker with room under its prefetch limit), and a
control channel consuming a fanout queue — then the connection is cleaned up the way
Celery does it on connection loss (``collect``, then ``close``). Fast (no Celery, no
Django).
"""

from __future__ import annotations

import shutil
import signal
import subprocess

import pytest
from kombu import Connection, Exchange, Queue

from tests.conftest import missing_service
from tests.topology.harness import free_port, port_open, wait_until

pytestmark = [pytest.mark.redis]

STOCK = "redis"
OURS = "anchorboard.broker:Transport"


@pytest.fixture
def redis_server():
    """Start a private redis-server; yields (url, kill)."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing_service("redis-server", "Install it (apt install redis-server).")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: port_open(port), timeout=20, what="redis-server")

        def kill() -> None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)

        yield f"redis://127.0.0.1:{port}/0", kill
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _busy_worker_connection(url: str, transport: str):
    """Tasks on the default channel (unacknowledged messages, a BRPOP in flight for
    more) and a control channel on a fanout queue, like a Celery worker's connection."""
    conn = Connection(url, transport=transport)
    tasks = Queue("wake-ups")
    with conn.Producer() as producer:
        for n in range(3):
            producer.publish({"n": n}, routing_key="wake-ups", declare=[tasks])
    delivered: list = []
    channel = conn.default_channel  # Celery's task consumer uses the default channel
    consumer = conn.Consumer(
        [tasks], channel=channel, callbacks=[lambda body, msg: delivered.append(msg)]
    )
    consumer.qos(prefetch_count=3)
    consumer.consume()
    control = conn.channel()  # like Celery's pidbox: a fanout queue deleted on close
    broadcast = Queue(f"control-{id(conn)}", Exchange("control", type="fanout"), auto_delete=True)
    conn.Consumer([broadcast], channel=control, callbacks=[lambda body, msg: None]).consume()
    assert control.client is not None  # connected (its close will talk to Redis)
    wait_until(
        lambda: conn.drain_events(timeout=1) or delivered,
        timeout=20,
        what="a delivery",
    )
    channel._brpop_start()  # what the worker's event loop does while it has room for more
    assert channel._in_poll and channel.qos._delivered
    return conn, channel, delivered


def _lose_broker_like_celery(conn, kill) -> None:
    kill()
    conn.collect(socket_timeout=1)  # Consumer.on_connection_error_after_connected …
    conn.close()  # … then it closes the connection it had


def test_stock_kombu_crashes_on_a_lost_broker_this_guards_the_workaround(redis_server):
    """If this stops raising, kombu has fixed the bug: anchorboard/broker.py can go."""
    url, kill = redis_server
    conn, _channel, _delivered = _busy_worker_connection(url, STOCK)
    with pytest.raises(AttributeError, match="hostname"):
        _lose_broker_like_celery(conn, kill)


def test_our_transport_lets_go_of_what_a_dead_connection_cannot_do(redis_server):
    url, kill = redis_server
    conn, channel, delivered = _busy_worker_connection(url, OURS)
    _lose_broker_like_celery(conn, kill)  # no AttributeError
    # A task that started before the loss acknowledges its message afterwards.
    for message in delivered:
        message.ack()
    channel.close()
    assert channel.closed
