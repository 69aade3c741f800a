"""Consistency checks of a board's images: references, scoring, calibration, stored scores.

``check`` is the one domain function the API and the job-landing task call: it resolves the
references (explicit anchors, else the board's anchor items by role and the board's brand
kit: its reference images and palette colours, canvas.governance.kits.references), scores
every image not yet scored against that reference set (``canvas.governance.metrics``),
calibrates drift thresholds over the board's batch (these
images plus the board's most recent scores against the same references) and stores one
``ConsistencyScore`` per image and metric. Callers check permissions first.

Cost: reading and scoring an image not scored yet is ~20–30 ms of CPU for a 512 px result
plus decoding its original; stored scores are reused, so re-checking a batch is a query.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from django.db import transaction

from assets.models import Asset
from canvas.governance import signals
from canvas.governance.kits.references import KitReferences, kit_references
from canvas.governance.limits import MAX_ANCHORS_PER_ROLE, MAX_ASSETS
from canvas.governance.metrics import batch, calibration
from canvas.governance.metrics.image import prepare
from canvas.governance.metrics.result import Component, MetricScore
from canvas.governance.models import ConsistencyScore
from canvas.jobs import adapters
from canvas.models import Board, Iteration, live_images
from foundation.errors import AppError, NotFound

logger = logging.getLogger(__name__)

# How many of the board's latest scored images (same references) join a check's batch, so
# a check of a few images is still calibrated on a real batch.
CALIBRATION_WINDOW = 300
READ_SIZE = 256  # pixels on the long side read from an original (the metrics use 128)
# Bumped when a metric's maths changes, so old rows are not mixed with new ones.
METRICS_VERSION = "2"
ROLES = batch.ROLES


class NoReferences(AppError):
    status = 422
    code = "no_references"
    default_message = (
        "There is nothing to check against: mark images on the board as palette, lighting, "
        "composition or style anchors, give the board a brand kit, or name anchors in the "
        "request."
    )


class AssetNotOnBoard(NotFound):
    code = "asset_not_found"
    default_message = "One of these images does not exist on this board."


def board_anchors(board: Board) -> dict[str, list[Asset]]:
    """The board's live anchor images by role, oldest first (at most 8 per role)."""
    found: dict[str, list[Asset]] = {}
    items = (
        live_images(board)
        .exclude(anchor_role="")
        .select_related("asset__blob")
        .order_by("created_at")
    )
    for item in items:
        role_assets = found.setdefault(item.anchor_role, [])
        asset = item.asset
        if (
            asset is not None
            and len(role_assets) < MAX_ANCHORS_PER_ROLE
            and all(a.pk != asset.pk for a in role_assets)
        ):
            role_assets.append(asset)
    return {role: assets for role, assets in found.items() if role in ROLES}


def _assets_on_board(board: Board, ids: Iterable[Any]) -> list[Asset]:
    keys: list[uuid.UUID] = []
    for value in ids:
        try:
            keys.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            raise AssetNotOnBoard() from None
    found = Asset.objects.select_related("blob").in_bulk(set(keys))
    if any(key not in found or found[key].board_id != board.pk for key in keys):
        raise AssetNotOnBoard()
    return [found[key] for key in dict.fromkeys(keys)]


def resolve_references(
    board: Board, requested: Mapping[str, Sequence[Any]] | None
) -> tuple[dict[str, list[Any]], KitReferences]:
    """Explicit anchors (asset ids by role, on this board), or the board's anchor items and
    its brand kit (reference images by role, palette colours)."""
    kit = KitReferences()
    if requested is None:
        anchors: dict[str, list[Any]] = dict(board_anchors(board))
        kit = kit_references(board, ROLES)
        for role, images in kit.images.items():
            anchors[role] = [*anchors.get(role, []), *images][:MAX_ANCHORS_PER_ROLE]
    else:
        anchors = {role: _assets_on_board(board, ids) for role, ids in requested.items() if ids}
    anchors = {role: assets for role, assets in anchors.items() if role in ROLES and assets}
    if not anchors and not kit.colours:
        raise NoReferences()
    return anchors, kit


def resolve_anchors(
    board: Board, requested: Mapping[str, Sequence[Any]] | None
) -> dict[str, list[Any]]:
    """The anchor images of ``resolve_references`` (board items, kit references)."""
    return resolve_references(board, requested)[0]


def fingerprint(anchors: Mapping[str, Sequence[Any]], kit: KitReferences | None = None) -> str:
    """Names a reference set: the anchors' bytes (SHA-256) by role — a brand kit's reference
    images among them —, the kit's colours with their tolerances and the metrics' version.
    What the kit says besides (template, engine, locks) is not part of it: a kit edit that
    leaves its colours and images alone keeps the board's scores."""
    content = {role: sorted(a.blob_id for a in assets) for role, assets in sorted(anchors.items())}
    named: dict[str, Any] = {"v": METRICS_VERSION, "anchors": content}
    if kit is not None and kit.colours:
        named["kit_colours"] = [
            [colour.name, [round(v, 3) for v in colour.lab], colour.tolerance]
            for colour in kit.colours
        ]
    text = json.dumps(named, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def read_pixels(asset: Asset) -> np.ndarray:
    """The asset's original, upright, shrunk to READ_SIZE: what the metrics are given."""
    image = adapters.open_asset(asset)
    image.thumbnail((READ_SIZE, READ_SIZE))
    return np.asarray(image)


def _features(asset: Asset) -> batch.ImageFeatures:
    return batch.ImageFeatures(prepare(read_pixels(asset)))


def _from_row(row: ConsistencyScore) -> MetricScore:
    components = tuple(
        Component(c["name"], float(c["distance"]), c["message"], c.get("detail", {}))
        for c in row.components
    )
    return MetricScore(row.metric, row.score, components)


def _components(score: MetricScore) -> list[dict[str, Any]]:
    return [
        {"name": c.name, "distance": round(c.distance, 5), "message": c.message, "detail": c.detail}
        for c in score.components
    ]


def _stored(board: Board, fp: str, asset_ids: Sequence[Any]) -> dict[Any, dict[str, MetricScore]]:
    rows = ConsistencyScore.objects.filter(board=board, fingerprint=fp, asset_id__in=asset_ids)
    found: dict[Any, dict[str, MetricScore]] = {}
    for row in rows:
        found.setdefault(row.asset_id, {})[row.metric] = _from_row(row)
    return found


def _recent(board: Board, fp: str, exclude: set[Any], roles: int) -> list[dict[str, MetricScore]]:
    rows = (
        ConsistencyScore.objects.filter(board=board, fingerprint=fp)
        .exclude(asset_id__in=exclude)
        .order_by("-created_at")[: CALIBRATION_WINDOW * max(roles, 1)]
    )
    found: dict[Any, dict[str, MetricScore]] = {}
    for row in rows:
        found.setdefault(row.asset_id, {})[row.metric] = _from_row(row)
    return list(found.values())


def check(
    board: Board,
    asset_ids: Sequence[Any],
    anchors: Mapping[str, Sequence[Any]] | None = None,
    *,
    landed: bool = False,
) -> dict[str, Any]:
    """Score ``asset_ids`` (images on ``board``) against the references; flag drift.

    Returns ``{"references": {...}, "thresholds": {...}, "results": [...]}``, results in the
    order asked, and sends ``signals.results_scored`` (``landed``: this is the check of a
    job's results as they land). Raises NoReferences, AssetNotOnBoard, AppError (too many
    images).
    """
    if len(asset_ids) > MAX_ASSETS:
        raise AppError(f"Check at most {MAX_ASSETS} images at once.", code="too_many_assets")
    assets = _assets_on_board(board, asset_ids)
    anchor_assets, kit = resolve_references(board, anchors)
    fp = fingerprint(anchor_assets, kit)
    reference = batch.ReferenceSet(
        {
            role: [_features(a) for a in anchor_assets[role]]
            for role in ROLES
            if role in anchor_assets
        },
        extra_colours=kit.colours,
    )
    roles = reference.roles
    stored = _stored(board, fp, [a.pk for a in assets])
    missing = [a for a in assets if set(stored.get(a.pk, {})) != set(roles)]
    fresh: dict[Any, dict[str, MetricScore]] = {}
    for asset in missing:
        try:
            fresh[asset.pk] = batch.score(_features(asset), reference)
        except AppError:
            raise
        except Exception as exc:  # an undecodable file must not sink the whole check
            logger.warning("consistency: cannot score asset %s: %s", asset.pk, exc)
            raise AppError(
                f"The image {asset.filename} could not be read for scoring.",
                code="image_unreadable",
                status=422,
            ) from exc
    scores = {a.pk: fresh.get(a.pk) or stored.get(a.pk, {}) for a in assets}
    others = _recent(board, fp, {a.pk for a in assets}, len(roles))
    thresholds = calibration.calibrate(
        list(scores.values()) + others, batch.anchor_scores(reference)
    )
    verdicts = {pk: calibration.flags_for(s, thresholds) for pk, s in scores.items()}
    _save(board, fp, assets, scores, verdicts)
    signals.results_scored.send(
        sender=None, board=board, asset_ids=[a.pk for a in assets], landed=landed
    )
    return {
        "references": {
            "fingerprint": fp,
            "anchors": {
                role: [str(a.pk) for a in anchor_assets[role]]
                for role in roles
                if role in anchor_assets
            },
            "brand_kit": kit.describe(),
            "batch_size": len(scores) + len(others),
        },
        "thresholds": {
            f"{metric}.{component}": round(limit.value, 4)
            for (metric, component), limit in sorted(thresholds.items())
        },
        "results": [_result(a, scores[a.pk], verdicts[a.pk]) for a in assets],
    }


def _result(
    asset: Asset, scores: dict[str, MetricScore], flags: list[calibration.Flag]
) -> dict[str, Any]:
    return {
        "asset": str(asset.pk),
        "drift": bool(flags),
        "scores": {metric: score.score for metric, score in scores.items()},
        "flags": [flag.as_dict() for flag in flags],
    }


def _save(
    board: Board,
    fp: str,
    assets: Sequence[Asset],
    scores: Mapping[Any, Mapping[str, MetricScore]],
    verdicts: Mapping[Any, list[calibration.Flag]],
) -> None:
    iterations = dict(
        Iteration.objects.filter(asset_id__in=[a.pk for a in assets]).values_list("asset_id", "pk")
    )
    rows = []
    for asset in assets:
        # ``rank`` keeps the check's order (most severe first) for readers of the rows.
        flags = {
            flag.metric: {**flag.as_dict(), "rank": rank}
            for rank, flag in enumerate(verdicts[asset.pk])
        }
        for metric, score in scores[asset.pk].items():
            rows.append(
                ConsistencyScore(
                    board=board,
                    asset=asset,
                    iteration_id=iterations.get(asset.pk),
                    metric=metric,
                    fingerprint=fp,
                    score=score.score,
                    components=_components(score),
                    flag=flags.get(metric),
                )
            )
    with transaction.atomic():
        ConsistencyScore.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["asset", "metric", "fingerprint"],
            update_fields=["score", "components", "flag", "iteration", "updated_at"],
        )


def score_job_results(job_id: Any) -> int:
    """Score a finished job's results against its board's anchors; returns how many.

    A board without anchors has nothing to check against: nothing is stored.
    """
    results = list(
        Iteration.objects.filter(job_id=job_id).select_related("board").order_by("index")
    )
    if not results:
        return 0
    board = results[0].board
    try:
        resolve_anchors(board, None)
    except NoReferences:
        return 0
    check(board, [it.asset_id for it in results], landed=True)
    return len(results)
