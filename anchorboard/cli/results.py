"""``anchorboard batch results``: a batch's results as a table, JSON or CSV, and their files.

Rows come from ``GET /batches/{id}/results`` (docs/batches.md "Results"), every page, with
the API's own filters (``var``, ``decision``, ``drift``). Each row is flattened here to what
a spreadsheet or a pipeline wants: the result, its job, seed, one column per variable,
the review decision, drift (its first flag's message) and the drift detector's score per
metric; ``--download`` saves each result's
original (``GET /assets/{id}/file``) under a name built from the same values.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

BASE_COLUMNS = ("result", "job", "index", "seed", "status", "decision", "drift", "drift_reason")
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/tiff": "tif"}


def _names(rows: list[dict[str, Any]], read: Any) -> list[str]:
    """Every key ``read(row)`` gives, in first-seen order (the spec's order for values)."""
    names: dict[str, None] = {}
    for row in rows:
        for name in read(row):
            names.setdefault(name, None)
    return list(names)


def variable_names(rows: list[dict[str, Any]]) -> list[str]:
    return _names(rows, lambda row: row.get("variables") or {})


def scores(row: dict[str, Any]) -> dict[str, float]:
    """The drift detector's score per metric (none until the result was checked)."""
    reading = row.get("consistency")
    found = reading.get("scores") if isinstance(reading, dict) else None
    return dict(found) if isinstance(found, dict) else {}


def metric_names(rows: list[dict[str, Any]]) -> list[str]:
    return _names(rows, scores)


def drift_reason(row: dict[str, Any]) -> str:
    reading = row.get("consistency")
    flags = reading.get("flags") if isinstance(reading, dict) else None
    return str(flags[0].get("message", "")) if flags else ""


def flat(row: dict[str, Any], names: list[str], metrics: list[str]) -> dict[str, Any]:
    """One result as one line: the base columns, ``var:<name>`` per variable, then
    ``score:<metric>`` per drift metric."""
    line: dict[str, Any] = {
        "result": row["id"],
        "job": row["job"],
        "index": row.get("index"),
        "seed": row.get("seed"),
        "status": row.get("status"),
        "decision": row.get("decision"),
        "drift": bool(row.get("drift")),
        "drift_reason": drift_reason(row),
    }
    values = row.get("variables") or {}
    for name in names:
        line[f"var:{name}"] = values.get(name, "")
    found = scores(row)
    for metric in metrics:
        line[f"score:{metric}"] = found.get(metric, "")
    return line


def columns(rows: list[dict[str, Any]]) -> tuple[list[str], list[str], list[str]]:
    """(all column names, variable names, metric names) for these rows."""
    names, metrics = variable_names(rows), metric_names(rows)
    return (
        [*BASE_COLUMNS, *(f"var:{n}" for n in names), *(f"score:{m}" for m in metrics)],
        names,
        metrics,
    )


def to_csv(rows: list[dict[str, Any]]) -> str:
    fields, names, metrics = columns(rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(flat(row, names, metrics))
    return buffer.getvalue()


def file_stem(row: dict[str, Any], position: int) -> str:
    """``003_boot_sand_seed-1234_5f0e1a2b``: expansion position, the values, the seed and
    the result id's start — unique, sortable, and readable without the CSV."""
    parts = [f"{position:03d}", *(str(v) for v in (row.get("variables") or {}).values())]
    parts += [f"seed-{row.get('seed')}", str(row["id"])[:8]]
    return "_".join(re.sub(r"[^A-Za-z0-9.-]+", "-", p).strip("-") or "x" for p in parts)


def extension(content_type: str) -> str:
    return EXTENSIONS.get(content_type, "bin")
