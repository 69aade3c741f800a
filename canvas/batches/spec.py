"""What a batch spec is: its fields, limits and the sentences that refuse it.

A batch spec says which jobs to make: a prompt template with ``{variables}``, each variable's
values, anchor sets, seeds, engines and targets. Its expansion is the cartesian product of
those (canvas.batches.expansion). This module only checks the spec's own shape and the limits
that do not depend on the board; it never expands, and never touches the database (whether
anchors, targets and engine settings are acceptable on a board is decided job by job by
canvas.jobs.queue.normalise_spec, brand-kit locks included).

Anchors and targets name board items, as a single job's spec does (canvas.protocol.JobSpec):
an anchor is ``{"role", "item_id"}``; a target is a rectangle in board units or an item id
(the item's bounds become the job's region).
"""

from __future__ import annotations

import json
import math
import re
import secrets
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from canvas.engines.registry import available_engines
from canvas.protocol import limits
from canvas.protocol.errors import error_from_validation
from canvas.protocol.jobs import JobAnchorRef, OutputSize, RegionRect, VideoSpec
from canvas.protocol.types import Id
from foundation import knobs
from foundation.config import read
from foundation.errors import AppError

# ``{name}`` where name is a Python identifier; other braces are left as written.
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_SEEDS = 1000  # per cell; the whole expansion is capped by ANCHORBOARD_BATCH_MAX_JOBS


class InvalidBatch(AppError):
    code = "invalid_batch"
    default_message = "The batch spec is not valid."


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EngineChoice(_Model):
    """One engine of the batch and the settings its jobs use (a kit may refuse them)."""

    name: str = Field(min_length=1, max_length=limits.MAX_ENGINE_NAME_LENGTH)
    params: dict[str, Any] = Field(default_factory=dict)
    strength: float | None = Field(None, ge=0, le=1)
    scale: int | None = Field(None, ge=1, le=limits.MAX_SCALE)
    output_size: OutputSize | None = None
    """The picture's size in pixels (an engine with fixed sizes takes one of its own);
    none: the region's size, as for a single job."""


class Target(_Model):
    """Where the jobs work: a rectangle, or a board item whose bounds become the region."""

    region: RegionRect | None = None
    item_id: Id | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Target:
        if (self.region is None) == (self.item_id is None):
            raise ValueError("give either a region or an item_id")
        return self


class BatchSpec(_Model):
    """A batch as the API and (later) the CLI take it; see docs/batches.md for an example."""

    name: str = Field(min_length=1, max_length=limits.MAX_NAME_LENGTH)
    mode: str = "img2img"
    prompt: str = Field(min_length=1, max_length=limits.MAX_PROMPT_LENGTH)
    negative_prompt: str = Field("", max_length=limits.MAX_PROMPT_LENGTH)
    variables: dict[str, list[str]] = Field(default_factory=dict)
    anchor_sets: list[list[JobAnchorRef]] = Field(default_factory=list)
    seeds: int | list[int] = 1
    seed: int | None = Field(None, ge=0, lt=limits.SEED_LIMIT)
    """Base seed the per-job seeds are derived from; drawn once when missing."""
    engines: list[EngineChoice] = Field(min_length=1)
    targets: list[Target] = Field(min_length=1)
    video: VideoSpec | None = None
    """Mode ``video`` only: every job's clip options (duration, ratio, resolution …;
    docs/video.md "The spec"); left out, a video job's defaults."""

    @field_validator("engines", mode="before")
    @classmethod
    def _engine_names(cls, value: Any) -> Any:
        # "engines": ["nano-banana", {"name": "pro", "params": {...}}] — a bare name is allowed.
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    def template_names(self) -> list[str]:
        """The ``{variables}`` the prompt uses, in order, once each."""
        return list(dict.fromkeys(PLACEHOLDER.findall(self.prompt)))

    def seed_count(self) -> int:
        return self.seeds if isinstance(self.seeds, int) else len(self.seeds)

    def value_rows(self) -> int:
        return math.prod(len(values) for values in self.variables.values())

    def job_count(self) -> int:
        """How many jobs the expansion makes, computed without expanding."""
        return (
            self.value_rows()
            * max(1, len(self.anchor_sets))
            * self.seed_count()
            * len(self.engines)
            * len(self.targets)
        )


def max_jobs() -> int:
    """The most jobs one batch may expand into (ANCHORBOARD_BATCH_MAX_JOBS)."""
    return max(1, read(knobs.BATCH_MAX_JOBS))


def _check_variables(spec: BatchSpec) -> None:
    used = spec.template_names()
    missing = [name for name in used if name not in spec.variables]
    if missing:
        names = ", ".join(f"{{{n}}}" for n in missing)
        raise InvalidBatch(f"The prompt uses {names} but the batch gives no values for it.")
    if len(spec.variables) > limits.MAX_JOB_VARIABLES:
        raise InvalidBatch(f"A batch may have up to {limits.MAX_JOB_VARIABLES} variables.")
    for name, values in spec.variables.items():
        if not 1 <= len(name) <= limits.MAX_VARIABLE_NAME or not PLACEHOLDER.fullmatch(
            f"{{{name}}}"
        ):
            raise InvalidBatch(f"“{name}” is not a usable variable name (letters, digits, _).")
        if not values:
            raise InvalidBatch(f"The variable {{{name}}} has no values; give at least one.")
        for value in values:
            if not value.strip() or len(value) > limits.MAX_NAME_LENGTH:
                raise InvalidBatch(
                    f"Each value of {{{name}}} must be 1 to {limits.MAX_NAME_LENGTH} characters."
                )
        if len(set(values)) != len(values):
            raise InvalidBatch(f"The variable {{{name}}} lists the same value twice.")


def _check_seeds(spec: BatchSpec) -> None:
    if isinstance(spec.seeds, int):
        if not 1 <= spec.seeds <= MAX_SEEDS:
            raise InvalidBatch(f"seeds must be 1 to {MAX_SEEDS} (or a list of seeds).")
        return
    if not spec.seeds:
        raise InvalidBatch("The list of seeds is empty; give at least one seed.")
    if any(not 0 <= s < limits.SEED_LIMIT for s in spec.seeds):
        raise InvalidBatch(f"Each seed must be a whole number from 0 to {limits.SEED_LIMIT - 1}.")


def _check_engines(spec: BatchSpec) -> None:
    known = available_engines()
    for choice in spec.engines:
        if choice.name not in known:
            names = ", ".join(known) or "none"
            raise InvalidBatch(
                f"There is no engine called “{choice.name}” on this server. Available: {names}."
            )
    if len({c.model_dump_json() for c in spec.engines}) != len(spec.engines):
        raise InvalidBatch("The same engine with the same settings is listed twice.")


def _check_size(spec: BatchSpec) -> None:
    count, cap = spec.job_count(), max_jobs()
    if count > cap:
        raise InvalidBatch(
            f"This batch would make {count:,} jobs; one batch may make up to {cap:,}. "
            "Use fewer values, seeds, engines or targets, or split it into several batches."
        )


def parse_batch_spec(raw: Any) -> BatchSpec:
    """Check a raw spec (a dict, or JSON text); InvalidBatch says what is wrong, in a sentence.

    A spec without ``seed`` gets one drawn here, so the caller can show it and a later run
    of the same spec reproduces the same seeds.
    """
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise InvalidBatch(f"The batch spec is not valid JSON: {exc}.") from None
    try:
        spec = BatchSpec.model_validate(raw)
    except ValidationError as exc:
        raise InvalidBatch(error_from_validation(exc, "").message) from None
    if spec.video is not None and spec.mode != "video":
        raise InvalidBatch("video: only a batch of video jobs (mode video) takes video options.")
    _check_variables(spec)
    _check_seeds(spec)
    _check_engines(spec)
    _check_size(spec)
    if spec.seed is None:
        spec.seed = secrets.randbelow(limits.SEED_LIMIT)
    return spec
