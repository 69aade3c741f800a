"""ZIP packages: the selected images (or every image in a frame) as stored, each with a
JSON sidecar, and the provenance manifest in JSON and CSV (assets.exports.package).

Files are streamed into the archive from storage one at a time and checked against their
stored SHA-256; the archive goes to the run's temporary file, so memory does not grow with
the package. Options: ``template`` (the naming template, default
``{campaign}_{variant}_{seed}_{w}x{h}``), ``sidecars`` (default true).
"""

from __future__ import annotations

from typing import Any, BinaryIO

from django.utils import timezone

from assets import storage
from assets.exports.package import DEFAULT_TEMPLATE, PackageEntry, check_template, write_package
from canvas.exports.formats import sources
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


class ZipKind:
    name = "zip"

    def check(self, board: Any, selection: dict[str, Any], options: dict[str, Any]) -> None:
        _template(options)
        if not isinstance(options.get("sidecars", True), bool):
            raise InvalidExport("sidecars must be true or false.")
        sources.selected_images(board, selection, "Nothing to package")

    def write(self, export: Export, out: BinaryIO, progress: ProgressFn) -> Written:
        board = export.board
        items, frame = sources.selected_images(board, export.selection, "Nothing to package")
        progress(0.02, "Gathering provenance")
        records = provenance_by_asset(board, items, frame)
        total = len(items)

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
                yield PackageEntry(
                    open=lambda key=blob.storage_key: storage.open_file(key),
                    provenance=record,
                    extension=EXTENSIONS.get(blob.format.upper(), "bin"),
                    naming=naming,
                    expected_sha256=blob.sha256,
                )

        write_package(
            out,
            entries(),
            template=_template(export.options),
            package={
                "board": board.name,
                "exported_by": export.requested_by.get_username() if export.requested_by else None,
                "created_at": timezone.now().isoformat(),
                "export": str(export.pk),
            },
            sidecars=export.options.get("sidecars", True),
            progress=lambda files, _bytes: progress(
                0.05 + 0.9 * files / total, f"Packed {files} of {total}"
            ),
        )
        name = sources.stem(board.name, frame.name if frame is not None else "", "package")
        return Written(file_name=f"{name}.zip", mime_type="application/zip")


ZIP = ZipKind()
