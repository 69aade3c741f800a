"""Which of a board's images go in which atlas sheet, and the pass that keeps the sheets in
step with the board.

The atlas holds every asset that a live, shown image item of the board draws (an asset
used by several items is in it once). Cells are sticky: an asset keeps its sheet and cell
as long as it is on the board, so a change re-renders only the sheets whose cells changed:

- an asset that left the board (its last item deleted or hidden, or given another asset)
  empties its cell: that sheet is re-rendered;
- a new asset fills the first empty cell (holes first, then the last sheet, then a new
  sheet): that sheet is re-rendered;
- moves, resizes, renames, z-order and every other edit change nothing here.

Passes are coalesced per board (as re-scoring does, canvas.governance.rescore): a pass
holds a lease on the board's ``BoardAtlas`` row; a task that finds it held returns at
once, and the pass that holds it loops once more if requests arrived meanwhile, so a burst
of edits (an upload of 500 images) costs the pass in progress plus one.

Sheets no board uses any more are deleted a grace period later (canvas.atlas.collection):
a pass touches every sheet it writes or reuses first, records the board's uses with its
new sheets, and sweeps the due ones when it ends. Pixels are assets.atlas's job;
permissions are the edges' (canvas.library.views, canvas.sharing.views). Nothing here
sends messages: clients re-read the index.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from assets import atlas as pixels
from assets.models import Asset, Blob
from canvas.atlas import collection
from canvas.models import BoardAtlas, live_images

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # a crashed pass's board is free again after this


def drawn_assets(board_id: Any) -> dict[str, Blob]:
    """The assets the board's shown image items draw, by id, in paint order (the order
    new ones are given cells, so neighbours on the board tend to share a sheet)."""
    ids = list(
        dict.fromkeys(
            str(asset_id)
            for asset_id in live_images(board_id)
            .filter(hidden=False)
            .order_by("z", "id")
            .values_list("asset_id", flat=True)
        )
    )
    blobs = {
        str(asset.pk): asset.blob
        for asset in Asset.objects.filter(pk__in=ids).select_related("blob")
    }
    return {asset_id: blobs[asset_id] for asset_id in ids if asset_id in blobs}


def plan(
    sheets: list[dict[str, Any]], wanted: dict[str, Blob]
) -> tuple[list[list[str | None]], set[int]]:
    """New cell lists for ``sheets`` holding exactly ``wanted``, and the indexes of the
    sheets whose cells changed. Pure: the layout rule of the module docstring."""
    cells = [list(sheet["cells"]) for sheet in sheets]
    dirty: set[int] = set()
    placed: set[str] = set()
    for s, sheet_cells in enumerate(cells):
        for c, asset_id in enumerate(sheet_cells):
            if asset_id is None:
                continue
            if asset_id not in wanted or asset_id in placed:
                sheet_cells[c] = None
                dirty.add(s)
            else:
                placed.add(asset_id)
    fresh = [asset_id for asset_id in wanted if asset_id not in placed]
    holes = (
        (s, c)
        for s, sheet_cells in enumerate(cells)
        for c, asset_id in enumerate(sheet_cells)
        if asset_id is None
    )
    for asset_id in fresh:
        spot = next(holes, None)
        if spot is not None:
            cells[spot[0]][spot[1]] = asset_id
            dirty.add(spot[0])
            continue
        if not cells or len(cells[-1]) >= pixels.CELLS_PER_SHEET:
            cells.append([])
        cells[-1].append(asset_id)
        dirty.add(len(cells) - 1)
    for s, sheet_cells in enumerate(cells):
        while sheet_cells and sheet_cells[-1] is None:
            sheet_cells.pop()
            dirty.add(s)
    return cells, dirty


def rebuild_once(board_id: Any) -> int:
    """Bring the board's sheets in step with its images; returns the sheets rendered."""
    row = BoardAtlas.objects.filter(pk=board_id).first()
    sheets: list[dict[str, Any]] = list(row.sheets) if row else []
    wanted = drawn_assets(board_id)
    cells, dirty = plan(sheets, wanted)
    built: list[dict[str, Any]] = []
    rendered = 0
    for s, sheet_cells in enumerate(cells):
        if not any(sheet_cells):
            continue  # an emptied sheet is dropped; later sheets keep their cells
        if s not in dirty and s < len(sheets):
            built.append(sheets[s])
            continue
        blobs = [wanted[a] if a else None for a in sheet_cells]
        collection.touch(pixels.sheet_digest(blobs))  # before build_sheet looks in storage
        sheet = pixels.build_sheet(blobs)
        rendered += 1
        built.append(
            {
                "digest": sheet.digest,
                "width": sheet.width,
                "height": sheet.height,
                "cells": sheet_cells,
                "rects": [list(rect) if rect else None for rect in sheet.rects],
            }
        )
    with transaction.atomic():
        if BoardAtlas.objects.filter(pk=board_id).update(sheets=built, updated_at=timezone.now()):
            collection.record_uses(board_id, (sheet["digest"] for sheet in built))
    return rendered


def _claim(board_id: Any) -> bool:
    now = timezone.now()
    free = Q(running_until__isnull=True) | Q(running_until__lt=now)
    return (
        BoardAtlas.objects.filter(pk=board_id, requested__gt=F("done"))
        .filter(free)
        .update(running_until=now + LEASE)
        == 1
    )


def rebuild(board_id: Any) -> int:
    """Run passes until no request is pending; returns the passes run here (0: nothing
    pending, or another pass holds the board and will cover this request)."""
    if not _claim(board_id):
        return 0
    passes = 0
    try:
        while True:
            generation = (
                BoardAtlas.objects.filter(pk=board_id).values_list("requested", flat=True).first()
            )
            if generation is None:
                return passes
            rebuild_once(board_id)
            passes += 1
            BoardAtlas.objects.filter(pk=board_id).update(done=generation)
            if BoardAtlas.objects.filter(pk=board_id, requested=generation).update(
                running_until=None
            ):
                break
    except BaseException:
        BoardAtlas.objects.filter(pk=board_id).update(running_until=None)
        raise
    _sweep()
    return passes


def _sweep() -> None:
    """Sheets let go of a grace period ago (by this board's earlier passes or any other)
    are deleted now; a failure is left to the next sweep (worker upkeep runs it too)."""
    try:
        collection.collect_due()
    except Exception:
        logger.exception("atlas sheet sweep failed")
