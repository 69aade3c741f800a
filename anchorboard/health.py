"""Operational endpoints for load balancers and orchestrators.

``/healthz`` says the process is alive and answers without touching anything else;
``/readyz`` checks every dependency this deployment uses and names the ones that fail.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    async_to_sync(layer.send)("readyz.probe", {"type": "readyz.probe"})
    # Drain what we sent so the probe leaves nothing behind.
    async_to_sync(layer.receive)("readyz.probe")


def _check_storage() -> None:
    default_storage.exists("readyz-probe")


def readyz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": _check_database,
        "channel_layer": _check_channel_layer,
        "storage": _check_storage,
    }
    results: dict[str, str] = {}
    ok = True
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # each failure is reported, none is fatal to the probe
            logger.warning("readyz: %s failed: %s", name, exc)
            results[name] = f"failed: {exc.__class__.__name__}"
            ok = False
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": results}, status=200 if ok else 503
    )
