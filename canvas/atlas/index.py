"""The atlas index a client reads: the sheets' URLs and, per asset, where its thumbnail is.

``{"cell": 64, "complete": bool, "sheets": [{"url", "width", "height"}],
"assets": {asset id: [sheet, x, y, width, height]}}``. ``complete`` is false while a
rebuild is pending: the client then draws what is there and asks again later. A guest's
index holds only the sheets whose every image the link shows: a sheet is one file, so a
sheet with one image the guest may not see is left out whole (its images load one by one
through the guest's file routes instead).

Callers have checked who may read it (canvas.library.views, canvas.sharing.views).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection
from typing import Any

from assets import atlas as pixels
from canvas.atlas import collection
from canvas.models import BoardAtlas

SheetUrl = Callable[[str], str]


def board_sheets(board_id: Any) -> tuple[list[dict[str, Any]], bool]:
    """The board's sheets and whether they are up to date."""
    row = BoardAtlas.objects.filter(pk=board_id).first()
    if row is None:
        return [], False
    return list(row.sheets), row.done >= row.requested


def sheet_belongs(board_id: Any, digest: str, allowed: Collection[str] | None = None) -> bool:
    """Whether ``digest`` is one of the board's current sheets (and, for a guest, shows
    only ``allowed`` assets): foreign digests get the same 404 as unknown ones. A member
    also gets a sheet the board let go of less than the grace period ago (a page that read
    the old index asks for it); a guest, whose index is filtered by cells, only current
    ones."""
    if allowed is None and collection.serves(board_id, digest):
        return True
    sheets, _ = board_sheets(board_id)
    return any(sheet["digest"] == digest and _shows_only(sheet, allowed) for sheet in sheets)


def _shows_only(sheet: dict[str, Any], allowed: Collection[str] | None) -> bool:
    return allowed is None or all(a is None or a in allowed for a in sheet["cells"])


def index_payload(
    board_id: Any, sheet_url: SheetUrl, allowed: Collection[str] | None = None
) -> dict[str, Any]:
    """The index for a member (``allowed`` None) or a guest (the asset ids the link shows)."""
    sheets, complete = board_sheets(board_id)
    out_sheets: list[dict[str, Any]] = []
    assets: dict[str, list[int]] = {}
    for sheet in sheets:
        if not _shows_only(sheet, allowed):
            continue
        number = len(out_sheets)
        out_sheets.append(
            {"url": sheet_url(sheet["digest"]), "width": sheet["width"], "height": sheet["height"]}
        )
        for asset_id, rect in zip(sheet["cells"], sheet["rects"], strict=True):
            if asset_id is not None and rect is not None:
                assets[asset_id] = [number, *rect]
    return {"cell": pixels.CELL, "complete": complete, "sheets": out_sheets, "assets": assets}


def encode(payload: dict[str, Any]) -> tuple[bytes, str]:
    """The index as JSON bytes and its ETag (a digest of those bytes)."""
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return body, f'"atlas-{hashlib.sha256(body).hexdigest()[:32]}"'
