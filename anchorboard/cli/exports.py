"""``anchorboard export``: ask for an export, follow it, download the file.

``POST /boards/{id}/exports`` with the kind and the selection (docs/exports.md "Asking for
an export"), then ``GET /exports/{id}`` until the export is ``ready`` or ``failed``; a
ready export carries a ``download_url`` signed for the caller (a server path, not under
/api/v1/), streamed to disk by ``Client.download``. The server checks the request; here
only what the command line itself parses (``--option name=value``) is checked.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from anchorboard.cli.client import Client

# Every other state (ready, failed, and any the server adds later) ends the wait.
WAITING = ("queued", "running")


class OptionError(ValueError):
    pass


def parse_options(pairs: list[str]) -> dict[str, Any]:
    """``["scale=0.5", "sidecars=false", "template={seed}"]`` → options; a value is read as
    JSON when it is JSON (numbers, booleans), else kept as text."""
    options: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise OptionError(f"“{pair}” is not an export option; write name=value.")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        options[name.strip()] = value
    return options


def export_request(
    kind: str,
    *,
    frame: str | None,
    items: list[str],
    batch: str | None = None,
    job: str | None = None,
    options: dict[str, Any],
) -> dict[str, Any]:
    """The request body; the selection is a frame, items, a batch or a job (its region's
    history, PSD only); the server refuses two of them or none with its own sentence, so
    the command does not guess."""
    body: dict[str, Any] = {"kind": kind, "options": options}
    if frame:
        body["frame"] = frame
    if items:
        body["items"] = items
    if batch:
        body["batch"] = batch
    if job:
        body["job"] = job
    return body


def wait_for_export(
    client: Client,
    export_id: str,
    interval: float,
    on_change: Callable[[dict[str, Any]], None],
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll the export until it is ready or failed; ``on_change`` sees every reading."""
    while True:
        export = client.get(f"/exports/{export_id}")
        on_change(export)
        if export["state"] not in WAITING:
            return export
        sleep(interval)
