"""What every metric returns: a score, the measured components, and words for them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Component:
    """One measured difference from the reference, where larger means further away.

    ``distance`` is what calibration thresholds (0 = same as the reference); ``detail``
    holds the numbers the sentence is made of; ``message`` says it for a designer.
    """

    name: str
    distance: float
    message: str
    detail: dict[str, float | str] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricScore:
    """A role's score: 1 = matches the reference, 0 = nothing alike; plus its components."""

    metric: str
    score: float
    components: tuple[Component, ...]

    def component(self, name: str) -> Component:
        return next(c for c in self.components if c.name == name)


def closest(metric: str, comparisons: Iterable[Sequence[Component]]) -> MetricScore:
    """The comparison with the anchor the image is closest to (the smallest largest
    distance) as the role's score: ``exp(−largest distance)``, with its components."""
    best = min(comparisons, key=lambda parts: max(c.distance for c in parts))
    worst = max(c.distance for c in best)
    return MetricScore(metric, round(math.exp(-worst), 4), tuple(best))
