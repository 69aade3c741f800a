"""Layered Photoshop documents (PSD) of a frame: pixel layers, a hidden anchors group, a
flattened composite, 8 or 16 bits per channel.

The document is assembled from psd-tools' record classes (``psd_tools.psd``: the file
header, layer records, channel data, image data), which know the format's bytes and its
RLE ("PackBits") compression, one layer at a time: each layer's pixels are cut into
planes, compressed and dropped before the next layer is even looked at (``layers`` may be
a generator that renders them as they are asked for), so memory holds the compressed
document plus one layer, not psd-tools' float copies of every layer and its own
compositor's canvases (which ``PSDImage.save`` runs on every edited document, and
whose result we would replace anyway). The flattened image is the *server's* composite of
the frame (what the canvas and every other export show), so "maximize compatibility"
readers (previews, Finder, most non-Adobe tools) show exactly the server's picture. See
docs/exports.md.

Layer pixels are already rendered (rotation, scale and crop applied by the caller), at
integer offsets on the frame's canvas; they may extend past its edges.

Must not import Django or ``canvas``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO, Literal

import numpy as np
from psd_tools.compression import compress
from psd_tools.constants import (
    ChannelID,
    ColorMode,
    Compression,
    Resource,
    SectionDivider,
    Tag,
)
from psd_tools.psd import PSD
from psd_tools.psd.color_mode_data import ColorModeData
from psd_tools.psd.header import FileHeader
from psd_tools.psd.image_data import ImageData
from psd_tools.psd.image_resources import ImageResource, ImageResources
from psd_tools.psd.layer_and_mask import (
    ChannelData,
    ChannelDataList,
    ChannelImageData,
    ChannelInfo,
    GlobalLayerMaskInfo,
    LayerAndMaskInformation,
    LayerInfo,
    LayerRecord,
    LayerRecords,
)
from psd_tools.psd.tagged_blocks import TaggedBlocks

from assets.exports.pixels import PixelSource, rgba_array, srgb_profile, to_depth

BAND_ROWS = 256  # rows of the composite matted at a time


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
    layers: Iterable[PsdLayer],
    composite: PixelSource,
    anchors: Iterable[PsdLayer] = (),
    anchors_group: str = "Anchors",
    depth: Literal[8, 16] = 8,
    icc_profile: bytes | None = None,
) -> None:
    """Write a layered PSD of a ``size`` (width, height) canvas to ``out``.

    ``layers`` are bottom to top. ``anchors`` go into a hidden, closed group named
    ``anchors_group`` at the bottom of the stack (kept for reference, not shown). Both may
    be generators: each layer is encoded and released before the next is taken.
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
    header = FileHeader(
        version=1, channels=4, height=height, width=width, depth=depth, color_mode=ColorMode.RGB
    )
    records, channels = LayerRecords(), ChannelImageData()
    # File order is bottom to top: a group is its end marker, its layers, then the folder.
    anchor_records = [_pixel_layer(anchor, depth) for anchor in anchors]
    if anchor_records:
        _append(
            records,
            channels,
            _group_record("</Layer group>", SectionDivider.BOUNDING_SECTION_DIVIDER),
        )
        for record, data in anchor_records:
            _append(records, channels, (record, data))
        folder, empty = _group_record(anchors_group, SectionDivider.CLOSED_FOLDER)
        folder.flags.visible = False
        _append(records, channels, (folder, empty))
    del anchor_records
    for layer in layers:
        encoded = _pixel_layer(layer, depth)
        del layer  # before the generator renders the next one
        _append(records, channels, encoded)
    # Adobe's format: a negative layer count says the first alpha channel of the merged
    # image is its transparency (psd-tools and Photoshop read it so).
    layer_info = LayerInfo(
        layer_count=-len(records), layer_records=records, channel_image_data=channels
    )
    resources = ImageResources()
    resources[Resource.ICC_PROFILE] = ImageResource(
        key=Resource.ICC_PROFILE, data=icc_profile or srgb_profile()
    )
    image_data = _merged_image_data(flat, depth)
    PSD(
        header=header,
        color_mode_data=ColorModeData(),
        image_resources=resources,
        layer_and_mask_information=LayerAndMaskInformation(
            layer_info=layer_info,
            global_layer_mask_info=GlobalLayerMaskInfo(),
            tagged_blocks=TaggedBlocks(),
        ),
        image_data=image_data,
    ).write(out)


def _append(
    records: LayerRecords,
    channels: ChannelImageData,
    pair: tuple[LayerRecord, ChannelDataList],
) -> None:
    records.append(pair[0])
    channels.append(pair[1])


def _named(record: LayerRecord, name: str) -> None:
    """The name twice, as Photoshop writes it: a Pascal string (Mac Roman, cut to 31
    bytes by the writer) and the Unicode name block."""
    record.tagged_blocks = TaggedBlocks()
    record.tagged_blocks.set_data(Tag.UNICODE_LAYER_NAME, name)


def _group_record(name: str, kind: SectionDivider) -> tuple[LayerRecord, ChannelDataList]:
    record = LayerRecord(top=0, left=0, bottom=0, right=0, name=name)
    _named(record, name)
    record.tagged_blocks.set_data(Tag.SECTION_DIVIDER_SETTING, kind)
    record.channel_info = [ChannelInfo(id=ChannelID(i - 1), length=2) for i in range(4)]
    data = ChannelDataList()
    for _ in range(4):
        data.append(ChannelData(compression=Compression.RAW, data=b""))
    return record, data


def _pixel_layer(layer: PsdLayer, depth: int) -> tuple[LayerRecord, ChannelDataList]:
    """One layer's record and its four planes (alpha first), RLE-compressed one plane at
    a time from the integer pixels: no float copy of the layer is ever made."""
    pixels = to_depth(rgba_array(layer.pixels), depth)
    height, width = pixels.shape[:2]
    if height == 0 or width == 0:
        raise PsdError(f"The layer {layer.name!r} has no pixels.")
    record = LayerRecord(
        top=int(layer.top),
        left=int(layer.left),
        bottom=int(layer.top) + height,
        right=int(layer.left) + width,
        channel_info=[],
        opacity=round(min(1.0, max(0.0, layer.opacity)) * 255),
        name=layer.name,
    )
    _named(record, layer.name)
    record.flags.visible = layer.visible
    data = ChannelDataList()
    for channel_id, index in (
        (ChannelID.TRANSPARENCY_MASK, 3),
        *((ChannelID(i), i) for i in range(3)),
    ):
        channel = ChannelData(Compression.RLE, _rle(pixels[:, :, index], depth))
        record.channel_info.append(ChannelInfo(channel_id, len(channel.data) + 2))
        data.append(channel)
    return record, data


def _plane_bytes(plane: np.ndarray) -> bytes:
    """One channel as the format stores it: rows of big-endian samples."""
    return plane.astype(">u2" if plane.dtype == np.uint16 else np.uint8).tobytes()


def _rle(plane: np.ndarray, depth: int) -> bytes:
    """A channel (H×W) RLE-compressed as the format stores it (version 1): a 16-bit byte
    count per row, then the rows. PackBits works row by row, so bands of rows are
    compressed apart (psd-tools' encoder makes sizeable temporaries of what it is given)."""
    height, width = plane.shape
    counts, rows = [], []
    for start in range(0, height, BAND_ROWS):
        band = plane[start : start + BAND_ROWS]
        packed = compress(_plane_bytes(band), Compression.RLE, width, band.shape[0], depth, 1)
        counts.append(packed[: 2 * band.shape[0]])
        rows.append(packed[2 * band.shape[0] :])
    return b"".join(counts) + b"".join(rows)


def _merged_image_data(flat: np.ndarray, depth: int) -> ImageData:
    """The composite as the image data section: R, G, B then alpha, colour matted over
    white as Photoshop stores a merged image with transparency (integer arithmetic, band by
    band), each plane compressed before the next is made. The section is every plane's row
    byte counts, then every plane's rows."""
    top = 65535 if depth == 16 else 255
    sample = np.uint16 if depth == 16 else np.uint8
    height = flat.shape[0]
    counts, rows = [], []
    for index in range(4):
        plane = np.empty(flat.shape[:2], sample)
        for start in range(0, height, BAND_ROWS):
            band = to_depth(flat[start : start + BAND_ROWS], depth)
            if index == 3:
                plane[start : start + BAND_ROWS] = band[:, :, 3]
                continue
            alpha = band[:, :, 3].astype(np.uint32)  # top² + top // 2 fits in 32 bits
            colour = band[:, :, index].astype(np.uint32)
            plane[start : start + BAND_ROWS] = (
                colour * alpha + top * (top - alpha) + top // 2
            ) // top
        packed = _rle(plane, depth)
        del plane
        counts.append(packed[: 2 * height])
        rows.append(packed[2 * height :])
    return ImageData(compression=Compression.RLE, data=b"".join(counts) + b"".join(rows))
