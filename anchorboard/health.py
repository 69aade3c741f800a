"""Operational endpoints for load balancers and orchestrators.

``/healthz`` says the process is alive and answers without touching anything else, so a
restart loop never starts because a dependency is down. ``/readyz`` checks every dependency
this deployment uses (database, channel layer, file storage and, with the Celery dispatcher,
the broker) and names the ones that fail, so traffic is routed elsewhere until they recover.

Neither endpoint needs a login or returns anything secret: failures are reported by the
exception class only, because messages can contain host names or credentials.
This module must not change data: every probe is read-only or cleans up after itself.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse

from foundation import config, knobs

logger = logging.getLogger(__name__)

# A probe must answer well inside a load balancer's own timeout (typically 5-10 s).
PROBE_TIMEOUT_SECONDS = 3.0


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def _round_trip_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    # A fresh process-specific channel: concurrent probes (or other replicas) can never
    # steal each other's message and leave a probe waiting forever.
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "readyz.probe"})
    await layer.receive(channel)


def check_channel_layer() -> None:
    async def bounded() -> None:
        await asyncio.wait_for(_round_trip_channel_layer(), PROBE_TIMEOUT_SECONDS)

    async_to_sync(bounded)()


def check_storage() -> None:
    storage = default_storage
    if isinstance(storage, FileSystemStorage):
        # exists() on a local folder never fails, even when uploads would: check that the
        # media folder can be created and written by this process.
        location = str(storage.location)
        os.makedirs(location, exist_ok=True)
        if not os.access(location, os.W_OK):
            raise PermissionError(f"media folder {location} is not writable")
    # For object storage this is one authenticated request: bucket, endpoint and
    # credentials are all exercised.
    storage.exists("readyz-probe")


def check_celery_broker() -> None:
    # Imported here: only a Celery deployment loads Celery.
    from anchorboard.celery_app import app

    with app.connection_for_write(
        settings.CELERY_BROKER_URL, connect_timeout=PROBE_TIMEOUT_SECONDS
    ) as conn:
        conn.ensure_connection(max_retries=1, timeout=PROBE_TIMEOUT_SECONDS)


def readiness_checks() -> dict[str, Callable[[], None]]:
    """The dependencies of this deployment, by the name readyz reports them under."""
    checks: dict[str, Callable[[], None]] = {
        "database": check_database,
        "channel_layer": check_channel_layer,
        "storage": check_storage,
    }
    if config.read(knobs.DISPATCHER) == "celery":
        checks["celery_broker"] = check_celery_broker
    return checks


def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    failing: list[str] = []
    for name, check in readiness_checks().items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # each failure is reported, none is fatal to the probe
            logger.warning("readyz: %s failed: %s: %s", name, exc.__class__.__name__, exc)
            results[name] = f"failed: {exc.__class__.__name__}"
            failing.append(name)
    body: dict[str, object] = {
        "status": "unavailable" if failing else "ok",
        "checks": results,
    }
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)
