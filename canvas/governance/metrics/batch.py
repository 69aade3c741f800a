"""Score a batch of images against a reference set and flag drift: the whole recipe, pure.

The Django side (canvas.governance.services) loads pixels and persists; this module only
computes. Features are extracted once per image and once per anchor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from canvas.governance.metrics import calibration, composition, lighting, palette, style
from canvas.governance.metrics.calibration import Flag, Threshold
from canvas.governance.metrics.image import Prepared
from canvas.governance.metrics.result import MetricScore

ROLES = ("palette", "lighting", "composition", "style")


@dataclass
class ImageFeatures:
    """What the metrics need of one image; each role's features computed on first use."""

    image: Prepared
    computed: dict[str, Any] = field(default_factory=dict)

    def of(self, role: str) -> Any:
        if role not in self.computed:
            self.computed[role] = EXTRACTORS[role](self.image)
        return self.computed[role]


EXTRACTORS = {
    "palette": palette.features,
    "lighting": lighting.features,
    "composition": composition.features,
    "style": style.features,
}


@dataclass
class ReferenceSet:
    """The anchors' features per role, plus palette colours from elsewhere (a brand kit)."""

    anchors: dict[str, list[ImageFeatures]]
    extra_colours: list[palette.ReferenceColour] = field(default_factory=list)

    @property
    def roles(self) -> list[str]:
        roles = [role for role in ROLES if self.anchors.get(role)]
        if "palette" not in roles and self.extra_colours:
            roles.insert(0, "palette")
        return roles

    def colours(self, leave_out: ImageFeatures | None = None) -> list[palette.ReferenceColour]:
        anchors = [a.of("palette") for a in self.anchors.get("palette", []) if a is not leave_out]
        return palette.reference_colours(anchors) + self.extra_colours


def score(
    image: ImageFeatures, reference: ReferenceSet, leave_out: ImageFeatures | None = None
) -> dict[str, MetricScore]:
    """One score per role that has references; ``leave_out`` skips an anchor (its own check)."""
    scores: dict[str, MetricScore] = {}
    for role in reference.roles:
        if role == "palette":
            colours = reference.colours(leave_out)
            if colours:
                scores[role] = palette.compare(image.of(role), colours, _light(image, reference))
            continue
        others = [a.of(role) for a in reference.anchors[role] if a is not leave_out]
        if others:
            scores[role] = COMPARERS[role](image.of(role), others)
    return scores


def _light(image: ImageFeatures, reference: ReferenceSet) -> tuple[float, float, float] | None:
    """The light's RGB gains against the closest lighting anchor, if there is one."""
    lights = reference.anchors.get("lighting") or []
    if not lights or any(image is a for a in lights):
        return None
    own = image.of("lighting")
    changes = [lighting.light_change(own, a.of("lighting")) for a in lights]
    closest = min(changes, key=lambda c: abs(c.exposure) + abs(c.chroma[0]) + abs(c.chroma[1]))
    return closest.gains


COMPARERS: dict[str, Callable[[Any, list[Any]], MetricScore]] = {
    "lighting": lighting.compare,
    "composition": composition.compare,
    "style": style.compare,
}


def anchor_scores(reference: ReferenceSet) -> list[dict[str, MetricScore]]:
    """Each anchor against the other anchors of its role: how far apart the approved set is."""
    found: list[dict[str, MetricScore]] = []
    for role in reference.roles:
        anchors = reference.anchors.get(role, [])
        if len(anchors) < 2 and not (role == "palette" and reference.extra_colours and anchors):
            continue
        for anchor in anchors:
            own = score(
                anchor,
                ReferenceSet(
                    {role: reference.anchors[role]},
                    reference.extra_colours if role == "palette" else [],
                ),
                leave_out=anchor,
            )
            if role in own:
                found.append({role: own[role]})
    return found


@dataclass(frozen=True)
class Verdict:
    scores: dict[str, MetricScore]
    flags: list[Flag]

    @property
    def drift(self) -> bool:
        return bool(self.flags)


def check(
    images: Sequence[ImageFeatures], reference: ReferenceSet
) -> tuple[list[Verdict], Mapping[tuple[str, str], Threshold]]:
    """Score every image, calibrate thresholds on the batch and the anchors, flag drift."""
    scores = [score(image, reference) for image in images]
    thresholds = calibration.calibrate(scores, anchor_scores(reference))
    return [Verdict(s, calibration.flags_for(s, thresholds)) for s in scores], thresholds
