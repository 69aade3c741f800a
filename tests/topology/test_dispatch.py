"""With the Celery dispatcher, a broker that is down never turns a saved change into an
error: the send is logged and given up quickly (the workers' sweeper finds the job)."""

from __future__ import annotations

import logging
import socket

from anchorboard.background import dispatch_now


class _Records(logging.Handler):
    """Collects records on the logger itself, whatever other tests did to propagation."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_an_unreachable_broker_is_logged_not_raised(settings, monkeypatch):
    from anchorboard.celery_app import app

    # A port that is bound but never listens: connections are refused, and no other test
    # (several start their own servers) can take it while this one runs.
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    logger = logging.getLogger("anchorboard.background")
    records = _Records()
    logger.addHandler(records)
    was_disabled, logger.disabled = logger.disabled, False  # a dictConfig elsewhere may disable it
    settings.ANCHORBOARD_DISPATCHER = "celery"
    monkeypatch.setitem(app.conf, "broker_url", f"redis://127.0.0.1:{port}/0")
    app.close()  # drop pooled connections made with another broker URL
    try:
        dispatch_now("canvas.jobs.wake")  # must not raise
    finally:
        app.close()  # no pooled connection to the dead port outlives this test
        logger.removeHandler(records)
        logger.disabled = was_disabled
        closed.close()
    assert any("could not send task canvas.jobs.wake" in m for m in records.messages), (
        records.messages
    )
