"""What people see of consistency scores: a result's latest check, read from stored rows.

``consistency_of`` / ``consistency_by_asset`` turn ``ConsistencyScore`` rows into the
protocol's ``Consistency`` payload (``{drift, scores, flags}``, canvas/protocol/governance.py)
or ``None`` while an image has not been scored. An image's *latest* check is the reference
set (fingerprint) its most recently written row belongs to: editing the anchors does not
hide what an image was last checked against. One query for any number of images.

Reads only: no metrics (so no SciPy or OpenCV import: the board socket, the review list and
the job payloads call this), no writes. Callers check who may see it (review data: any role
on the board; guests only through a link that shares decisions).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from canvas.governance.models import ConsistencyScore

Consistency = dict[str, Any]
FLAG_FIELDS = ("metric", "component", "value", "threshold", "message")


def _flag_order(flag: dict[str, Any]) -> tuple[float, float]:
    # ``rank`` is the check's own order (most severe first, the light before the palette it
    # tinted); rows written before it was stored fall back to the relative excess.
    if "rank" in flag:
        return (float(flag["rank"]), 0.0)
    threshold = float(flag.get("threshold") or 0) or 1.0
    return (float("inf"), -(float(flag.get("value") or 0) - threshold) / abs(threshold))


def _payload(rows: list[ConsistencyScore]) -> Consistency:
    flags = sorted((row.flag for row in rows if row.flag), key=_flag_order)
    return {
        "drift": bool(flags),
        "scores": {row.metric: round(row.score, 4) for row in rows},
        "flags": [{key: flag[key] for key in FLAG_FIELDS} for flag in flags],
    }


def consistency_by_asset(asset_ids: Iterable[Any]) -> dict[Any, Consistency | None]:
    """The latest consistency of each image, by asset id (``None``: not scored yet)."""
    ids = list(dict.fromkeys(asset_ids))
    found: dict[Any, Consistency | None] = dict.fromkeys(ids)
    if not ids:
        return found
    latest: dict[Any, tuple[Any, str]] = {}
    rows: dict[tuple[Any, str], list[ConsistencyScore]] = {}
    for row in ConsistencyScore.objects.filter(asset_id__in=ids).order_by("updated_at", "pk"):
        latest[row.asset_id] = (row.updated_at, row.fingerprint)
        rows.setdefault((row.asset_id, row.fingerprint), []).append(row)
    for asset_id, (_, fingerprint) in latest.items():
        found[asset_id] = _payload(rows[(asset_id, fingerprint)])
    return found


def consistency_of(asset_id: Any) -> Consistency | None:
    return consistency_by_asset([asset_id])[asset_id]
