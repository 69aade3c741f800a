"""Provenance manifests of an export package: one record per file, as JSON, CSV and a
JSON sidecar per file.

A record says where a delivered file came from and what was decided about it: the asset,
the file's name, size and SHA-256 in the package, whether it carries signed Content
Credentials, the board, frame, batch (its name) and the batch's variable values that made
it, the job, the engine and
model, prompt, negative prompt and seed, the anchors by role with their SHA-256, the brand
kit version, the drift scores, the review decisions (who, when) and the licence and owner.
``MANIFEST_SCHEMA`` (JSON Schema, draft 2020-12) is the contract of the JSON forms; the
CSV has the same fields, with lists flattened into one cell each (documented in
docs/exports.md).

Must not import Django or ``canvas``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MANIFEST_FORMAT = "anchorboard.export-manifest/1"


@dataclass(frozen=True)
class AnchorRef:
    """An anchor a result was made with: its role, its name on the board, its file's hash."""

    role: str
    name: str
    sha256: str


@dataclass(frozen=True)
class DecisionRef:
    """A review decision on the file's asset: what, by whom (display name), when (ISO 8601)."""

    decision: str
    by: str
    at: str
    note: str = ""


@dataclass(frozen=True)
class ClipFacts:
    """What a clip adds to its provenance (docs/video.md): the still it was made from, its
    timing and its temporal-drift summary (the per-second curve stays on the board).
    Engine, model, prompt and seed are the record's own fields."""

    source_asset: str | None = None  # the still the clip started from
    source_sha256: str | None = None
    duration: float | None = None  # seconds
    fps: float | None = None
    frame_count: int | None = None
    format: str = ""  # the file's format in the package (mp4, prores_4444, …)
    drift_worst_second: int | None = None
    drift_worst_score: float | None = None  # 1.0 = at tolerance
    drift_onset_second: int | None = None
    drift_flagged: bool | None = None  # None: not scored


@dataclass(frozen=True)
class Provenance:
    """Where an asset came from; what the caller knows before the file is written."""

    asset: str
    board: str
    frame: str | None = None
    batch: str | None = None  # the name of the batch whose job made it
    variables: Mapping[str, str] = field(default_factory=dict)  # the batch's values for it
    job: str | None = None
    engine: str | None = None
    model: str | None = None
    prompt: str = ""
    negative_prompt: str = ""
    seed: int | None = None
    anchors: Sequence[AnchorRef] = ()
    brand_kit_version: int | None = None
    drift_scores: Mapping[str, float] = field(default_factory=dict)
    decisions: Sequence[DecisionRef] = ()
    licence: str = ""
    owner: str = ""
    # The file itself carries signed Content Credentials (C2PA, assets/exports/credentials.py).
    content_credentials: bool = False
    # A video clip's facts (``ClipFacts``); None for a still.
    clip: ClipFacts | None = None


@dataclass(frozen=True)
class ManifestRecord:
    """A file in a package and its provenance; size and hash are of the bytes written."""

    file_name: str
    size: int
    sha256: str
    provenance: Provenance


FIELDS = (
    "asset",
    "file_name",
    "size",
    "sha256",
    "content_credentials",
    "board",
    "frame",
    "batch",
    "variables",
    "job",
    "engine",
    "model",
    "prompt",
    "negative_prompt",
    "seed",
    "anchors",
    "brand_kit_version",
    "drift_scores",
    "decisions",
    "licence",
    "owner",
    "clip",
)

_TEXT = {"type": "string"}
_OPTIONAL_TEXT = {"type": ["string", "null"]}
_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_OPTIONAL_NUMBER = {"type": ["number", "null"]}
_OPTIONAL_INT = {"type": ["integer", "null"]}
CLIP_SCHEMA: dict[str, Any] = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "required": [
        "source_asset",
        "source_sha256",
        "duration",
        "fps",
        "frame_count",
        "format",
        "drift_worst_second",
        "drift_worst_score",
        "drift_onset_second",
        "drift_flagged",
    ],
    "properties": {
        "source_asset": _OPTIONAL_TEXT,
        "source_sha256": {"anyOf": [_SHA256, {"type": "null"}]},
        "duration": _OPTIONAL_NUMBER,
        "fps": _OPTIONAL_NUMBER,
        "frame_count": _OPTIONAL_INT,
        "format": _TEXT,
        "drift_worst_second": _OPTIONAL_INT,
        "drift_worst_score": _OPTIONAL_NUMBER,
        "drift_onset_second": _OPTIONAL_INT,
        "drift_flagged": {"type": ["boolean", "null"]},
    },
}
RECORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": list(FIELDS),
    "properties": {
        "asset": _TEXT,
        "file_name": {"type": "string", "minLength": 1},
        "size": {"type": "integer", "minimum": 0},
        "sha256": _SHA256,
        "content_credentials": {"type": "boolean"},
        "board": _TEXT,
        "frame": _OPTIONAL_TEXT,
        "batch": _OPTIONAL_TEXT,
        "variables": {"type": "object", "additionalProperties": _TEXT},
        "job": _OPTIONAL_TEXT,
        "engine": _OPTIONAL_TEXT,
        "model": _OPTIONAL_TEXT,
        "prompt": _TEXT,
        "negative_prompt": _TEXT,
        "seed": {"type": ["integer", "null"]},
        "anchors": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["role", "name", "sha256"],
                "properties": {"role": _TEXT, "name": _TEXT, "sha256": _SHA256},
            },
        },
        "brand_kit_version": {"type": ["integer", "null"]},
        "drift_scores": {"type": "object", "additionalProperties": {"type": "number"}},
        "decisions": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["decision", "by", "at", "note"],
                "properties": {"decision": _TEXT, "by": _TEXT, "at": _TEXT, "note": _TEXT},
            },
        },
        "licence": _TEXT,
        "owner": _TEXT,
        "clip": CLIP_SCHEMA,
    },
}
MANIFEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Anchorboard export manifest",
    "type": "object",
    "additionalProperties": False,
    "required": ["format", "package", "files"],
    "properties": {
        "format": {"const": MANIFEST_FORMAT},
        "package": {"type": "object"},
        "files": {"type": "array", "items": RECORD_SCHEMA},
    },
}
SIDECAR_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Anchorboard export sidecar",
    "type": "object",
    "additionalProperties": False,
    "required": ["format", "file"],
    "properties": {"format": {"const": MANIFEST_FORMAT}, "file": RECORD_SCHEMA},
}


def record_dict(record: ManifestRecord) -> dict[str, Any]:
    """One record as the JSON object of ``RECORD_SCHEMA`` (fields in ``FIELDS`` order)."""
    source = record.provenance
    values: dict[str, Any] = {
        "asset": source.asset,
        "file_name": record.file_name,
        "size": record.size,
        "sha256": record.sha256,
        "content_credentials": source.content_credentials,
        "board": source.board,
        "frame": source.frame,
        "batch": source.batch,
        "variables": {str(name): str(value) for name, value in source.variables.items()},
        "job": source.job,
        "engine": source.engine,
        "model": source.model,
        "prompt": source.prompt,
        "negative_prompt": source.negative_prompt,
        "seed": source.seed,
        "anchors": [{"role": a.role, "name": a.name, "sha256": a.sha256} for a in source.anchors],
        "brand_kit_version": source.brand_kit_version,
        "drift_scores": {name: float(score) for name, score in source.drift_scores.items()},
        "decisions": [
            {"decision": d.decision, "by": d.by, "at": d.at, "note": d.note}
            for d in source.decisions
        ],
        "licence": source.licence,
        "owner": source.owner,
        "clip": dataclasses.asdict(source.clip) if source.clip is not None else None,
    }
    return {name: values[name] for name in FIELDS}


def _encode(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def manifest_json(
    records: Iterable[ManifestRecord], package: Mapping[str, Any] | None = None
) -> bytes:
    """The package manifest as UTF-8 JSON (``MANIFEST_SCHEMA``). ``package`` describes the
    package as a whole (board name, created at, who exported it…), free-form."""
    return _encode(
        {
            "format": MANIFEST_FORMAT,
            "package": dict(package or {}),
            "files": [record_dict(record) for record in records],
        }
    )


def sidecar_json(record: ManifestRecord) -> bytes:
    """One file's record as UTF-8 JSON (``SIDECAR_SCHEMA``), stored next to the file."""
    return _encode({"format": MANIFEST_FORMAT, "file": record_dict(record)})


def sidecar_name(file_name: str) -> str:
    return f"{file_name}.json"


def manifest_csv(records: Iterable[ManifestRecord]) -> bytes:
    """The manifest as UTF-8 CSV with a header row of ``FIELDS`` (a BOM, for Excel).

    Lists are one cell each: anchors ``role:name:sha256``, decisions
    ``decision by <who> at <when>``, drift scores ``metric=score``, variables
    ``name=value``, joined by `` | ``.
    Cells that a spreadsheet would run as a formula (leading ``= + - @``) get a ``'``.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for record in records:
        row = record_dict(record)
        row["anchors"] = " | ".join(
            f"{a['role']}:{a['name']}:{a['sha256']}" for a in row["anchors"]
        )
        row["decisions"] = " | ".join(
            f"{d['decision']} by {d['by']} at {d['at']}" + (f" ({d['note']})" if d["note"] else "")
            for d in row["decisions"]
        )
        row["drift_scores"] = " | ".join(f"{k}={v:g}" for k, v in row["drift_scores"].items())
        row["variables"] = " | ".join(f"{k}={v}" for k, v in row["variables"].items())
        row["content_credentials"] = "true" if row["content_credentials"] else "false"
        row["clip"] = _clip_cell(row["clip"])
        writer.writerow([_cell(row[name]) for name in FIELDS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _clip_cell(clip: Mapping[str, Any] | None) -> str:
    """``name=value`` pairs of a clip's facts (unknown ones left out), `` | `` between."""
    if clip is None:
        return ""
    shown = {k: ("true" if v else "false") if isinstance(v, bool) else v for k, v in clip.items()}
    return " | ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                      for k, v in shown.items() if v not in (None, ""))  # fmt: skip


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if text[:1] in ("=", "+", "-", "@") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
