"""The export test: the PSD, 16-bit TIFF, ZIP with manifest and contact sheet, made by the
export pipeline (canvas.exports) from the consistency test's results and read back with
independent readers (canvas.pilot.readers).

What each file holds:

- **PSD**: the first delivered variation's job — its region's history, the original under
  it and its results as layers (selection ``job``);
- **16-bit TIFF**: the first delivered variation's result — the batch selection narrowed
  to that one result (options ``results: all``, ``result``: its id), so the file is a
  real result of the provider under test, staged or not, and the board is not changed.
  Read back, its pixels are compared with the result's own (decoded from storage): a TIFF
  that opens but does not hold the result within rounding counts as not opened;
- **ZIP** and **contact sheet**: every result of the consistency batch (``results: all``).

The exports are asked for one at a time (``step``, on each upkeep tick), so the person's
export cap (ANCHORBOARD_EXPORT_USER_CONCURRENCY) is never the reason a file is missing; a
request the pipeline refuses (no result to export, a board past a size limit) is recorded
with its sentence and counts as a file that did not open. ``run.exports`` holds, by kind,
``{"id": export id}`` or ``{"refused": sentence}``.
"""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

import numpy as np
from django.utils import timezone
from PIL import Image, ImageOps

from assets import storage
from assets.exports.images import is_srgb
from canvas.exports.models import Export, ExportState
from canvas.exports.services import TooManyExports, request_export
from canvas.models import Iteration, JobState
from canvas.pilot import readers, thresholds
from canvas.pilot.models import PilotRun, batch_key
from canvas.pilot.readers import READERS
from canvas.pilot.report import ExportNumbers, ExportRow, TestReport, Verdict
from foundation.errors import AppError

LABELS = {
    "psd": "PSD",
    "tiff16": "16-bit TIFF",
    "zip": "ZIP with manifest",
    "pdf": "contact sheet",
}
ENDED = (ExportState.READY, ExportState.FAILED)


def first_result(run: PilotRun) -> Iteration | None:
    """The first delivered variation's first result (job position, then result index)."""
    return (
        Iteration.objects.filter(
            job__batch_id=batch_key(run.consistency_batch_id), job__state=JobState.SUCCEEDED
        )
        .select_related("asset__blob")
        .order_by("job__position", "index", "pk")
        .first()
    )


def _request(run: PilotRun, kind: str) -> dict[str, Any]:
    batch = str(run.consistency_batch_id)
    if kind in ("psd", "tiff16"):
        result = first_result(run)
        if result is None:
            what = "job history" if kind == "psd" else "result"
            raise AppError(f"No variation was delivered, so there is no {what} to export.")
        if kind == "psd":
            return {"kind": kind, "job": str(result.job_id)}
        options = {"results": "all", "result": str(result.pk)}
        return {"kind": kind, "batch": batch, "options": options}
    return {"kind": kind, "batch": batch, "options": {"results": "all"}}


def due(run: PilotRun) -> bool:
    """Whether the next export should be asked for now: some kind is not asked for yet
    and every export asked for so far has ended. Reads only."""
    asked = run.exports or {}
    if all(kind in asked for kind in thresholds.EXPORT_KINDS):
        return False
    ids = [k["id"] for k in asked.values() if "id" in k]
    return not Export.objects.filter(pk__in=ids).exclude(state__in=ENDED).exists()


def step(run: PilotRun) -> dict[str, Any] | None:
    """Ask for the next export (``due`` said so); returns the new ``exports`` value to
    store, or None when the person's export cap holds it back until a later tick."""
    asked: dict[str, Any] = dict(run.exports or {})
    for kind in thresholds.EXPORT_KINDS:
        if kind in asked:
            continue
        try:
            payload = _request(run, kind)
            export = request_export(run.board, run.created_by, payload)
        except TooManyExports:
            return None  # the person's other exports first; a later tick asks again
        except AppError as exc:
            asked[kind] = {"refused": exc.message}
            continue
        asked[kind] = {"id": str(export.pk)}
        if "result" in payload.get("options", {}):
            asked[kind]["result"] = payload["options"]["result"]  # compared when read back
        break
    return asked


def ready(run: PilotRun) -> bool:
    asked = run.exports or {}
    if any(kind not in asked for kind in thresholds.EXPORT_KINDS):
        return False
    ids = [k["id"] for k in asked.values() if "id" in k]
    return not Export.objects.filter(pk__in=ids).exclude(state__in=ENDED).exists()


def progress(run: PilotRun) -> float:
    asked = run.exports or {}
    ids = [k["id"] for k in asked.values() if "id" in k]
    ended = Export.objects.filter(pk__in=ids, state__in=ENDED).count()
    refused = sum("refused" in k for k in asked.values())
    return (ended + refused) / len(thresholds.EXPORT_KINDS)


def result_pixels(result_id: Any) -> tuple[np.ndarray | None, str]:
    """The 8-bit pixels of the result a file was made from (decoded from storage), or None
    with why they cannot be compared: a result in another colour space is converted to
    sRGB by the export, so its numbers differ by design."""
    result = Iteration.objects.select_related("asset__blob").filter(pk=result_id).first()
    if result is None or result.asset is None:
        return None, "the result it was made from is gone"
    try:
        with storage.open_file(result.asset.blob.storage_key) as handle:
            image = ImageOps.exif_transpose(Image.open(handle))
            image.load()
    except (FileNotFoundError, OSError) as exc:
        return None, f"the result's file could not be read ({exc.__class__.__name__})"
    if not is_srgb(image.info.get("icc_profile")):
        return None, "pixels not compared: the result carries its own colour profile"
    alpha = "A" in image.getbands() or "transparency" in image.info
    return np.asarray(image.convert("RGBA" if alpha else "RGB")), ""


def read_back(export: Export, result_id: Any = None) -> tuple[bool, str]:
    """Copy the stored file to a temporary file (readers need to seek) and read it; a
    16-bit TIFF of a result is also compared with that result's pixels."""
    _, reader = READERS[export.kind]
    expected, note = result_pixels(result_id) if result_id else (None, "")
    try:
        source, _ = storage.open_stream(export.file_key)
    except (FileNotFoundError, OSError) as exc:
        return False, f"The file is not in storage ({exc.__class__.__name__})."
    with source, tempfile.NamedTemporaryFile(suffix=f".{export.kind}") as local:
        shutil.copyfileobj(source, local, 1 << 20)
        local.seek(0)
        if expected is not None:
            return readers.read_tiff16(local, expected)
        opened, detail = reader(local)
    return opened, f"{detail} ({note})" if note and opened else detail


def rows_of(run: PilotRun) -> list[ExportRow]:
    asked = run.exports or {}
    ids = [k["id"] for k in asked.values() if "id" in k]
    exports = {str(e.pk): e for e in Export.objects.filter(pk__in=ids)}
    rows: list[ExportRow] = []
    for kind in thresholds.EXPORT_KINDS:
        entry = asked.get(kind, {})
        reader_name, _ = READERS[kind]
        row: ExportRow = {
            "kind": kind,
            "export": entry.get("id"),
            "state": "not_started",
            "error_code": "",
            "file_name": "",
            "size": None,
            "reader": reader_name,
            "opened": False,
            "detail": entry.get("refused") or "Not asked for (the run ended first).",
        }
        export = exports.get(entry.get("id", ""))
        if export is not None:
            row["state"], row["error_code"] = export.state, export.error_code
            row["file_name"], row["size"] = export.file_name, export.size
            if export.state == ExportState.READY and export.file_key:
                row["opened"], row["detail"] = read_back(export, entry.get("result"))
            else:
                row["detail"] = export.error_message or f"The export ended {export.state}."
        rows.append(row)
    return rows


def judge(rows: list[ExportRow]) -> tuple[Verdict, str, ExportNumbers]:
    numbers: ExportNumbers = {
        "files_requested": len(rows),
        "files_written": sum(row["state"] == ExportState.READY for row in rows),
        "files_opened": sum(row["opened"] for row in rows),
    }
    failed = [row for row in rows if not row["opened"]]
    if not failed:
        names = ", ".join(LABELS[row["kind"]] for row in rows)
        return "production", f"All {len(rows)} files opened: {names}.", numbers
    why = "; ".join(f"{LABELS[row['kind']]}: {row['detail']}" for row in failed)
    return (
        "ideation",
        f"{len(failed)} of {len(rows)} files did not open — {why}",
        numbers,
    )


def result(run: PilotRun, test: TestReport) -> TestReport:
    rows = rows_of(run)
    verdict, reason, numbers = judge(rows)
    return {
        **test,
        "status": "done",
        "verdict": verdict,
        "reason": reason,
        "thresholds": thresholds.export(),
        "finished_at": timezone.now().isoformat(),
        "numbers": dict(numbers),
        "images": [],
        "rows": [dict(row) for row in rows],
    }
