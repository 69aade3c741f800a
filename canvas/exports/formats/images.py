"""PNG, JPEG or WebP (sRGB, profile embedded) and 16-bit TIFF exports of one image item or
a frame.

- ``items``: exactly one image item — its original, colour-managed to sRGB for PNG
  (assets.exports.images.write_image), its own pixels, depth and profile for TIFF
  (write_deep_image); several items belong in a ZIP.
- ``frame``: the frame as the board shows it (canvas.compositing's composite).
- ``batch``: a batch whose approved results (option ``results``: ``all`` for every
  result) are exactly one image; more belong in a ZIP.

Options: ``scale`` (0.05–4) or ``long_edge`` (16–20,000 px), not both; TIFF
``compression`` ``"deflate"`` (default) or ``"lzw"``. A 16-bit TIFF of an original in
another colour space is converted to sRGB at 16 bits (assets/exports/deep_colour.py).
The png kind's ``format``: ``png`` (default), ``jpeg`` (quality 92, transparency over
white) or ``webp``, all 8-bit sRGB by write_image. PNG ``content_credentials``
(signing.py): the PNG or JPEG of an image a job made is signed; WebP is never signed.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from typing import Any, BinaryIO, cast

from assets.exports.images import (
    TIFF_COMPRESSIONS,
    ImageExportError,
    write_deep_image,
    write_image,
)
from canvas.exports.formats import signing, sources
from canvas.exports.formats.provenance import provenance_by_asset
from canvas.exports.kinds import InvalidExport, ProgressFn, Written
from canvas.exports.models import Export


def size_options(options: dict[str, Any]) -> dict[str, Any]:
    scale, long_edge = options.get("scale"), options.get("long_edge")
    if scale is not None and long_edge is not None:
        raise InvalidExport("Give scale or long_edge, not both.")
    if scale is not None:
        if not isinstance(scale, int | float) or isinstance(scale, bool) or not 0.05 <= scale <= 4:
            raise InvalidExport("scale must be a number from 0.05 to 4.")
        return {"scale": float(scale)}
    if long_edge is not None:
        if (
            not isinstance(long_edge, int)
            or isinstance(long_edge, bool)
            or not 16 <= long_edge <= 20000
        ):
            raise InvalidExport("long_edge must be a whole number of pixels from 16 to 20000.")
        return {"long_edge": long_edge}
    return {}


def tiff_compression(options: dict[str, Any]) -> Any:
    compression = options.get("compression", "deflate")
    if compression not in TIFF_COMPRESSIONS:
        raise InvalidExport(
            f"compression must be one of {', '.join(TIFF_COMPRESSIONS)} (TIFF exports)."
        )
    return compression


# The png kind's ``format`` option: the delivery formats write_image makes (8-bit sRGB).
DELIVERY_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


def delivery_format(options: dict[str, Any]) -> str:
    """``format`` of the png kind: png (default), jpeg or webp. WebP carries no Content
    Credentials here, so asking for both is refused."""
    fmt = options.get("format", "png")
    if fmt not in DELIVERY_FORMATS:
        raise InvalidExport(f"format must be one of {', '.join(DELIVERY_FORMATS)}.")
    if fmt == "webp" and options.get(signing.OPTION):
        raise InvalidExport(
            "Content Credentials are added to PNG and JPEG files, not to WebP: export the WebP "
            f"without {signing.OPTION}, or choose png or jpeg."
        )
    return fmt


@dataclass(frozen=True)
class SingleImage:
    name: str
    label: str
    deep: bool

    def check(self, board: Any, selection: dict[str, Any], options: dict[str, Any]) -> None:
        size_options(options)
        if self.deep:
            tiff_compression(options)
            if options.get(signing.OPTION):
                raise InvalidExport(
                    "Content Credentials are added to PNG and JPEG files, not to TIFF: "
                    f"export the TIFF without {signing.OPTION}."
                )
        else:
            delivery_format(options)
            signing.wanted(options)
        if "job" in selection:
            raise InvalidExport(
                f"A {self.label} holds one image; a job's region history exports only as a "
                "layered PSD (kind psd)."
            )
        if "frame" in selection:
            sources.check_frame_size(sources.frame_of(board, selection["frame"]))
            return
        if "batch" in selection:
            found = sources.batch_pictures(board, selection["batch"], options)
            if len(found) != 1:
                raise InvalidExport(
                    f"A {self.label} holds one image and this batch has {len(found)} to "
                    "export: export them as a zip or a contact sheet."
                )
            return
        ids = selection.get("items") or []
        if len(ids) != 1:
            raise InvalidExport(
                f"A {self.label} holds one image: select one image item or a frame, or export "
                "several as a zip."
            )
        if not sources.image_items(board, ids):
            raise InvalidExport(
                f"Only images can be exported as {self.label}; the selected item is not an image."
            )

    def write(self, export: Export, out: BinaryIO, progress: ProgressFn) -> Written:
        board = export.board
        size = size_options(export.options)
        progress(0.1, "Reading the image")
        item = None
        if "frame" in export.selection:
            frame = sources.frame_of(board, export.selection["frame"])
            image, profile, what = (
                sources.frame_composite(board, frame),
                None,
                frame.name or "frame",
            )
        else:
            found: list[sources.Picture] = (
                list(sources.batch_pictures(board, export.selection["batch"], export.options))
                if "batch" in export.selection
                else list(sources.image_items(board, export.selection["items"]))
            )
            if not found:
                raise InvalidExport("The image was deleted since the export was asked for.")
            item = found[0]
            original = sources.open_original(item)
            image, profile = original.image, original.icc_profile
            what = item.name or (item.asset.filename.rsplit(".", 1)[0] if item.asset else "image")
        progress(0.4, f"Writing the {self.label}")
        generation = None
        fmt: Any = "tiff16" if self.deep else delivery_format(export.options)
        if fmt in ("png", "jpeg") and item is not None and signing.wanted(export.options):
            record = provenance_by_asset(board, [item])[item.asset_id]
            generation = signing.generation_of(record, "")
        # A signed PNG is written to a spool first (c2pa reads the whole file to sign it).
        with tempfile.SpooledTemporaryFile(signing.SPOOL_BYTES) as spool:
            target = out if generation is None else cast(BinaryIO, spool)
            try:
                if self.deep:
                    written = write_deep_image(
                        out,
                        image,
                        "tiff16",
                        icc_profile=profile,
                        compression=tiff_compression(export.options),
                        **size,
                    )
                else:
                    written = write_image(target, image, fmt, icc_profile=profile, **size)
            except ImageExportError as exc:
                raise InvalidExport(str(exc)) from None
            name = sources.stem(board.name, what, f"{written.width}x{written.height}")
            file_name = f"{name}.{written.extension}"
            if generation is not None:
                progress(0.8, "Signing the Content Credentials")
                target.seek(0)
                signing.sign_into(
                    target, out, DELIVERY_FORMATS[fmt], replace(generation, title=file_name)
                )
        return Written(file_name=file_name, mime_type=written.mime_type)


PNG = SingleImage("png", "PNG", deep=False)
TIFF16 = SingleImage("tiff16", "16-bit TIFF", deep=True)
