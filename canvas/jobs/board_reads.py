"""What validating a job spec reads from its board, read once for any number of jobs.

canvas.jobs.queue.normalise_spec needs the board's live image items (anchors must be
ones, the layer snapshot is the visible ones under the region), whether a mask asset is
the board's, and the board's brand kit. One job reads each once; a batch of 500 jobs over
one board passes one ``BoardReads`` to all of them, so it reads the items and the kit once
and each target's layer snapshot once (canvas.batches.runs).

Reads only; it writes nothing and keeps nothing beyond its own lifetime (make a new one per
request: the board changes).
"""

from __future__ import annotations

from typing import Any

from assets.models import Asset
from canvas.compositing import Region, board_images, item_bounds, overlaps
from canvas.governance.kits.enforcement import BoardKit, board_kit_now
from canvas.models import Board, Item

_UNREAD = object()


class BoardReads:
    def __init__(self, board: Board) -> None:
        self.board = board
        self._items: list[Item] | None = None
        self._by_id: dict[str, Item] = {}
        self._layers: dict[tuple[float, ...], list[dict[str, Any]]] = {}
        self._masks: dict[str, bool] = {}
        self._kit: Any = _UNREAD

    def image_items(self) -> list[Item]:
        """The board's live image items with an asset, bottom to top (one query:
        canvas.compositing.board_images, the one read of what a board draws)."""
        if self._items is None:
            self._items = board_images(self.board)
            self._by_id = {str(item.pk): item for item in self._items}
        return self._items

    def image_item(self, item_id: Any) -> Item | None:
        self.image_items()
        return self._by_id.get(str(item_id))

    def layers(self, region: dict[str, float]) -> list[dict[str, Any]]:
        """The visible image layers intersecting ``region``, bottom to top, as they are now.

        The job composites from this snapshot, not from the live board, so later edits do
        not change what a queued job works on. Each job gets its own copy.
        """
        key = (region["x"], region["y"], region["width"], region["height"])
        if key not in self._layers:
            self._layers[key] = _snapshot(self.image_items(), region)
        return [dict(layer) for layer in self._layers[key]]

    def is_board_asset(self, asset_id: Any) -> bool:
        key = str(asset_id)
        if key not in self._masks:
            self._masks[key] = Asset.objects.filter(pk=asset_id, board=self.board).exists()
        return self._masks[key]

    def kit(self) -> BoardKit | None:
        if self._kit is _UNREAD:
            self._kit = board_kit_now(self.board)
        return self._kit


def _snapshot(items: list[Item], region: dict[str, float]) -> list[dict[str, Any]]:
    """The visible ones of ``items`` (paint order) that overlap ``region``, as layers."""
    box = Region(region["x"], region["y"], region["width"], region["height"])
    return [
        {"item_id": str(item.id), "asset_id": str(item.asset_id), **item.placement()}
        for item in items
        if not item.hidden
        and item.opacity > 0
        and overlaps(item_bounds(item.x, item.y, item.width, item.height, item.rotation), box)
    ]
