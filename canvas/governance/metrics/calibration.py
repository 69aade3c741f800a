"""Drift thresholds from the batch itself and the anchors: robust statistics, no brand tuning.

For every component (e.g. lighting/direction) the distances of the batch, the anchors'
own distances (an anchor against the others of its role) and 0 (an anchor against itself)
form one sample. The threshold is ``median + Z × spread`` where the spread is the MAD
scaled to a standard deviation (× 1.4826), floored at the component's ``FLOOR`` — the
smallest difference worth a designer's look, so a batch of near-identical images does not
flag noise. A batch smaller than ``MIN_BATCH`` has no trustworthy spread of its own: the
floor is used, widened by ``SMALL_BATCH_WIDENING``. When a role has several anchors, the
threshold is never below the largest distance between them plus the floor: an image as
far from the anchors as the approved anchors are from each other is not drift.

An image drifts when any component is beyond its threshold; it gets at most one flag per
metric (the component with the largest robust z-score), most severe first: the flag named
first is the metric that moved furthest beyond its own spread (see ``flags_for``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from canvas.governance.metrics.result import MetricScore

Z = 3.5
MIN_BATCH = 8
SMALL_BATCH_WIDENING = 1.5
MAD_TO_SIGMA = 1.4826
# The smallest spread each component is given (distance units, see each metric's scales).
FLOOR: dict[tuple[str, str], float] = {
    ("palette", "subject"): 0.08,
    ("palette", "backdrop"): 0.06,
    ("lighting", "direction"): 0.12,
    ("lighting", "exposure"): 0.12,
    ("lighting", "contrast"): 0.15,
    ("lighting", "white_balance"): 0.2,
    ("composition", "placement"): 0.15,
    ("composition", "scale"): 0.15,
    ("composition", "shape"): 0.15,
    ("composition", "structure"): 0.08,
    ("style", "texture"): 0.15,
    ("style", "strokes"): 0.15,
}
DEFAULT_FLOOR = 0.15

Scores = Mapping[str, MetricScore]


@dataclass(frozen=True)
class Threshold:
    metric: str
    component: str
    centre: float
    spread: float
    value: float
    samples: int


@dataclass(frozen=True)
class Flag:
    metric: str
    component: str
    value: float
    threshold: float
    severity: float  # robust z-score: (value − batch median) / spread
    message: str

    def as_dict(self) -> dict[str, object]:
        return {
            "metric": self.metric,
            "component": self.component,
            "value": round(self.value, 4),
            "threshold": round(self.threshold, 4),
            "message": self.message,
        }


def _distances(scores: Iterable[Scores]) -> dict[tuple[str, str], list[float]]:
    found: dict[tuple[str, str], list[float]] = {}
    for image in scores:
        for metric, score in image.items():
            for component in score.components:
                found.setdefault((metric, component.name), []).append(component.distance)
    return found


def calibrate(
    batch: Sequence[Scores], anchors: Sequence[Scores] = ()
) -> dict[tuple[str, str], Threshold]:
    """Thresholds per (metric, component) from the batch's and the anchors' distances."""
    from_batch = _distances(batch)
    from_anchors = _distances(anchors)
    thresholds: dict[tuple[str, str], Threshold] = {}
    for key in from_batch.keys() | from_anchors.keys():
        batch_values = from_batch.get(key, [])
        anchor_values = from_anchors.get(key, [])
        sample = np.array(batch_values + anchor_values + [0.0], dtype=np.float64)
        centre = float(np.median(sample))
        mad = float(np.median(np.abs(sample - centre))) * MAD_TO_SIGMA
        floor = FLOOR.get(key, DEFAULT_FLOOR)
        spread = max(mad, floor)
        if len(batch_values) < MIN_BATCH:
            spread = max(spread, floor * SMALL_BATCH_WIDENING)
        value = centre + Z * spread
        if anchor_values:
            value = max(value, max(anchor_values) + floor)
        thresholds[key] = Threshold(key[0], key[1], centre, spread, value, len(sample))
    return thresholds


def flags_for(scores: Scores, thresholds: Mapping[tuple[str, str], Threshold]) -> list[Flag]:
    """The image's drift flags, one per metric at most, most severe first.

    Severity is the robust z-score ``(distance − centre) / spread``: how unusual the value
    is for this batch in the component's own units. Attribution follows it: when one change
    trips two metrics (a warm light also moves the colours; a recoloured backdrop also
    moves the light's estimate), the metric that moved furthest beyond its own spread is
    named first.
    """
    found: list[Flag] = []
    for metric, score in scores.items():
        worst: Flag | None = None
        for component in score.components:
            limit = thresholds.get((metric, component.name))
            if limit is None or component.distance <= limit.value:
                continue
            severity = (component.distance - limit.centre) / limit.spread
            if worst is None or severity > worst.severity:
                worst = Flag(
                    metric,
                    component.name,
                    component.distance,
                    limit.value,
                    severity,
                    component.message,
                )
        if worst is not None:
            found.append(worst)
    return sorted(found, key=lambda flag: -flag.severity)
