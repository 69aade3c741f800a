"""Atlas sheets: many tiny thumbnails packed into one WebP, so a zoomed-out board is a
handful of requests instead of one per image.

A sheet is a grid of ``COLUMNS`` × up to ``COLUMNS`` cells of ``CELL`` pixels. Cell ``i``
holds one blob's picture, as its previews show it (sRGB, upright), scaled to fit
``CELL - 2 * PAD`` pixels and placed ``PAD`` pixels inside the cell, so a browser
filtering a cell's rectangle never picks up its neighbour. Where a thumbnail lands
depends only on the cell and the blob's display size (``cell_rect``), and a sheet's
storage key is a digest of exactly that (``sheet_digest``): the same cells give the same
key, so sheet URLs never change meaning and are cached forever.

This module packs pixels for a list of blobs it is given. Which images go in which sheet
of which board is the canvas app's decision (canvas.atlas); this module knows no board
and never imports ``canvas``. A source that cannot be read leaves its cell empty (and its
rectangle ``None``) instead of failing the sheet.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from assets import storage
from assets.derivatives import level_size, render_one
from assets.models import Blob, DerivativeState

logger = logging.getLogger(__name__)

CELL = 64
PAD = 1
COLUMNS = 16
CELLS_PER_SHEET = COLUMNS * COLUMNS
WEBP_QUALITY = 80
WEBP_METHOD = 2
# Bumped when the layout or the rendering changes, so old sheets are never reused.
LAYOUT_VERSION = "atlas-v1"

Rect = tuple[int, int, int, int]


@dataclass(frozen=True)
class Sheet:
    """A rendered sheet: where it is stored, its pixel size, and each cell's rectangle
    (x, y, width, height in sheet pixels; ``None`` for an empty or unreadable cell)."""

    digest: str
    width: int
    height: int
    rects: list[Rect | None]


def cell_rect(index: int, width: int, height: int) -> Rect:
    """Where a ``width`` × ``height`` picture sits in cell ``index`` of a sheet."""
    w, h = level_size(width, height, CELL - 2 * PAD)
    col, row = index % COLUMNS, index // COLUMNS
    return col * CELL + PAD, row * CELL + PAD, w, h


def sheet_digest(cells: Sequence[Blob | None]) -> str:
    """The storage name of a sheet holding these blobs in these cells."""
    hasher = hashlib.sha256(f"{LAYOUT_VERSION}:{CELL}:{PAD}:{COLUMNS}".encode())
    for blob in cells:
        hasher.update(b"|" + (blob.sha256.encode() if blob is not None else b"-"))
    return hasher.hexdigest()


def sheet_size(cells: Sequence[Blob | None]) -> tuple[int, int]:
    """Pixel size of a sheet: all columns wide, only as many rows as its last cell needs."""
    used = max((i + 1 for i, blob in enumerate(cells) if blob is not None), default=1)
    return COLUMNS * CELL, -(-used // COLUMNS) * CELL


def thumbnail(blob: Blob) -> Image.Image:
    """The blob's picture at its cell size, RGBA. From its smallest ready preview (already
    sRGB and upright, and small), else rendered from the original like a preview."""
    w, h = level_size(blob.width, blob.height, CELL - 2 * PAD)
    source: Image.Image | None = None
    if blob.derivative_state == DerivativeState.READY and blob.derivative_levels:
        key = storage.derivative_key(blob.sha256, min(blob.derivative_levels))
        try:
            with storage.open_file(key) as handle:
                source = Image.open(handle, formats=["WEBP"])
                source.load()
        except OSError:
            logger.warning("preview %s unreadable; rendering the atlas cell from the original", key)
            source = None
    if source is None:
        source = render_one(blob, CELL)
    source = source.convert("RGBA")
    if source.size != (w, h):
        source = source.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return source


def render_sheet(cells: Sequence[Blob | None]) -> tuple[bytes, list[Rect | None]]:
    """Pack ``cells`` (at most ``CELLS_PER_SHEET``) into one WebP; returns its bytes and
    each cell's rectangle (``None`` where the cell is empty or its source unreadable)."""
    if len(cells) > CELLS_PER_SHEET:
        raise ValueError(f"a sheet holds at most {CELLS_PER_SHEET} cells, not {len(cells)}")
    sheet = Image.new("RGBA", sheet_size(cells), (0, 0, 0, 0))
    rects: list[Rect | None] = []
    for index, blob in enumerate(cells):
        if blob is None:
            rects.append(None)
            continue
        try:
            picture = thumbnail(blob)
        except Exception:  # a damaged or missing source must not cost the other cells
            logger.exception("atlas cell of blob %s could not be rendered", blob.sha256)
            rects.append(None)
            continue
        rect = cell_rect(index, blob.width, blob.height)
        sheet.paste(picture, rect[:2])
        rects.append(rect)
    buffer = io.BytesIO()
    # A new image: no metadata of any source reaches the sheet (sheets reach guests too).
    sheet.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return buffer.getvalue(), rects


def build_sheet(cells: Sequence[Blob | None]) -> Sheet:
    """Render and store the sheet of ``cells`` (or reuse the stored one of the same
    digest: identical cells, e.g. on a duplicated board, are never rendered twice)."""
    digest = sheet_digest(cells)
    width, height = sheet_size(cells)
    key = storage.atlas_key(digest)
    if storage.exists(key):
        rects = [
            cell_rect(i, blob.width, blob.height) if blob is not None else None
            for i, blob in enumerate(cells)
        ]
        return Sheet(digest, width, height, rects)
    data, rects = render_sheet(cells)
    storage.write_bytes(key, data)
    return Sheet(digest, width, height, rects)
