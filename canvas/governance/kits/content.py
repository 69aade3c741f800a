"""What one brand kit version says, declared once with its limits (pydantic).

``KitContent`` is stored as ``BrandKitVersion.content`` and is what the API's PATCH edits
(field by field: a field left out keeps its value). Validation here is about shape and
ranges; whether an engine exists and whether references belong to the kit is checked by
canvas.governance.kits.services.

Locks (``locks``) name settings a job on a kit board may not change:

- ``engine``: jobs must use ``engine``;
- ``prompt``: the prompt is ``prompt_template`` filled in; a job may only add its own words
  where the template has ``{prompt}``;
- ``negative_prompt``: jobs may not add to or replace the kit's negative prompt;
- ``strength``, ``scale``: jobs must use ``settings``' value;
- ``params``: jobs may not set engine extras other than ``settings.params``.

Unlocked, each is a default: a job that does not say otherwise gets it.

``video_drift`` is the kit's temporal-drift tolerance for clips (docs/video.md
"Temporal-drift score"): a clip made on a board with this kit is flagged against it instead
of the global default. It is versioned like every other setting and only people who may
manage kits change it; no job or board can loosen it (it is not a job setting, so it needs
no lock).
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from assets.video.tolerance import DriftTolerance
from canvas.models.items import AnchorRole

ROLES = tuple(role.value for role in AnchorRole)
LOCKABLE = ("engine", "prompt", "negative_prompt", "strength", "scale", "params")
LOCK_LABELS = {
    "engine": "the engine",
    "prompt": "the prompt template",
    "negative_prompt": "the negative prompt",
    "strength": "the strength",
    "scale": "the upscale factor",
    "params": "the engine settings",
}
DEFAULT_TOLERANCE = 5.0  # ΔE2000; the usual brand-preflight default
MAX_COLOURS = 24
MAX_REFERENCES = 16
MAX_REFERENCES_PER_ROLE = 4
MAX_TEMPLATE = 2000
MAX_PRESETS = 12
VARIABLE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# Variables the server fills itself: the job's own words and the chosen style preset.
BUILT_IN_VARIABLES = ("prompt", "style")

Role = Literal["composition", "palette", "lighting", "style"]
Lock = Literal["engine", "prompt", "negative_prompt", "strength", "scale", "params"]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEMPLATE)]
Hex = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Colour(Model):
    name: ShortText
    hex: Hex
    tolerance: float = Field(DEFAULT_TOLERANCE, ge=0.5, le=50)
    """ΔE2000 around the colour within which image colours count as this colour."""

    @field_validator("hex")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class Reference(Model):
    id: str = Field(min_length=1, max_length=64)
    """A BrandKitReference id (uploaded with POST /brand-kits/{id}/references)."""
    role: Role
    filename: str = Field("", max_length=255)


class StylePreset(Model):
    name: ShortText
    prompt: Text


class Settings(Model):
    strength: float | None = Field(None, ge=0, le=1)
    scale: int | None = Field(None, ge=1, le=8)
    params: dict[str, Any] = Field(default_factory=dict)


_DRIFT = DriftTolerance()


class VideoDrift(Model):
    """How far a clip may drift, per measure, before a second is flagged (the units of
    assets.video.drift; defaults are its global ones)."""

    palette: float = Field(_DRIFT.palette, ge=0.5, le=50)
    """ΔE00 of a second's colours against the first frame."""
    anchor: float = Field(_DRIFT.anchor, ge=0.5, le=50)
    """ΔE00 of a second's colours against the board's palette anchor."""
    flicker: float = Field(_DRIFT.flicker, ge=0.1, le=20)
    """L* (detrended standard deviation of the frames' lightness)."""
    structure: float = Field(_DRIFT.structure, ge=0.01, le=1)
    """1 − SSIM between consecutive frames."""
    warp: float = Field(_DRIFT.warp, ge=0.5, le=50)
    """L* residual after optical-flow warping."""

    def tolerance(self) -> DriftTolerance:
        return DriftTolerance(**self.model_dump())


def template_variables(template: str) -> list[str]:
    """The ``{names}`` a template uses, in order, once each."""
    names: list[str] = []
    for _, field, _, _ in string.Formatter().parse(template):
        if field is not None and field not in names:
            names.append(field)
    return names


class KitContent(Model):
    palette: list[Colour] = Field(default_factory=list, max_length=MAX_COLOURS)
    references: list[Reference] = Field(default_factory=list, max_length=MAX_REFERENCES)
    prompt_template: Text = ""
    negative_prompt: Text = ""
    style_presets: list[StylePreset] = Field(default_factory=list, max_length=MAX_PRESETS)
    engine: str = Field("", max_length=100)
    """The default engine ("" = the board's usual default)."""
    settings: Settings = Field(default_factory=lambda: Settings.model_validate({}))
    required_roles: list[Role] = Field(default_factory=list, max_length=len(ROLES))
    locks: list[Lock] = Field(default_factory=list, max_length=len(LOCKABLE))
    video_drift: VideoDrift = Field(default_factory=lambda: VideoDrift.model_validate({}))
    """The clips' temporal-drift tolerance on this kit's boards."""

    @field_validator("prompt_template")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            names = template_variables(value)
        except ValueError:
            raise ValueError(
                "the prompt template has an unmatched { or }; write variables as {product}"
            ) from None
        for name in names:
            if not VARIABLE.match(name):
                raise ValueError(
                    f"“{{{name}}}” is not a variable name; use lower-case letters, digits and "
                    "_ (e.g. {product}, {season})"
                )
        return value

    @field_validator("references")
    @classmethod
    def _references(cls, value: list[Reference]) -> list[Reference]:
        for role in ROLES:
            if sum(1 for r in value if r.role == role) > MAX_REFERENCES_PER_ROLE:
                raise ValueError(f"at most {MAX_REFERENCES_PER_ROLE} {role} references")
        if len({r.id for r in value}) != len(value):
            raise ValueError("a reference is listed twice")
        return value

    @field_validator("required_roles", "locks")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @field_validator("style_presets")
    @classmethod
    def _preset_names(cls, value: list[StylePreset]) -> list[StylePreset]:
        if len({p.name.lower() for p in value}) != len(value):
            raise ValueError("two style presets have the same name")
        return value

    def locked(self, what: str) -> bool:
        return what in self.locks

    def variables(self) -> list[str]:
        """The variables a job fills in (``{prompt}`` and ``{style}`` are filled by the server)."""
        return [n for n in template_variables(self.prompt_template) if n not in BUILT_IN_VARIABLES]
