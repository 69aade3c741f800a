"""The Redis broker transport the Celery workers use: kombu's, made to survive broker loss.

With kombu 5.7.0 / Celery 5.7.0 (the newest releases; no fixed version exists), a busy
worker exits when Redis goes away: ``Unrecoverable error: AttributeError("'NoneType' object
has no attribute 'hostname'")``, and without a supervisor its jobs wait forever. How it
happens (reproduced in tests/topology/test_broker_transport.py):

1. a worker has unacknowledged messages (prefetched, not yet started) and a BRPOP in
   flight for more (it has room under its prefetch limit);
2. Redis dies; the error is first noticed on another socket (the control channel's
   pub/sub), so on connection loss Celery's ``Connection.collect()`` closes the task
   channel while its BRPOP is still pending: reading that reply raises, the close stops
   half-way — before the unacknowledged messages were restored — and ``collect`` then
   detaches the transport (``transport.client = None``);
3. Celery closes the connection once more; the half-closed channel now tries to restore
   its unacknowledged messages (or, later, a task acknowledges its message on it), kombu
   looks up the broker's address on the detached transport, and the AttributeError
   escapes Celery's error handling.

Anchorboard's messages are wake-ups and the database is the source of truth
(anchorboard.celery_app), so the workaround is to let go of what cannot be done on a dead
connection instead of crashing:

- unacknowledged messages are not restored when a channel closes: they stay in Redis's
  unacked set (if Redis kept them) and Redis hands them out again after the visibility
  timeout, where they are harmless; if Redis lost them, the sweepers announce every
  claimable job anyway;
- acknowledging or rejecting a message whose channel's connection is gone only forgets
  it locally (the broker may deliver it again: same as above).

Selected by ``broker_transport`` in anchorboard.celery_app; the URL stays ``redis://``.
Remove this module once kombu survives the sequence above (the test says when).
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis, virtual


class QoS(redis.QoS):
    """kombu's Redis QoS, minus the broker calls a dead connection cannot make."""

    # Restoring at close is what crashes on a half-closed channel; our messages are
    # wake-ups that Redis redelivers after the visibility timeout anyway.
    restore_at_shutdown = False

    def _connection_gone(self) -> bool:
        transport = self.channel.connection
        return transport is None or transport.client is None

    def ack(self, delivery_tag: Any) -> None:
        if self._connection_gone():
            virtual.QoS.ack(self, delivery_tag)  # forget it here; the broker may resend it
            return
        super().ack(delivery_tag)

    def reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        if self._connection_gone():
            virtual.QoS.ack(self, delivery_tag)
            return
        super().reject(delivery_tag, requeue=requeue)


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
