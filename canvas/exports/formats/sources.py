"""What the kinds read from a board: the selected image items, their originals with the
ICC profile they carry, a frame's region and composite, and neutral file names.

Reads only. Originals are opened from storage one at a time (a seekable file; on S3
django-storages downloads it to a temporary file past ``AWS_S3_MAX_MEMORY_SIZE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps

from assets import storage
from assets.exports.package import safe_stem
from canvas import compositing
from canvas.exports.kinds import InvalidExport
from canvas.models import Item, ItemKind
from foundation import config, knobs


@dataclass
class Original:
    image: Image.Image
    icc_profile: bytes | None


def image_items(board: Any, ids: list[str]) -> list[Item]:
    """The selection's live image items (with a file), in the order given."""
    rows = Item.objects.filter(
        board=board, deleted=False, pk__in=ids, kind=ItemKind.IMAGE, asset__isnull=False
    ).select_related("asset__blob")
    by_id = {str(row.pk): row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def frame_of(board: Any, frame_id: str) -> Item:
    frame = Item.objects.filter(
        board=board, pk=frame_id, deleted=False, kind=ItemKind.FRAME
    ).first()
    if frame is None:
        raise InvalidExport("The frame was deleted since the export was asked for.")
    return frame


def region_of(frame: Item) -> compositing.Region:
    return compositing.Region(frame.x, frame.y, frame.width, frame.height)


def check_frame_size(frame: Item) -> None:
    limit = config.read(knobs.MAX_IMAGE_PIXELS)
    width, height = region_of(frame).output_size(1.0)
    if width <= 0 or height <= 0:
        raise InvalidExport("The frame has no area to export.")
    if width * height > limit:
        raise InvalidExport(
            f"The frame would render at {width}×{height} pixels; this server renders up to "
            f"{limit / 1e6:.0f} MP. Export a smaller frame."
        )


def frame_composite(board: Any, frame: Item) -> Image.Image:
    return compositing.composite_board_region(board, region_of(frame))


def open_original(item: Item) -> Original:
    """The item's original as stored (its mode and depth kept, EXIF rotation applied) and
    the ICC profile it carries, for colour-managed writers."""
    assert item.asset is not None
    with storage.open_file(item.asset.blob.storage_key) as handle:
        opened = Image.open(handle)
        profile = opened.info.get("icc_profile")
        opened.load()
    image = ImageOps.exif_transpose(opened)
    return Original(image, profile)


def stem(*parts: Any) -> str:
    return safe_stem("_".join(str(p) for p in parts if p not in (None, "")))


def selected_images(
    board: Any, selection: dict[str, Any], nothing: str
) -> tuple[list[Item], Item | None]:
    """The image items of ``items``, or every image item overlapping a ``frame`` (paint
    order), with the frame; ``nothing`` starts the refusal when there are none."""
    if "frame" in selection:
        frame = frame_of(board, selection["frame"])
        region = region_of(frame)
        rows = (
            Item.objects.filter(
                board=board, deleted=False, kind=ItemKind.IMAGE, asset__isnull=False
            )
            .select_related("asset__blob")
            .order_by("z", "created_at")
        )
        inside = [
            row
            for row in rows
            if compositing.overlaps(
                compositing.item_bounds(row.x, row.y, row.width, row.height, row.rotation), region
            )
        ]
        found, chosen = inside, frame
    else:
        found, chosen = image_items(board, selection.get("items") or []), None
    if not found:
        raise InvalidExport(f"{nothing}: the selection holds no images (or they were deleted).")
    return found, chosen
