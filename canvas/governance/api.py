"""Consistency endpoint of the JSON API: ``POST /api/v1/boards/{id}/consistency``.

Parses, checks the caller's role (review: reviewers, editors and owners — a check reads
pixels on the server's CPU and stores scores; viewers read stored scores where results are
shown), calls canvas.governance.services.check and returns its reply. Always answers 200
with every result: at most 500 images, stored scores are reused, and a cold 512 px image
costs ~20–30 ms of CPU. Guide: docs/governance.md.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from canvas.governance import limits
from canvas.members.api_auth import api_user
from canvas.permissions import Perm, get_board_for
from foundation.api_errors import ErrorOut

router = Router(tags=["governance"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class Anchors(Schema):
    palette: list[str] = Field(default_factory=list, max_length=limits.MAX_ANCHORS_PER_ROLE)
    lighting: list[str] = Field(default_factory=list, max_length=limits.MAX_ANCHORS_PER_ROLE)
    composition: list[str] = Field(default_factory=list, max_length=limits.MAX_ANCHORS_PER_ROLE)
    style: list[str] = Field(default_factory=list, max_length=limits.MAX_ANCHORS_PER_ROLE)


class ConsistencyIn(Schema):
    assets: list[str] = Field(..., min_length=1, max_length=limits.MAX_ASSETS)
    anchors: Anchors | None = None


class FlagOut(Schema):
    metric: str
    component: str
    value: float
    threshold: float
    message: str


class ImageConsistencyOut(Schema):
    """An image's consistency as results and candidates carry it (null: not scored yet)."""

    drift: bool
    scores: dict[str, float]
    flags: list[FlagOut]


class ResultOut(ImageConsistencyOut):
    asset: str


class KitRef(Schema):
    id: str
    version: int


class ReferencesOut(Schema):
    fingerprint: str
    anchors: dict[str, list[str]] = Field(
        description="Asset ids by role; a brand kit's reference images are kit:<reference id>."
    )
    brand_kit: KitRef | None = Field(
        None, description="The board's brand kit version whose references and colours joined."
    )
    batch_size: int


class ConsistencyOut(Schema):
    references: ReferencesOut
    thresholds: dict[str, float]
    results: list[ResultOut]


@router.post(
    "/boards/{board_id}/consistency",
    response={200: ConsistencyOut, **ERRORS},
    summary="Score images against the board's anchors and flag drift",
)
def check_consistency(
    request: HttpRequest, board_id: str, payload: ConsistencyIn
) -> dict[str, Any]:
    """One score per role (palette, lighting, composition; 1 = matches) for each image, and
    drift flags from thresholds calibrated on this board's batch. ``anchors`` defaults to
    the board's anchor images by role and its brand kit (reference images, palette)."""
    from canvas.governance import services  # the metrics' imports cost seconds: on first use

    board, _ = get_board_for(api_user(request), board_id, Perm.REVIEW)
    anchors = payload.anchors.model_dump() if payload.anchors is not None else None
    return services.check(board, payload.assets, anchors)
