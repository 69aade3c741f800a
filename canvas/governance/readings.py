"""What people see of consistency scores: a result's latest check, read from stored rows.

``consistency_of`` / ``consistency_by_asset`` turn ``ConsistencyScore`` rows into the
protocol's ``Consistency`` payload (``{drift, scores, flags, stale}``,
canvas/protocol/governance.py) or ``None`` while an image has not been scored. ``stale``:
the board's anchors changed after the check and its re-score is pending
(canvas.governance.rescore). An image's *latest* check is the reference
set (fingerprint) its most recently written row belongs to: editing the anchors does not
hide what an image was last checked against. One query for any number of images.

Reads only: no metrics (so no SciPy or OpenCV import: the board socket, the review list and
the job payloads call this), no writes. Callers check who may see it (review data: any role
on the board; guests only through a link that shares decisions).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import F

from canvas.governance.models import ConsistencyScore, Rescore

Consistency = dict[str, Any]
FLAG_FIELDS = ("metric", "component", "value", "threshold", "message")


def _flag_order(flag: dict[str, Any]) -> tuple[float, float]:
    # ``rank`` is the check's own order (most severe first, the light before the palette it
    # tinted); rows written before it was stored fall back to the relative excess.
    if "rank" in flag:
        return (float(flag["rank"]), 0.0)
    threshold = float(flag.get("threshold") or 0) or 1.0
    return (float("inf"), -(float(flag.get("value") or 0) - threshold) / abs(threshold))


def _payload(rows: list[ConsistencyScore], stale: bool) -> Consistency:
    flags = sorted((row.flag for row in rows if row.flag), key=_flag_order)
    return {
        "drift": bool(flags),
        "scores": {row.metric: round(row.score, 4) for row in rows},
        "flags": [{key: flag[key] for key in FLAG_FIELDS} for flag in flags],
        "stale": stale,
    }


def pending_rescores(board_ids: Iterable[Any]) -> dict[Any, Any]:
    """Boards whose anchors changed and whose re-score has not finished: when it was asked."""
    return dict(
        Rescore.objects.filter(board_id__in=set(board_ids), requested__gt=F("done")).values_list(
            "board_id", "requested_at"
        )
    )


def latest_checks(asset_ids: Iterable[Any]) -> dict[Any, tuple[str, datetime]]:
    """The reference set each image was last checked against, and when (images never
    checked: absent)."""
    latest: dict[Any, tuple[str, datetime]] = {}
    rows = ConsistencyScore.objects.filter(asset_id__in=list(asset_ids))
    ordered = rows.order_by("updated_at", "pk").values_list("asset_id", "fingerprint", "updated_at")
    for asset_id, fingerprint, updated_at in ordered:
        latest[asset_id] = (fingerprint, updated_at)
    return latest


def latest_fingerprints(asset_ids: Iterable[Any]) -> dict[Any, str]:
    """The reference set each image was last checked against (images never checked: absent)."""
    return {asset_id: fp for asset_id, (fp, _) in latest_checks(asset_ids).items()}


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
    pending = pending_rescores(row.board_id for group in rows.values() for row in group[:1])
    for asset_id, (updated_at, fingerprint) in latest.items():
        group = rows[(asset_id, fingerprint)]
        asked = pending.get(group[0].board_id)
        found[asset_id] = _payload(group, stale=asked is not None and updated_at < asked)
    return found


def consistency_of(asset_id: Any) -> Consistency | None:
    return consistency_by_asset([asset_id])[asset_id]
