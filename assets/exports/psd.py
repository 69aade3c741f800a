"""Layered Photoshop documents (PSD) of a frame: pixel layers, a hidden anchors group, a
flattened composite, 8 or 16 bits per channel.

The document is built with psd-tools' layer API (``PSDImage.new``,
``create_pixel_layer_from_array``, ``create_group``), which writes 16-bit layers and groups
itself. Its ``save`` always re-renders the flattened image from the layers with its own
compositor; we want the *server's* composite of the frame there (what the canvas and every
other export show), so the saved document is read back with psd-tools' low-level record
API (``psd_tools.psd.PSD``), its image data section replaced with ``composite`` and written
out. Readers that only understand the flattened image ("maximize compatibility": previews,
Finder, most non-Adobe tools) then show exactly the server's picture. See docs/exports.md.

Layer pixels are already rendered (rotation, scale and crop applied by the caller), at
integer offsets on the frame's canvas; they may extend past its edges.

Must not import Django or ``canvas``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO, Literal

import numpy as np
from psd_tools import PSDImage
from psd_tools.api import numpy_io
from psd_tools.constants import Compression, Resource
from psd_tools.psd import PSD
from psd_tools.psd.image_resources import ImageResource

from assets.exports.pixels import PixelSource, rgba_array, srgb_profile, to_float

SPOOL_BYTES = 32 * 1024 * 1024  # the intermediate document stays in memory below this


@dataclass(frozen=True)
class PsdLayer:
    """One pixel layer: already-rendered RGBA pixels placed at (left, top) on the canvas."""

    name: str
    pixels: PixelSource  # PIL image (any mode, 8 bits) or H×W×3/4 uint8/uint16 array
    left: int = 0
    top: int = 0
    opacity: float = 1.0  # 0–1
    visible: bool = True


class PsdError(ValueError):
    """The layers or composite given cannot make a document (the message says why)."""


def write_psd(
    out: BinaryIO,
    *,
    size: tuple[int, int],
    layers: Sequence[PsdLayer],
    composite: PixelSource,
    anchors: Sequence[PsdLayer] = (),
    anchors_group: str = "Anchors",
    depth: Literal[8, 16] = 8,
    icc_profile: bytes | None = None,
) -> None:
    """Write a layered PSD of a ``size`` (width, height) canvas to ``out``.

    ``layers`` are bottom to top. ``anchors`` go into a hidden, closed group named
    ``anchors_group`` at the bottom of the stack (kept for reference, not shown).
    ``composite`` (the server's render of the frame, ``size`` pixels) is stored as the
    flattened image. ``icc_profile`` (default sRGB) is embedded as the document profile.
    """
    width, height = size
    if width <= 0 or height <= 0:
        raise PsdError(f"A document needs a positive size, not {width}×{height}.")
    if depth not in (8, 16):
        raise PsdError(f"A document is 8 or 16 bits per channel, not {depth}.")
    flat = rgba_array(composite)
    if flat.shape[:2] != (height, width):
        raise PsdError(
            f"The composite is {flat.shape[1]}×{flat.shape[0]}; the canvas is {width}×{height}."
        )
    document = PSDImage.new("RGBA", (width, height), depth=depth)
    if anchors:
        group = document.create_group(name=anchors_group, open_folder=False)
        for anchor in anchors:
            _add_layer(group, anchor)
        group.visible = False
    for layer in layers:
        _add_layer(document, layer)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        document.save(spool)
        spool.seek(0)
        record = PSD.read(spool)
    _store_composite(record, flat)
    record.image_resources[Resource.ICC_PROFILE] = ImageResource(
        key=Resource.ICC_PROFILE, data=icc_profile or srgb_profile()
    )
    record.write(out)


def _add_layer(parent, layer: PsdLayer) -> None:
    pixels = rgba_array(layer.pixels)
    if pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise PsdError(f"The layer {layer.name!r} has no pixels.")
    added = parent.create_pixel_layer_from_array(
        pixels,
        name=layer.name,
        top=int(layer.top),
        left=int(layer.left),
        compression=Compression.RLE,
        opacity=round(min(1.0, max(0.0, layer.opacity)) * 255),
    )
    added.visible = layer.visible


def _store_composite(record: PSD, flat: np.ndarray) -> None:
    """Replace the record's flattened image with ``flat`` (H×W×4, 8 or 16 bits)."""
    # Adobe's format: a negative layer count says the first alpha channel of the merged
    # image is its transparency (psd-tools and Photoshop read it so; the colour is then
    # stored matted over white, which encode_image_data does).
    layer_info = record.layer_and_mask_information.layer_info
    if layer_info is not None:
        layer_info.layer_count = -abs(layer_info.layer_count)
    values = to_float(flat)
    reader = PSDImage(record)  # the planes are packed by psd-tools for this header
    planes = numpy_io.encode_image_data(reader, values[:, :, :3], values[:, :, 3:4])
    record.image_data.compression = Compression.RLE
    record.image_data.set_data(planes, record.header)
