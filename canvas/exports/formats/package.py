"""ZIP packages: the selected images (every image in a frame, or a batch's approved — or
all — results) and video clips (a batch's video results too: their stored original, with
the manifest's ``clip`` facts: canvas.exports.formats.clips) as stored, each with a JSON
sidecar, and the provenance manifest in JSON and CSV (assets.exports.package); a batch's
name and each file's variable values are in the manifest.

Files are streamed into the archive from storage one at a time and checked against their
stored SHA-256; the archive goes to the run's temporary file, so memory does not grow with
the package. Options: ``template`` (the naming template, default
``{campaign}_{variant}_{seed}_{w}x{h}``), ``sidecars`` (default true),
``content_credentials`` (signing.py: PNG and JPEG files a job made are signed under their
name in the package, through a temporary copy; the manifest says which files carry them),
and for a batch ``results`` (``approved``, the default, or ``all``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, BinaryIO

from django.utils import timezone

from assets import storage
from assets.exports.package import DEFAULT_TEMPLATE, PackageEntry, check_template, write_package
from canvas.exports.formats import clips, signing, sources
from canvas.exports.formats.provenance import provenance_by_asset
from canvas.exports.kinds import InvalidExport, ProgressFn, Written
from canvas.exports.models import Export

EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "TIFF": "tif", "GIF": "gif"}


def _template(options: dict[str, Any]) -> str:
    template = options.get("template", DEFAULT_TEMPLATE)
    if not isinstance(template, str):
        raise InvalidExport("template must be text, e.g. {campaign}_{variant}_{seed}_{w}x{h}.")
    try:
        check_template(template)
    except ValueError as exc:
        raise InvalidExport(str(exc)) from None
    return template


def package_facts(export: Export, **more: Any) -> dict[str, Any]:
    """The manifest's ``package`` object: the board, who exported it, when, the export."""
    return {
        "board": export.board.name,
        "exported_by": export.requested_by.get_username() if export.requested_by else None,
        "created_at": timezone.now().isoformat(),
        "export": str(export.pk),
        **more,
    }


def _pictures(
    board: Any, selection: dict[str, Any], options: dict[str, Any]
) -> tuple[list[sources.Picture], Any, list[clips.ClipPicture]]:
    """The images, the frame and the video clips to pack: a selection of only clips is a
    package too; one with neither is refused with the images' sentence."""
    found = clips.selected_clips(board, selection, options)
    try:
        items, frame = sources.selected_images(
            board, selection, "Nothing to package", options, stills_only=True
        )
    except InvalidExport:
        if not found:
            raise
        frame = sources.frame_of(board, selection["frame"]) if "frame" in selection else None
        items = []
    return items, frame, found


class ZipKind:
    name = "zip"

    def check(self, board: Any, selection: dict[str, Any], options: dict[str, Any]) -> None:
        _template(options)
        if not isinstance(options.get("sidecars", True), bool):
            raise InvalidExport("sidecars must be true or false.")
        signing.wanted(options)
        _pictures(board, selection, options)

    def write(self, export: Export, out: BinaryIO, progress: ProgressFn) -> Written:
        board = export.board
        items, frame, found = _pictures(board, export.selection, export.options)
        progress(0.02, "Gathering provenance")
        records = provenance_by_asset(board, [*items, *found], frame)
        total = len(items) + len(found)
        batch_name = next((r.batch for r in records.values() if r.batch), None)
        sign = signing.wanted(export.options)

        def entries():
            for index, item in enumerate(items, start=1):
                assert item.asset is not None
                blob = item.asset.blob
                record = records[item.asset_id]
                naming = {
                    "campaign": board.name,
                    "variant": item.name or f"{index:03d}",
                    "seed": record.seed if record.seed is not None else "",
                    "w": blob.width,
                    "h": blob.height,
                    "asset": str(item.asset_id)[:8],
                    "engine": record.engine or "",
                    "board": board.name,
                    "frame": frame.name if frame is not None else "",
                }
                generation = (
                    signing.generation_of(record, "")
                    if sign and blob.format.upper() in signing.SIGNED_TYPES
                    else None
                )
                yield PackageEntry(
                    open=lambda key=blob.storage_key: storage.open_file(key),
                    provenance=dataclasses.replace(
                        record, content_credentials=generation is not None
                    ),
                    extension=EXTENSIONS.get(blob.format.upper(), "bin"),
                    naming=naming,
                    # A signed copy is not the stored bytes: signing checks those first.
                    expected_sha256=blob.sha256 if generation is None else None,
                    open_named=None
                    if generation is None
                    else signing.signing_opener(blob, generation),
                )
            for index, picture in enumerate(found, start=len(items) + 1):
                fmt = clips.stored_format(picture.asset)
                record = clips.with_clip_facts(records[picture.asset_id], picture, fmt)
                yield PackageEntry(
                    open=lambda key=picture.asset.blob.storage_key: storage.open_file(key),
                    provenance=record,
                    extension=fmt,
                    naming=clips.naming(board, picture, record, index),
                    expected_sha256=picture.asset.blob_id,
                )

        write_package(
            out,
            entries(),
            template=_template(export.options),
            package=package_facts(export, **({"batch": batch_name} if batch_name else {})),
            sidecars=export.options.get("sidecars", True),
            progress=lambda files, _bytes: progress(
                0.05 + 0.9 * files / total, f"Packed {files} of {total}"
            ),
        )
        what = frame.name if frame is not None else (batch_name or "")
        name = sources.stem(board.name, what, "package")
        return Written(file_name=f"{name}.zip", mime_type="application/zip")


ZIP = ZipKind()
