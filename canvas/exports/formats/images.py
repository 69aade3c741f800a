"""PNG (sRGB, profile embedded) and 16-bit TIFF exports of one image item or a frame.

- ``items``: exactly one image item — its original, colour-managed to sRGB for PNG
  (assets.exports.images.write_image), its own pixels, depth and profile for TIFF
  (write_deep_image); several items belong in a ZIP.
- ``frame``: the frame as the board shows it (canvas.compositing's composite).

Options: ``scale`` (0.05–4) or ``long_edge`` (16–20,000 px), not both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

from assets.exports.images import ImageExportError, write_deep_image, write_image
from canvas.exports.formats import sources
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


@dataclass(frozen=True)
class SingleImage:
    name: str
    label: str
    deep: bool

    def check(self, board: Any, selection: dict[str, Any], options: dict[str, Any]) -> None:
        size_options(options)
        if "frame" in selection:
            sources.check_frame_size(sources.frame_of(board, selection["frame"]))
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
        if "frame" in export.selection:
            frame = sources.frame_of(board, export.selection["frame"])
            image, profile, what = (
                sources.frame_composite(board, frame),
                None,
                frame.name or "frame",
            )
        else:
            found = sources.image_items(board, export.selection["items"])
            if not found:
                raise InvalidExport("The image was deleted since the export was asked for.")
            item = found[0]
            original = sources.open_original(item)
            image, profile = original.image, original.icc_profile
            what = item.name or (item.asset.filename.rsplit(".", 1)[0] if item.asset else "image")
        progress(0.4, f"Writing the {self.label}")
        try:
            if self.deep:
                written = write_deep_image(out, image, "tiff16", icc_profile=profile, **size)
            else:
                written = write_image(out, image, "png", icc_profile=profile, **size)
        except ImageExportError as exc:
            raise InvalidExport(str(exc)) from None
        name = sources.stem(board.name, what, f"{written.width}x{written.height}")
        return Written(file_name=f"{name}.{written.extension}", mime_type=written.mime_type)


PNG = SingleImage("png", "PNG", deep=False)
TIFF16 = SingleImage("tiff16", "16-bit TIFF", deep=True)
