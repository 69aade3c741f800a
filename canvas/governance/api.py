"""Consistency endpoint of the JSON API: ``POST /api/v1/boards/{id}/consistency``.

Parses, checks the caller's role (review: reviewers, editors and owners — a check reads
pixels on the server's CPU and stores scores; viewers read stored scores where results are
shown), calls canvas.governance.services.check and returns its reply: 200 with every
result for up to 100 images; a longer list (up to 500) is answered 202 with a check to poll
(canvas.governance.checks: a cold 512 px image costs ~26 ms of CPU, so 500 take ~13 s of a
core). Guide: docs/governance.md.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from canvas.governance import checks, limits
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


class ConsistencyFields(Schema):
    drift: bool
    scores: dict[str, float]
    flags: list[FlagOut]


class ImageConsistencyOut(ConsistencyFields):
    """An image's consistency as results and candidates carry it (null: not scored yet)."""

    stale: bool = False
    """The board's anchors changed after this check; a re-score is pending."""


class ResultOut(ConsistencyFields):
    """One image of a check (always against the references of that moment)."""

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


class ErrorDetail(Schema):
    code: str
    message: str


class CheckOut(Schema):
    check: str = Field(description="The check's id.")
    status: str = Field(description="queued, running, done or failed.")
    poll: str = Field(description="Where to ask again (GET) until the status is done or failed.")
    result: ConsistencyOut | None = Field(description="The 200 reply, once done.")
    error: ErrorDetail | None = Field(description="Why it failed (same codes as the 4xx).")


@router.post(
    "/boards/{board_id}/consistency",
    response={200: ConsistencyOut, 202: CheckOut, **ERRORS},
    summary="Score images against the board's anchors and flag drift",
)
def check_consistency(request: HttpRequest, board_id: str, payload: ConsistencyIn) -> Any:
    """One score per role (palette, lighting, composition; 1 = matches) for each image, and
    drift flags from thresholds calibrated on this board's batch. ``anchors`` defaults to
    the board's anchor images by role and its brand kit (reference images, palette).
    Up to 100 images: 200 with the results. More: 202 with a check to poll
    (``GET /api/v1/consistency-checks/{id}``) until it is done."""
    user = api_user(request)
    board, _ = get_board_for(user, board_id, Perm.REVIEW)
    anchors = payload.anchors.model_dump() if payload.anchors is not None else None
    if len(payload.assets) > checks.SYNC_LIMIT:
        return Status(202, checks.payload(checks.start(board, user, payload.assets, anchors)))
    from canvas.governance import services  # the metrics' imports cost seconds: on first use

    return services.check(board, payload.assets, anchors)


@router.get(
    "/consistency-checks/{check_id}",
    response={200: CheckOut, **ERRORS},
    summary="A long consistency check: its status, and its results once done",
)
def get_consistency_check(request: HttpRequest, check_id: uuid.UUID) -> dict[str, Any]:
    check = checks.get(check_id)
    get_board_for(api_user(request), check.board_id, Perm.REVIEW)
    return checks.payload(check)
