"""The shapes in which assets leave the server: on the canvas and in the API.

``canvas_asset`` is ``ItemData.asset`` of docs/protocol.md; ``asset_payload`` is the API's
asset object. Both are imported by the API and realtime code, so their names and keys are
a contract: add keys freely, never rename or remove one. No permission checks here; the
caller has already decided the viewer may see the asset.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from assets.models import Asset


def original_url(asset: Asset) -> str:
    return reverse("asset-original", args=[asset.pk, asset.blob_id])


def level_url_template(asset: Asset) -> str:
    """URL with a literal ``{level}`` placeholder, filled in by the client."""
    return original_url(asset).rsplit("/", 1)[0] + "/{level}.webp"


def level_url(asset: Asset, level: int) -> str:
    return reverse("asset-level", args=[asset.pk, asset.blob_id, int(level)])


def canvas_asset(
    asset: Asset, *, original: str | None = None, levels: str | None = None
) -> dict[str, Any]:
    """``ItemData.asset`` for the websocket protocol (docs/protocol.md).

    ``original`` and ``levels`` (a URL template with ``{level}``) replace the members' file
    URLs for callers that serve the files elsewhere (share-link guests)."""
    blob = asset.blob
    return {
        "id": str(asset.pk),
        "sha256": blob.sha256,
        "width": blob.width,
        "height": blob.height,
        "levels": list(blob.derivative_levels or []),
        "original_url": original if original is not None else original_url(asset),
        "level_url": levels if levels is not None else level_url_template(asset),
    }


def asset_payload(asset: Asset) -> dict[str, Any]:
    """The API's asset object: the canvas fields plus the facts recorded at upload."""
    blob = asset.blob
    levels = list(blob.derivative_levels or [])
    return {
        **canvas_asset(asset),
        "board": str(asset.board_id),
        "filename": asset.filename,
        "format": blob.format,
        "mime_type": blob.mime_type,
        "mode": blob.mode,
        "bit_depth": blob.bit_depth,
        "has_alpha": blob.has_alpha,
        "frame_count": blob.frame_count,
        "exif_orientation": blob.exif_orientation,
        "icc_description": blob.icc_description,
        "size_bytes": blob.size_bytes,
        "derivative_state": blob.derivative_state,
        "source": asset.source,
        "created_at": asset.created_at.isoformat() if asset.created_at else None,
        "derivatives": {str(level): level_url(asset, level) for level in levels},
    }
