"""The export test: the PSD, 16-bit TIFF, ZIP with manifest and contact sheet, made by the
export pipeline (canvas.exports) from the consistency test's results and read back with
independent readers (canvas.pilot.readers).

What each file holds:

- **PSD**: the first delivered variation's job — its region's history, the original under
  it and its results as layers (selection ``job``);
- **16-bit TIFF**: the product shot the variations were made from (a TIFF holds one image,
  and results stay staged until someone places them, so the shot under test is the one
  image item the pilot may use without changing the board);
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

from django.utils import timezone

from assets import storage
from canvas.exports.models import Export, ExportState
from canvas.exports.services import TooManyExports, request_export
from canvas.models import Job, JobState
from canvas.pilot import thresholds
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


def _request(run: PilotRun, kind: str) -> dict[str, Any]:
    if kind == "psd":
        job = (
            Job.objects.filter(
                batch_id=batch_key(run.consistency_batch_id), state=JobState.SUCCEEDED
            )
            .order_by("position")
            .values_list("pk", flat=True)
            .first()
        )
        if job is None:
            raise AppError("No variation was delivered, so there is no job history to export.")
        return {"kind": kind, "job": str(job)}
    if kind == "tiff16":
        target = run.settings["target"]
        if "item_id" not in target:
            raise AppError("The pilot's target is a region, not an image item, to export alone.")
        return {"kind": kind, "items": [target["item_id"]]}
    return {"kind": kind, "batch": str(run.consistency_batch_id), "options": {"results": "all"}}


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
            export = request_export(run.board, run.created_by, _request(run, kind))
        except TooManyExports:
            return None  # the person's other exports first; a later tick asks again
        except AppError as exc:
            asked[kind] = {"refused": exc.message}
            continue
        asked[kind] = {"id": str(export.pk)}
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


def read_back(export: Export) -> tuple[bool, str]:
    """Copy the stored file to a temporary file (readers need to seek) and read it."""
    _, reader = READERS[export.kind]
    try:
        source, _ = storage.open_stream(export.file_key)
    except (FileNotFoundError, OSError) as exc:
        return False, f"The file is not in storage ({exc.__class__.__name__})."
    with source, tempfile.NamedTemporaryFile(suffix=f".{export.kind}") as local:
        shutil.copyfileobj(source, local, 1 << 20)
        local.seek(0)
        return reader(local)


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
                row["opened"], row["detail"] = read_back(export)
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
