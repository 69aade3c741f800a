"""Consistency of results with the board's anchors, as the sockets carry it: the
``consistency`` field of results and candidates, and the ``consistency`` message sent when
scoring finishes after a result landed (docs/governance.md "Where people see it"); and the
``brand_kit`` message: the kit a board uses changed (a new version, another kit, a pin, none).

The payloads are built from stored scores by canvas.governance.readings and from kit
versions by canvas.governance.kits.payloads; this module declares their shape and wraps
them in messages. It must not touch the database or the channel layer.
"""

from __future__ import annotations

from typing import Literal

from canvas.protocol.types import ProtocolModel, Wire


class DriftFlag(ProtocolModel):
    """One metric's drift flag: the component furthest beyond its threshold."""

    metric: str
    """palette, lighting, composition or style."""
    component: str
    """What was measured, e.g. lighting's ``direction`` or composition's ``placement``."""
    value: float
    threshold: float
    message: str
    """A sentence a designer understands: "Lighting comes from the right; …"."""


class Consistency(ProtocolModel):
    """How a result compares with the board's anchors (its latest check); ``null`` in its
    place means it has not been scored yet."""

    drift: bool
    scores: dict[str, float]
    """One score per role checked, 0–1 (1 = matches the anchors)."""
    flags: list[DriftFlag]
    """Most severe first; empty when ``drift`` is false. The first is the one to show."""
    stale: bool = False
    """The board's anchors or brand kit changed after this check and a re-score is pending:
    the scores and flags are still those against the old references (a ``consistency``
    message replaces them when the re-score is done)."""


class ConsistencyResult(ProtocolModel):
    iteration: str
    asset: str
    consistency: Consistency


class ConsistencyMessage(ProtocolModel):
    """Results were scored (or re-scored) after they landed: replace their ``consistency``.
    Members get every result of the check; a guest only those their link shows, and only
    when it shares the team's decisions."""

    type: Literal["consistency"]
    results: list[ConsistencyResult]


def consistency_message(results: list[Wire]) -> Wire:
    return {"type": "consistency", "results": results}


class BoardKit(ProtocolModel):
    """The brand kit a board's jobs use now, as its badge and generation panel show it."""

    id: str
    name: str
    version: int
    pinned: bool
    """True when the board is pinned to this version; false: it follows the kit's latest."""
    locks: list[str]
    """What a job may not change: engine, prompt, negative_prompt, strength, scale, params."""
    engine: str
    """The kit's engine ("" for none): preselected, or the only one when locked."""
    strength: float | None
    variables: list[str]
    """The prompt template's variables, e.g. ``product``, ``season``."""
    url: str
    """The kit's editor page."""


class BrandKitMessage(ProtocolModel):
    """The board's brand kit changed while it is open (edited into a new version, another
    kit given, a version pinned, the kit removed or deleted): replace the badge and the
    generation panel's kit box. ``null``: the board has no kit now. Members only."""

    type: Literal["brand_kit"]
    brand_kit: BoardKit | None


def brand_kit_message(kit: Wire | None) -> Wire:
    return {"type": "brand_kit", "brand_kit": kit}
