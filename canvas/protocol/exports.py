"""Exports as the board socket carries them: the ``export`` message, sent only to the
person who asked for the export (queued, progress, ready with a download link, failed).

The payload is built by canvas.exports.announce from the stored row; this module declares
its shape and wraps it in the message. It must not touch the database or the channel layer.
"""

from __future__ import annotations

from typing import Literal

from canvas.protocol.types import ProtocolModel, Wire


class ExportError(ProtocolModel):
    code: str
    message: str


class ExportData(ProtocolModel):
    id: str
    board: str
    kind: str
    """psd, png, tiff16, zip or pdf."""
    state: str
    """queued, running, ready or failed."""
    version: int
    """Grows with every change; keep the newest version seen."""
    progress: float
    progress_message: str
    error: ExportError | None
    file_name: str
    size: int | None
    requested_by: str | None
    created_at: str
    finished_at: str | None
    expires_at: str | None
    download_url: str | None
    """A signed link for the requester, set when ``ready``; it expires (re-read the export
    through the API for a fresh one)."""


class ExportMessage(ProtocolModel):
    """One of your exports changed; only its requester's sockets get it."""

    type: Literal["export"]
    export: ExportData


def export_message(export: Wire) -> Wire:
    return {"type": "export", "export": export}
