"""Checking an export request before anything is queued: kind, selection, options.

``check_request(board, payload)`` turns the API's body into ``(kind, selection, options)``
or raises ``InvalidExport`` / ``KindNotAvailable`` (400) with a sentence that says what is
wrong: an unknown kind, no selection or more than one, an empty one, items, a frame, a
batch or a job that are not (or no longer) on the board, the option ``result`` (one
result of a batch) without a batch. The kind then checks what only it knows
(canvas.exports.kinds; a batch's ``results`` / ``result`` in formats/sources.py). Reads
only.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from canvas.exports import kinds
from canvas.exports.kinds import InvalidExport
from canvas.models import Batch, Board, Item, ItemKind, Job

MAX_ITEMS = 500
MAX_OPTIONS_BYTES = 4096
SELECTORS = ("items", "frame", "batch", "job")


def _uuid(value: Any, what: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        raise InvalidExport(f"{what} {value!r} is not an id.") from None


def check_selection(board: Board, payload: dict[str, Any]) -> dict[str, Any]:
    given = [name for name in SELECTORS if payload.get(name) is not None]
    if not given:
        raise InvalidExport(
            'Say what to export: "items" (a list of item ids), "frame" (a frame\'s id), '
            '"batch" (a batch\'s id) or "job" (a job\'s id: its region\'s history).'
        )
    if len(given) > 1:
        raise InvalidExport(f"Give one of items, frame, batch or job, not {' and '.join(given)}.")
    name = given[0]
    value = payload[name]
    if name == "items":
        if not isinstance(value, list):
            raise InvalidExport('"items" must be a list of item ids.')
        if not value:
            raise InvalidExport("The selection is empty: choose at least one item to export.")
        if len(value) > MAX_ITEMS:
            raise InvalidExport(f"At most {MAX_ITEMS} items can be exported at once.")
        ids = list(dict.fromkeys(_uuid(v, "Item") for v in value))
        found = {
            str(pk)
            for pk in Item.objects.filter(board=board, deleted=False, pk__in=ids).values_list(
                "pk", flat=True
            )
        }
        missing = [i for i in ids if i not in found]
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise InvalidExport(
                f"Item {missing[0]}{more} is not on this board (or was deleted); "
                "select the items again."
            )
        return {"items": ids}
    if name == "frame":
        frame_id = _uuid(value, "Frame")
        if not Item.objects.filter(
            board=board, deleted=False, kind=ItemKind.FRAME, pk=frame_id
        ).exists():
            raise InvalidExport(f"Frame {frame_id} is not a frame on this board (or was deleted).")
        return {"frame": frame_id}
    if name == "job":
        job_id = _uuid(value, "Job")
        if not Job.objects.filter(board=board, pk=job_id).exists():
            raise InvalidExport(f"Job {job_id} is not a job of this board.")
        return {"job": job_id}
    batch_id = _uuid(value, "Batch")
    if not Batch.objects.filter(board=board, pk=batch_id).exists():
        raise InvalidExport(f"Batch {batch_id} is not a batch of this board.")
    return {"batch": batch_id}


def check_request(board: Board, payload: dict[str, Any]) -> tuple[str, dict[str, Any], dict]:
    if not isinstance(payload, dict):
        raise InvalidExport('The request must be a JSON object with "kind" and a selection.')
    raw_kind = payload.get("kind")
    if not isinstance(raw_kind, str) or not raw_kind:
        raise InvalidExport(
            'Say which kind of export: "kind" is one of psd, png, tiff16, zip, pdf, video.'
        )
    options = payload.get("options")
    options = {} if options is None else options
    if not isinstance(options, dict):
        raise InvalidExport('"options" must be an object.')
    if len(json.dumps(options)) > MAX_OPTIONS_BYTES:
        raise InvalidExport(f'"options" may hold at most {MAX_OPTIONS_BYTES} bytes.')
    kind = kinds.get(raw_kind)
    selection = check_selection(board, payload)
    if options.get("result") is not None and "batch" not in selection:
        raise InvalidExport(
            '"result" picks one result of a batch: give "batch" (its id) as the selection.'
        )
    kind.check(board, selection, options)
    return raw_kind, selection, options
