"""What a pilot run is asked to do: its fields, limits and the sentences that refuse it.

``parse_pilot_spec(raw)`` checks the shape (engine, jobs N, concurrency C, burst, prompt,
target); ``check_board(board, spec)`` what depends on the board — it must hold anchors (or
a brand kit) for the consistency test to compare with, and an image under the target. Both
raise ``InvalidPilot`` (400) with a sentence; neither writes.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from canvas.batches.spec import Target
from canvas.engines.registry import available_engines
from canvas.models import Board, Item, ItemKind
from canvas.models.items import live_images
from canvas.pilot import thresholds
from canvas.protocol import limits
from canvas.protocol.errors import error_from_validation
from foundation.errors import AppError

MAX_JOBS = 500  # the latency test's N; a pilot is a sample, not a production batch
MAX_CONCURRENCY = 64
DEFAULT_PROMPT = "The same product shot, studio light, plain backdrop"


class InvalidPilot(AppError):
    code = "invalid_pilot"
    default_message = "The pilot's settings are not valid."


class PilotSpec(BaseModel):
    """A pilot as the API and the CLI take it (docs/pilot.md)."""

    model_config = ConfigDict(extra="forbid")

    board: str | None = None
    """The board (the API's body names it; the CLI's --board)."""
    engine: str = Field(min_length=1, max_length=limits.MAX_ENGINE_NAME_LENGTH)
    jobs: int = Field(20, ge=1, le=MAX_JOBS)
    concurrency: int = Field(4, ge=1, le=MAX_CONCURRENCY)
    burst: bool = False
    prompt: str = Field(DEFAULT_PROMPT, min_length=1, max_length=limits.MAX_PROMPT_LENGTH)
    target: Target | None = None
    """Where the jobs work; by default the board's topmost image that is not an anchor."""


def parse_pilot_spec(raw: Any) -> PilotSpec:
    """Check a raw body (a dict or JSON text); InvalidPilot says what is wrong."""
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise InvalidPilot(f"The pilot's settings are not valid JSON: {exc}.") from None
    if not isinstance(raw, dict):
        raise InvalidPilot('The body must be a JSON object with at least "board" and "engine".')
    try:
        spec = PilotSpec.model_validate(raw)
    except ValidationError as exc:
        raise InvalidPilot(error_from_validation(exc, "").message) from None
    known = available_engines()
    if spec.engine not in known:
        names = ", ".join(known) or "none"
        raise InvalidPilot(
            f"There is no engine called “{spec.engine}” on this server. Available: {names}."
        )
    if spec.concurrency > spec.jobs:
        raise InvalidPilot(
            f"concurrency ({spec.concurrency}) cannot be more than the number of jobs "
            f"({spec.jobs}): at most {spec.jobs} can run at once."
        )
    return spec


def anchor_items(board: Board) -> list[Item]:
    """The board's live anchor images, in a stable order (what the variations are held to)."""
    return list(
        live_images(board)
        .exclude(anchor_role="")
        .order_by("anchor_role", "z", "id")[: limits.MAX_JOB_ANCHORS]
    )


def default_target(board: Board) -> dict[str, Any] | None:
    """The topmost live image that is not an anchor (the product shot), else the topmost
    image; None when the board has no image."""
    images = live_images(board).order_by("-z", "-id")
    item = images.filter(anchor_role="").first() or images.first()
    return {"item_id": str(item.pk)} if item is not None else None


def check_board(board: Board, spec: PilotSpec) -> dict[str, Any]:
    """Refuse a board the pilot cannot run on; returns the target to use."""
    if board.is_archived:
        raise InvalidPilot("This board is archived; restore it before running a pilot.")
    if board.brand_kit_id is None and not anchor_items(board):
        raise InvalidPilot(
            "This board has no anchors and no brand kit: the consistency test holds "
            f"{thresholds.CONSISTENCY_VARIATIONS} variations to the anchors. Mark the "
            "product's reference images as lighting, palette or composition anchors first."
        )
    if spec.target is not None:
        target = spec.target.model_dump(mode="json", exclude_none=True)
        if (
            "item_id" in target
            and not Item.objects.filter(
                board=board, pk=target["item_id"], deleted=False, kind=ItemKind.IMAGE
            ).exists()
        ):
            raise InvalidPilot("The target is not an image on this board (or was deleted).")
        return target
    found = default_target(board)
    if found is None:
        raise InvalidPilot("This board has no image for the jobs to work on; add one first.")
    return found
