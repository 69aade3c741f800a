"""Video exports: the selected clips for the edit, encoded by assets/video/encode.py.

Option ``format``: ``prores_4444`` (the default; .mov, yuv444p10le, or with alpha when the
clip has it), ``prores_422_hq`` (.mov, yuv422p10le), ``mp4`` (H.264 High, yuv420p,
+faststart) or ``png_zip`` (a PNG per frame in a zip). Every file is constant frame rate at
the clip's own rate with Rec.709 tags (docs/video.md "Formats"), decoded from the clip's
stored original frame by frame and encoded as the frames come (a clip is never in memory).

The selection is video items, a frame around them, or a batch's video results (approved,
or all with option ``results``). One clip gives its file; several, or a batch's, give a
ZIP package (assets/exports/package.py) of the
encoded files with sidecars and the provenance manifest, whose ``clip`` field records the
source still, timing, format and drift summary (the ZIP kind packs clips the same way, as
stored). Options ``template`` and ``sidecars`` as for packages.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from assets.exports.package import PackageEntry, write_package
from assets.video.decode import read_frames
from assets.video.encode import SUFFIXES, VideoFormat, write_video
from assets.video.probe import probe
from canvas.exports.formats import clips, sources
from canvas.exports.formats.package import _template, package_facts
from canvas.exports.formats.provenance import provenance_by_asset
from canvas.exports.kinds import InvalidExport, ProgressFn, Written
from canvas.exports.models import Export

FORMATS = {
    "prores_4444": VideoFormat.PRORES_4444,
    "prores_422_hq": VideoFormat.PRORES_422_HQ,
    "mp4": VideoFormat.MP4,
    "png_zip": VideoFormat.PNG_ZIP,
}
MIME = {".mov": "video/quicktime", ".mp4": "video/mp4", ".zip": "application/zip"}
NOTHING = "Nothing to export as video"


def _format(options: dict[str, Any]) -> VideoFormat:
    name = options.get("format", "prores_4444")
    if name not in FORMATS:
        raise InvalidExport(
            f"format {name!r} is not a video format; use one of {', '.join(FORMATS)} "
            "(ProRes 4444, ProRes 422 HQ, H.264 MP4, PNG sequence)."
        )
    return FORMATS[name]


def encode_clip(picture: clips.ClipPicture, fmt: VideoFormat, out: Path) -> Path:
    """Decode the stored clip and write it in ``fmt`` at its own frame rate (alpha kept for
    ProRes 4444 and PNG when the clip has it)."""
    with clips.local_copy(picture.asset) as source:
        info = probe(source)
        write_video(read_frames(source, alpha=info.has_alpha), out, info.frame_rate, fmt)
    return out


def _clips(board: Any, selection: dict[str, Any], options: dict[str, Any]) -> list[Any]:
    """The selection's clips, or the refusal that says why there are none."""
    found = clips.selected_clips(board, selection, options)
    return clips.require_clips(found, NOTHING, board, selection, options)


def _open_binary(path: Path) -> BinaryIO:
    return path.open("rb")


class VideoKind:
    name = "video"

    def check(self, board: Any, selection: dict[str, Any], options: dict[str, Any]) -> None:
        _format(options)
        _template(options)
        if not isinstance(options.get("sidecars", True), bool):
            raise InvalidExport("sidecars must be true or false.")
        if "job" in selection:
            raise InvalidExport(
                f"{NOTHING}: select video items, a frame around them or a batch of video jobs."
            )
        _clips(board, selection, options)

    def write(self, export: Export, out: BinaryIO, progress: ProgressFn) -> Written:
        board = export.board
        fmt = _format(export.options)
        found = _clips(board, export.selection, export.options)
        suffix = SUFFIXES[fmt]
        with tempfile.TemporaryDirectory(prefix="export-video-") as folder:
            # A batch is always a package: its manifest names the batch and each clip's values.
            if len(found) == 1 and "batch" not in export.selection:
                progress(0.05, "Encoding the clip")
                encoded = encode_clip(found[0], fmt, Path(folder) / f"clip{suffix}")
                with encoded.open("rb") as handle:
                    while chunk := handle.read(1024 * 1024):
                        out.write(chunk)
                name = sources.stem(board.name, found[0].name, fmt.value)
                return Written(file_name=f"{name}{suffix}", mime_type=MIME[suffix])
            batch = self._package(export, found, fmt, Path(folder), out, progress)
        name = sources.stem(board.name, batch or "", fmt.value, "clips")
        return Written(file_name=f"{name}.zip", mime_type="application/zip")

    def _package(
        self,
        export: Export,
        found: list[clips.ClipPicture],
        fmt: VideoFormat,
        folder: Path,
        out: BinaryIO,
        progress: ProgressFn,
    ) -> str | None:
        """Write the package; returns the batch's name when the clips are a batch's."""
        board = export.board
        records = provenance_by_asset(board, found)
        total = len(found)
        batch = next((r.batch for r in records.values() if r.batch), None)
        if "batch" not in export.selection:
            batch = None

        def entries() -> Iterator[PackageEntry]:
            for index, picture in enumerate(found, start=1):
                progress(0.05 + 0.9 * (index - 1) / total, f"Encoding clip {index} of {total}")
                path = encode_clip(picture, fmt, folder / f"{index}{SUFFIXES[fmt]}")
                record = clips.with_clip_facts(records[picture.asset_id], picture, fmt.value)
                yield PackageEntry(
                    open=functools.partial(_open_binary, path),
                    provenance=record,
                    extension=SUFFIXES[fmt].lstrip("."),
                    naming=clips.naming(board, picture, record, index),
                )

        write_package(
            out,
            entries(),
            template=_template(export.options),
            package=package_facts(
                export, video_format=fmt.value, **({"batch": batch} if batch else {})
            ),
            sidecars=export.options.get("sidecars", True),
        )
        return batch


VIDEO = VideoKind()
