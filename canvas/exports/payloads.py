"""What an export looks like to clients (API, socket message, exports page) and to the
``export.ready`` webhook, built from the stored row. Reads only."""

from __future__ import annotations

from typing import Any

from canvas.exports.models import Export


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export_payload(export: Export, download_url: str | None = None) -> dict[str, Any]:
    error = (
        {"code": export.error_code, "message": export.error_message} if export.error_code else None
    )
    return {
        "id": str(export.pk),
        "board": str(export.board_id),
        "kind": export.kind,
        "state": export.state,
        "version": export.version,
        "progress": round(float(export.progress), 4),
        "progress_message": export.progress_message,
        "error": error,
        "file_name": export.file_name,
        "size": export.size,
        "requested_by": export.requested_by.get_username() if export.requested_by else None,
        "created_at": _iso(export.created_at),
        "finished_at": _iso(export.finished_at),
        "expires_at": _iso(export.expires_at),
        "download_url": download_url if export.downloadable() else None,
    }


def webhook_data(export: Export) -> dict[str, Any]:
    """``export.ready``: the export and its file (no link: a receiver reads the export with
    an API token, ``GET /api/v1/exports/{id}``, for a download link of its own)."""
    return {
        "export": {
            "id": str(export.pk),
            "board": str(export.board_id),
            "kind": export.kind,
            "selection": export.selection,
            "options": export.options,
            "requested_by": export.requested_by.get_username() if export.requested_by else None,
            "file_name": export.file_name,
            "mime_type": export.mime_type,
            "size": export.size,
            "sha256": export.sha256,
            "created_at": _iso(export.created_at),
            "finished_at": _iso(export.finished_at),
            "expires_at": _iso(export.expires_at),
        }
    }
