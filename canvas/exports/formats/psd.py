"""Layered PSD of a frame (assets.exports.psd.write_psd): canvas = the frame, one pixel
layer per visible-or-hidden image item overlapping it in the board's paint order
(canvas.compositing: ``z``, then creation), anchors in a hidden group, and the server's
own composite of the frame stored as the flattened image.

Each layer is the item rendered alone by canvas.compositing (rotation and scale baked in,
opacity left to the layer) over its own bounds, placed at its offset on the frame. A result
layer is named "Result N · job xxxxxxxx · engine". Options: ``depth`` 8 (default) or 16.
"""

from __future__ import annotations

import math
from typing import Any, BinaryIO

from assets.exports.psd import PsdError, PsdLayer, write_psd
from canvas import compositing
from canvas.exports.formats import sources
from canvas.exports.kinds import InvalidExport, ProgressFn, Written
from canvas.exports.models import Export
from canvas.models import Item, ItemKind, Iteration


def _depth(options: dict[str, Any]) -> int:
    depth = options.get("depth", 8)
    if depth not in (8, 16) or isinstance(depth, bool):
        raise InvalidExport("depth must be 8 or 16 (bits per channel).")
    return int(depth)


def layer_items(board: Any, frame: Item) -> list[Item]:
    region = sources.region_of(frame)
    rows = (
        Item.objects.filter(board=board, deleted=False, kind=ItemKind.IMAGE, asset__isnull=False)
        .select_related("asset__blob")
        .order_by("z", "created_at")
    )
    return [
        row
        for row in rows
        if compositing.overlaps(
            compositing.item_bounds(row.x, row.y, row.width, row.height, row.rotation), region
        )
    ]


def _layer(item: Item, frame: Item, name: str) -> PsdLayer:
    left, top, right, bottom = compositing.item_bounds(
        item.x, item.y, item.width, item.height, item.rotation
    )
    box = compositing.Region(
        math.floor(left), math.floor(top), math.ceil(right) - math.floor(left),
        math.ceil(bottom) - math.floor(top),
    )  # fmt: skip
    assert item.asset is not None
    alone = compositing.CompositeItem(
        image=compositing.open_original(item.asset.blob),
        x=item.x, y=item.y, width=item.width, height=item.height, rotation=item.rotation,
    )  # fmt: skip
    pixels = compositing.composite([alone], box)
    return PsdLayer(
        name=name,
        pixels=pixels,
        left=int(box.x - math.floor(frame.x)),
        top=int(box.y - math.floor(frame.y)),
        opacity=item.opacity,
        visible=not item.hidden,
    )


class PsdKind:
    name = "psd"

    def check(self, board: Any, selection: dict[str, Any], options: dict[str, Any]) -> None:
        _depth(options)
        if "frame" not in selection:
            raise InvalidExport("A layered PSD is made of a frame: select a frame to export.")
        frame = sources.frame_of(board, selection["frame"])
        sources.check_frame_size(frame)
        if not layer_items(board, frame):
            raise InvalidExport("The frame holds no images to put in layers.")

    def write(self, export: Export, out: BinaryIO, progress: ProgressFn) -> Written:
        board = export.board
        frame = sources.frame_of(board, export.selection["frame"])
        items = layer_items(board, frame)
        results = {
            it.asset_id: it
            for it in Iteration.objects.filter(
                asset_id__in=[i.asset_id for i in items]
            ).select_related("job")
        }
        layers: list[PsdLayer] = []
        anchors: list[PsdLayer] = []
        for number, item in enumerate(items, start=1):
            progress(0.05 + 0.7 * number / len(items), f"Layer {number} of {len(items)}")
            result = results.get(item.asset_id) if item.asset_id else None
            if result is not None:
                job = str(result.job_id)[:8]
                name = f"Result {result.index + 1} · job {job} · {result.job.engine}"
            else:
                name = item.name or f"Layer {number}"
            layer = _layer(item, frame, name)
            (anchors if item.anchor_role else layers).append(layer)
        progress(0.8, "Compositing the frame")
        flat = sources.frame_composite(board, frame)
        try:
            write_psd(
                out,
                size=flat.size,
                layers=layers,
                composite=flat,
                anchors=anchors,
                depth=16 if _depth(export.options) == 16 else 8,
            )
        except PsdError as exc:
            raise InvalidExport(str(exc)) from None
        name = sources.stem(board.name, frame.name or "frame", f"{flat.width}x{flat.height}")
        return Written(file_name=f"{name}.psd", mime_type="image/vnd.adobe.photoshop")


PSD = PsdKind()
