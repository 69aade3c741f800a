"""With the Celery dispatcher, a broker that is down never turns a saved change into an
error: the send is logged and given up quickly (the workers' sweeper finds the job)."""

from __future__ import annotations

import logging

from anchorboard.background import dispatch_now
from tests.topology.harness import free_port


def test_an_unreachable_broker_is_logged_not_raised(settings, monkeypatch, caplog):
    from anchorboard.celery_app import app

    settings.ANCHORBOARD_DISPATCHER = "celery"
    monkeypatch.setitem(app.conf, "broker_url", f"redis://127.0.0.1:{free_port()}/0")
    app.close()  # drop pooled connections made with another broker URL
    try:
        with caplog.at_level(logging.WARNING, logger="anchorboard.background"):
            dispatch_now("canvas.jobs.wake")  # nothing listens on that port
    finally:
        app.close()  # no pooled connection to the dead port outlives this test
    assert "could not send task canvas.jobs.wake" in caplog.text
