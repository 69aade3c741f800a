"""Render a board region at full resolution the way the browser (Konva) draws it.

The pure part (``composite``) takes plain ``CompositeItem`` descriptions with a PIL image
each, so it is tested without a database. The rules mirror the canvas:

- items are painted by ``z`` ascending (ties keep input order); hidden items are skipped;
- an image is drawn into the box (x, y, width, height), rotated by ``rotation`` degrees
  clockwise about its top-left corner (Konva's default offset), with bilinear sampling
  (the browser's default image smoothing);
- its outline is anti-aliased by pixel coverage, colour is sampled clamp-to-edge;
- its alpha is multiplied by ``opacity`` and it is composited source-over onto a
  transparent canvas, on premultiplied colour as a 2D canvas does (the result passes
  through 8-bit premultiplied values, so translucent colours match within a few levels);
- when an item is shown much smaller than its original, the original is first
  box-reduced by an integer factor (a mip level) so the result does not alias.

Work is done in bands of output rows and only the visible part of each original is
sampled, so memory stays bounded for large regions.

The output is ``region size × scale`` pixels. ``load_items`` is the thin adapter from
``canvas.models.Item`` rows and asset originals; ``paste_back`` puts an engine's result
back over the original region through a feathered mask.

This module must not decide permissions (callers use canvas.permissions) and must not
write anything.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np
from PIL import Image, ImageOps

from assets import decoded
from assets.imageops import masks
from canvas.engines.base import Anchor
from canvas.models import Item, ItemKind, live_images
from foundation import config, knobs
from foundation.errors import AppError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Region:
    """A rectangle in board coordinates."""

    x: float
    y: float
    width: float
    height: float

    def output_size(self, scale: float = 1.0) -> tuple[int, int]:
        return (max(1, round(self.width * scale)), max(1, round(self.height * scale)))


@dataclass(frozen=True)
class CompositeItem:
    image: Image.Image
    x: float
    y: float
    width: float
    height: float
    rotation: float = 0.0  # degrees, clockwise, about the top-left corner
    opacity: float = 1.0
    z: float = 0.0
    hidden: bool = False
    # True when the original has no transparent pixel (its file has no alpha channel):
    # then, drawn at full opacity and unrotated, it hides everything under it.
    opaque: bool = False


class RegionTooLarge(AppError):
    code = "region_too_large"


class ImageUnreadable(AppError):
    status = 422
    code = "image_unreadable"


def item_corners(
    x: float, y: float, width: float, height: float, rotation: float
) -> list[tuple[float, float]]:
    """The four corners of an item's box in board coordinates."""
    theta = math.radians(rotation)
    cos, sin = math.cos(theta), math.sin(theta)
    corners = []
    for u, v in ((0, 0), (width, 0), (width, height), (0, height)):
        # y points down on the board, so this standard rotation turns clockwise on screen.
        corners.append((x + u * cos - v * sin, y + u * sin + v * cos))
    return corners


def item_bounds(
    x: float, y: float, width: float, height: float, rotation: float
) -> tuple[float, float, float, float]:
    """Axis-aligned (left, top, right, bottom) of a rotated item."""
    corners = item_corners(x, y, width, height, rotation)
    xs = [c[0] for c in corners]
    ys = [c[1] for c in corners]
    return (min(xs), min(ys), max(xs), max(ys))


def overlaps(bounds: tuple[float, float, float, float], region: Region) -> bool:
    left, top, right, bottom = bounds
    return (
        right > region.x
        and bottom > region.y
        and left < region.x + region.width
        and top < region.y + region.height
    )


# --- Culling: layers that cannot show are never decoded nor drawn -------------------------

MAX_COVERS = 32  # opaque layers remembered as covers: bounds the cost on crowded regions


class Footprint(Protocol):
    """Where a layer lands and whether it hides what is under it: what culling needs,
    known from the snapshot and the blob's facts before any original is decoded."""

    @property
    def x(self) -> float: ...
    @property
    def y(self) -> float: ...
    @property
    def width(self) -> float: ...
    @property
    def height(self) -> float: ...
    @property
    def rotation(self) -> float: ...
    @property
    def opacity(self) -> float: ...
    @property
    def opaque(self) -> bool: ...


@dataclass(frozen=True)
class Placement:
    """A ``Footprint`` for layers that are not ``CompositeItem``s yet (snapshot entries,
    item rows); ``key`` says which one it is."""

    key: Any
    x: float
    y: float
    width: float
    height: float
    rotation: float = 0.0
    opacity: float = 1.0
    opaque: bool = False


F = TypeVar("F", bound=Footprint)


def _pixel_window(
    layer: Footprint, region: Region, scale: float, size: tuple[int, int]
) -> tuple[int, int, int, int] | None:
    """Output pixels (left, top, right, bottom; right/bottom exclusive) the layer may
    touch: exactly the window ``_draw`` paints. None when it touches none."""
    if layer.width <= 0 or layer.height <= 0:
        return None
    corners = [
        ((cx - region.x) * scale, (cy - region.y) * scale)
        for cx, cy in item_corners(layer.x, layer.y, layer.width, layer.height, layer.rotation)
    ]
    left = max(0, math.floor(min(c[0] for c in corners)))
    top = max(0, math.floor(min(c[1] for c in corners)))
    right = min(size[0], math.ceil(max(c[0] for c in corners)))
    bottom = min(size[1], math.ceil(max(c[1] for c in corners)))
    if right <= left or bottom <= top:
        return None
    return (left, top, right, bottom)


def _solid_window(
    layer: Footprint, region: Region, scale: float, size: tuple[int, int]
) -> tuple[int, int, int, int] | None:
    """Output pixels an opaque, unrotated layer at full opacity paints over completely:
    those whose centre lies at least half a pixel inside its box (``_coverage`` gives
    them 1), so nothing under them shows. None for any other layer."""
    if not layer.opaque or layer.opacity < 1.0 or layer.rotation % 360 != 0:
        return None
    left = max(0, math.ceil((layer.x - region.x) * scale))
    top = max(0, math.ceil((layer.y - region.y) * scale))
    right = min(size[0], math.floor((layer.x + layer.width - region.x) * scale))
    bottom = min(size[1], math.floor((layer.y + layer.height - region.y) * scale))
    if right <= left or bottom <= top:
        return None
    return (left, top, right, bottom)


def uncovered(layers: Sequence[F], region: Region, scale: float = 1.0) -> list[F]:
    """``layers`` (visible ones, in paint order, bottom first) without those that cannot
    change a pixel of ``region``: outside it, or wholly under one opaque layer above.

    Twenty results stacked over a region cost one decode, not twenty. Conservative: a
    layer is dropped only when a single opaque, unrotated layer at full opacity above it
    covers every output pixel it could touch, so the output is bit-identical.
    """
    size = region.output_size(scale)
    covers: list[tuple[int, int, int, int]] = []
    kept: list[F] = []
    for layer in reversed(layers):
        window = _pixel_window(layer, region, scale, size)
        if window is None:
            continue
        left, top, right, bottom = window
        if any(
            c_left <= left and c_top <= top and right <= c_right and bottom <= c_bottom
            for c_left, c_top, c_right, c_bottom in covers
        ):
            continue
        kept.append(layer)
        solid = _solid_window(layer, region, scale, size)
        if solid is not None and len(covers) < MAX_COVERS:
            covers.append(solid)
    kept.reverse()
    return kept


def _z(item: CompositeItem) -> float:
    return item.z


# --- Drawing --------------------------------------------------------------------------------

BAND_ROWS = 1024  # output rows rendered at a time: bounds memory for very large regions


def composite(items: Iterable[CompositeItem], region: Region, scale: float = 1.0) -> Image.Image:
    """The region as an RGBA image of ``region.output_size(scale)`` pixels."""
    out_w, out_h = region.output_size(scale)
    ordered = uncovered(
        sorted((item for item in items if not item.hidden and item.opacity > 0), key=_z),
        region,
        scale,
    )
    # Straight RGBA, converted once per item (a no-op for the common RGBA originals).
    rgba = [item.image if item.image.mode == "RGBA" else to_rgba(item.image) for item in ordered]
    out = Image.new("RGBA", (out_w, out_h))
    for row in range(0, out_h, BAND_ROWS):
        rows = min(BAND_ROWS, out_h - row)
        # Premultiplied float accumulator: exact for opaque integer placements, no 8-bit
        # rounding build-up when many translucent layers stack.
        band = np.zeros((rows, out_w, 4), dtype=np.float32)
        for item, source in zip(ordered, rgba, strict=True):
            _draw(band, row, item, source, region, scale)
        out.paste(_to_image(band), (0, row))
    return out


def _draw(
    band: np.ndarray,
    row: int,
    item: CompositeItem,
    source: Image.Image,
    region: Region,
    scale: float,
) -> None:
    """Composite ``item`` onto ``band``, which holds output rows ``row`` onward."""
    if item.width <= 0 or item.height <= 0 or source.width == 0 or source.height == 0:
        return
    rows, out_w = band.shape[:2]
    # Where the item lands on the output, in output pixels; draw only that window.
    corners = [
        ((cx - region.x) * scale, (cy - region.y) * scale)
        for cx, cy in item_corners(item.x, item.y, item.width, item.height, item.rotation)
    ]
    left = max(0, math.floor(min(c[0] for c in corners)))
    top = max(row, math.floor(min(c[1] for c in corners)))
    right = min(out_w, math.ceil(max(c[0] for c in corners)))
    bottom = min(row + rows, math.ceil(max(c[1] for c in corners)))
    if right <= left or bottom <= top:
        return
    if _draw_aligned(band, row, item, source, region, scale, (left, top, right, bottom)):
        return
    window = (right - left, bottom - top)
    # Inverse mapping, window pixel (u, v) → source pixel:
    # board = region + (u + left, v + top) / scale
    # local = R(-θ) · (board − (x, y)),  source = local · (src / box)
    theta = math.radians(item.rotation)
    # Rounded so quarter turns are exact: cos(180°) must not leave a 1e-16 sliver.
    cos, sin = round(math.cos(theta), 12), round(math.sin(theta), 12)
    sx, sy = source.width / item.width, source.height / item.height
    ox = region.x + left / scale - item.x
    oy = region.y + top / scale - item.y
    a, b, c = cos / scale * sx, sin / scale * sx, (cos * ox + sin * oy) * sx
    d, e, f = -sin / scale * sy, cos / scale * sy, (-sin * ox + cos * oy) * sy
    # Mip level: when many source pixels fall on one output pixel, box-reduce first so
    # bilinear sampling neither aliases nor needs the whole original in float memory.
    footprint = max(math.hypot(a, d), math.hypot(b, e))
    level = max(1, int(footprint // 2))
    # Only the part of the source the window can see (+2 px so bilinear neighbours are
    # real pixels, not the crop edge), aligned to the mip level so bands agree.
    xs, ys = [], []
    for u, v in ((0, 0), (window[0], 0), (0, window[1]), window):
        xs.append(a * u + b * v + c)
        ys.append(d * u + e * v + f)
    x0 = max(0, (math.floor(min(xs)) - 2 * level) // level * level)
    y0 = max(0, (math.floor(min(ys)) - 2 * level) // level * level)
    x1 = min(source.width, math.ceil(max(xs)) + 2 * level)
    y1 = min(source.height, math.ceil(max(ys)) + 2 * level)
    if x1 <= x0 or y1 <= y0:
        return
    visible = source.crop((x0, y0, x1, y1)).convert("RGBa")
    if level > 1:
        visible = visible.reduce(level)
    # Clamp-to-edge, as the browser samples: a 1 px border repeating the edge pixels, so
    # pixels whose centre falls just outside the item still get its edge colour; how much
    # of them the item covers is decided by ``_coverage`` below.
    framed = Image.fromarray(np.pad(np.asarray(visible), ((1, 1), (1, 1), (0, 0)), "edge"), "RGBa")
    coefficients = (
        a / level,
        b / level,
        (c - x0) / level + 1,
        d / level,
        e / level,
        (f - y0) / level + 1,
    )
    layer = _sample_premultiplied(framed, window, coefficients)
    layer *= _coverage(item, window, (ox, oy), (cos, sin), scale)[..., None]
    opacity = float(min(1.0, item.opacity))
    alpha = layer[..., 3:4] * opacity
    target = band[top - row : bottom - row, left:right]
    target *= 1.0 - alpha
    target += layer * opacity


def _draw_aligned(
    band: np.ndarray,
    row: int,
    item: CompositeItem,
    source: Image.Image,
    region: Region,
    scale: float,
    box: tuple[int, int, int, int],
) -> bool:
    """The common case without resampling: an unrotated item shown at its original size on
    whole output pixels (tiles, results applied over their region). Bilinear sampling at
    pixel centres and the coverage of such an item are exactly 1:1 and 1, so its pixels are
    copied (and replace what is under them when opaque at full opacity). Returns False,
    drawing nothing, for any other item; ``_draw`` then resamples."""
    if item.rotation % 360 != 0:
        return False
    origin_x = (item.x - region.x) * scale
    origin_y = (item.y - region.y) * scale
    if (
        source.width != item.width * scale
        or source.height != item.height * scale
        or origin_x != math.floor(origin_x)
        or origin_y != math.floor(origin_y)
    ):
        return False
    left, top, right, bottom = box
    x0, y0 = left - int(origin_x), top - int(origin_y)
    pixels = np.asarray(source.crop((x0, y0, x0 + right - left, y0 + bottom - top)))
    target = band[top - row : bottom - row, left:right]
    opacity = float(min(1.0, item.opacity))
    if opacity >= 1.0 and int(pixels[..., 3].min()) == 255:
        np.multiply(pixels, np.float32(1.0 / 255.0), out=target, casting="unsafe")
        return True
    # The same arithmetic as the resampling path, so both give the same pixels.
    premultiplied = Image.fromarray(pixels, "RGBA").convert("RGBa")
    layer = np.asarray(premultiplied, dtype=np.float32) * (1.0 / 255.0)
    target *= 1.0 - layer[..., 3:4] * opacity
    target += layer * opacity
    return True


def _coverage(
    item: CompositeItem,
    window: tuple[int, int],
    origin: tuple[float, float],
    trig: tuple[float, float],
    scale: float,
) -> np.ndarray:
    """How much of each window pixel the item's box covers, 0–1 (anti-aliased outline).

    Per axis, a pixel whose centre lies d output pixels inside an edge is covered
    clip(0.5 + d): centres half a pixel inside (integer placements) are fully covered,
    centres on the edge half. Rotated edges use the same rule along the item's own axes,
    a close approximation of the browser's area coverage.
    """
    ox, oy = origin
    cos, sin = trig
    px = np.float32(ox) + (np.arange(window[0], dtype=np.float32) + 0.5)[None, :] / scale
    py = np.float32(oy) + (np.arange(window[1], dtype=np.float32) + 0.5)[:, None] / scale
    u = cos * px + sin * py
    v = -sin * px + cos * py
    cover_u = np.clip(0.5 + np.minimum(u, item.width - u) * scale, 0.0, 1.0)
    cover_v = np.clip(0.5 + np.minimum(v, item.height - v) * scale, 0.0, 1.0)
    return (cover_u * cover_v).astype(np.float32)


def _sample_premultiplied(
    source: Image.Image, size: tuple[int, int], coefficients: Sequence[float]
) -> np.ndarray:
    """Bilinear affine resample of premultiplied RGBA, as float32 0–1 (H×W×4).

    Sampling premultiplied colour (as a 2D canvas stores it) keeps transparent edges from
    darkening or tinting; interpolating straight alpha would pull in the colour of
    invisible pixels.
    """
    sampled = source.transform(
        size,
        Image.Transform.AFFINE,
        tuple(coefficients),
        resample=Image.Resampling.BILINEAR,
        fillcolor=(0, 0, 0, 0),
    )
    return np.asarray(sampled, dtype=np.float32) * (1.0 / 255.0)


def _to_image(band: np.ndarray) -> Image.Image:
    """Premultiplied float band → straight RGBA, through 8-bit premultiplied like a canvas."""
    band *= np.float32(255.0)  # in place: the band is not used again
    np.rint(band, out=band)
    np.clip(band, 0, 255, out=band)
    return Image.fromarray(band.astype(np.uint8), "RGBa").convert("RGBA")


def paste_back(
    original_region: Image.Image, result: Image.Image, mask: Image.Image, feather_px: float
) -> Image.Image:
    """``result`` inside the feathered ``mask``, ``original_region`` bit-exact outside it.

    See ``assets.imageops.masks.paste_back``: the feather grows outward by ``feather_px``.
    """
    return masks.paste_back(original_region, result, mask, feather_px)


# --- Adapter from the database --------------------------------------------------------------


def board_images(board, region: Region | None = None) -> list[Item]:
    """``board``'s live image items with their files, in paint order (z, then age), hidden
    ones included; with ``region``, only those whose rotated bounds overlap it. One query.

    The one read of "what the board draws" (compositing, a job's layer snapshot, the
    exports' frames and layers): only image items are drawn — frames, text notes and masks
    are editing aids, not pixels of the artwork.
    """
    rows = live_images(board).select_related("asset__blob").order_by("z", "created_at")
    if region is None:
        return list(rows)
    return [
        row
        for row in rows
        if overlaps(item_bounds(row.x, row.y, row.width, row.height, row.rotation), region)
    ]


def load_items(
    board, region: Region, *, include_hidden: bool = False, only: Collection[str] | None = None
) -> list[CompositeItem]:
    """Live image items of ``board`` that overlap ``region``, with their originals loaded
    (only those: originals that cannot show are never opened); with ``only`` (item ids as
    strings), just those items — an export of a selection draws nothing else. The caller
    has already checked that the user may read the board."""
    rows = [
        row
        for row in board_images(board, region)
        if (include_hidden or not row.hidden) and (only is None or str(row.pk) in only)
    ]
    shown = uncovered(
        [_placement(row) for row in rows if not row.hidden and row.opacity > 0], region
    )
    drawn = {placement.key.pk for placement in shown}
    items = []
    for row in rows:
        if row.pk not in drawn and not row.hidden:
            continue  # under an opaque layer, or showing nothing: never decoded
        assert row.asset is not None  # filtered by live_images
        items.append(
            CompositeItem(
                image=open_original(row.asset.blob),
                hidden=row.hidden,
                opaque=is_opaque(row.asset.blob),
                **row.placement(),
            )
        )
    return items


def _placement(row: Item) -> Placement:
    """The row's footprint for culling (``uncovered``), keyed by the row."""
    assert row.asset is not None
    place = row.placement()
    place.pop("z")
    return Placement(key=row, opaque=is_opaque(row.asset.blob), **place)


def open_original(blob) -> Image.Image:
    """A blob's original as display-oriented RGBA (EXIF rotation applied, as browsers do);
    decoded once per process while it stays in the decoded-originals cache (assets.decoded):
    a blob's bytes never change. The caller gets its own copy."""
    return decoded.get_or_decode(blob.sha256, lambda: _decode_original(blob))


def is_opaque(blob) -> bool:
    """Whether the blob's file can hold no transparent pixel (no alpha channel, no
    transparent colour): known from its facts, without decoding it."""
    return not blob.has_alpha


def _decode_original(blob) -> Image.Image:
    from django.core.files.storage import default_storage

    limit = config.read(knobs.MAX_IMAGE_PIXELS)
    try:
        with default_storage.open(blob.storage_key, "rb") as handle:
            opened = Image.open(handle)
            if opened.width * opened.height > limit:
                raise RegionTooLarge(
                    f"An image in this region is {opened.width}×{opened.height}, above this "
                    f"server's limit of {limit / 1e6:.0f} MP."
                )
            opened.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        # Missing from storage or undecodable: say which file, never a 500.
        logger.warning("cannot read original %s: %s", blob.storage_key, exc)
        raise ImageUnreadable(
            "One of the images in this region could not be read from storage; "
            "re-upload it or remove it from the region."
        ) from exc
    image: Image.Image = ImageOps.exif_transpose(opened)
    return to_rgba(image)


def to_rgba(image: Image.Image) -> Image.Image:
    """Any Pillow mode as 8-bit RGBA, keeping transparency (palette, LA, 16-bit grey…)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: scale to 8 bits; a plain convert would clip at 255.
        grey = np.asarray(image).astype(np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or grey.max() > 255 else 255.0
        image = Image.fromarray(np.clip(np.rint(grey * 255.0 / peak), 0, 255).astype(np.uint8))
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("PA")
    return image.convert("RGBA")


def composite_board_region(
    board, region: Region, scale: float = 1.0, max_pixels: int | None = None
) -> Image.Image:
    """Load and composite ``region`` of ``board``; refuses outputs above ``max_pixels``."""

    limit = max_pixels or config.read(knobs.MAX_IMAGE_PIXELS)
    width, height = region.output_size(scale)
    if region.width <= 0 or region.height <= 0 or scale <= 0:
        raise RegionTooLarge("Select a region with a width and height first.", code="empty_region")
    if width * height > limit:
        raise RegionTooLarge(
            f"The region would render at {width}×{height} pixels; this server renders up to "
            f"{limit / 1e6:.0f} MP. Select a smaller area or a lower scale."
        )
    return composite(load_items(board, region), region, scale)


class AnchorNotUsable(AppError):
    code = "anchor_not_usable"


def load_anchors(board, item_ids: Sequence) -> tuple[Anchor, ...]:
    """The board's anchor items ``item_ids`` as engine ``Anchor``s, in the order given.

    Refuses ids that are not live image items of this board with an anchor role, so a job
    never silently runs without an anchor the designer picked.
    """
    rows = {
        str(row.pk): row
        for row in Item.objects.filter(
            board=board, pk__in=list(item_ids), deleted=False, kind=ItemKind.IMAGE
        ).select_related("asset__blob")
    }
    anchors = []
    for item_id in item_ids:
        row = rows.get(str(item_id))
        if row is None or row.asset is None:
            raise AnchorNotUsable(
                "One of the chosen anchors is no longer on this board; pick the anchors again."
            )
        if not row.anchor_role:
            raise AnchorNotUsable(
                f"{row.name or 'This image'} is not marked as an anchor; give it a role "
                "(composition, palette, lighting or style) first."
            )
        anchors.append(Anchor(row.anchor_role, open_original(row.asset.blob), row.name))
    return tuple(anchors)
