"""Drift thresholds calibrated from a synthetic batch (canvas/governance/metrics/calibration)."""

from __future__ import annotations

import numpy as np
import pytest

from canvas.governance.metrics import calibration
from canvas.governance.metrics.result import Component, MetricScore


def scores(palette: float, direction: float, exposure: float = 0.1) -> dict[str, MetricScore]:
    return {
        "palette": MetricScore(
            "palette", 1 - palette, (Component("subject", palette, f"{palette:.0%} off"),)
        ),
        "lighting": MetricScore(
            "lighting",
            0.5,
            (
                Component("direction", direction, "direction"),
                Component("exposure", exposure, "exposure"),
            ),
        ),
    }


def test_outliers_of_a_batch_are_flagged_and_the_rest_are_not():
    rng = np.random.default_rng(3)
    batch = [scores(abs(rng.normal(0.05, 0.02)), abs(rng.normal(0.2, 0.05))) for _ in range(40)]
    batch += [scores(0.45, 0.2), scores(0.05, 1.8)]
    thresholds = calibration.calibrate(batch)
    flagged = [calibration.flags_for(image, thresholds) for image in batch]
    assert not any(flagged[:40])
    assert [f.metric for f in flagged[40]] == ["palette"]
    assert [(f.metric, f.component) for f in flagged[41]] == [("lighting", "direction")]
    palette = thresholds[("palette", "subject")]
    # median + Z × max(MAD × 1.4826, floor): the batch's own spread, not a brand setting.
    values = np.array([image["palette"].components[0].distance for image in batch] + [0.0])
    mad = np.median(np.abs(values - np.median(values))) * calibration.MAD_TO_SIGMA
    spread = max(mad, calibration.FLOOR[("palette", "subject")])
    assert palette.value == pytest.approx(np.median(values) + calibration.Z * spread)


def test_a_batch_of_identical_images_uses_the_floor_not_zero():
    batch = [scores(0.0, 0.0) for _ in range(20)]
    thresholds = calibration.calibrate(batch)
    limit = thresholds[("palette", "subject")]
    assert limit.spread == calibration.FLOOR[("palette", "subject")]
    assert not calibration.flags_for(scores(0.1, 0.0), thresholds)
    assert calibration.flags_for(scores(0.5, 0.0), thresholds)


def test_a_small_batch_widens_the_threshold():
    big = calibration.calibrate([scores(0.0, 0.0)] * calibration.MIN_BATCH)
    small = calibration.calibrate([scores(0.0, 0.0)] * 2)
    key = ("lighting", "direction")
    assert small[key].value == pytest.approx(big[key].value * calibration.SMALL_BATCH_WIDENING)


def test_the_threshold_is_never_below_the_anchors_own_distances():
    batch = [scores(0.02, 0.1) for _ in range(20)]
    anchors = [{"lighting": scores(0.0, d)["lighting"]} for d in (0.0, 0.9, 1.0, 1.1)]
    alone = calibration.calibrate(batch)[("lighting", "direction")]
    with_anchors = calibration.calibrate(batch, anchors)[("lighting", "direction")]
    assert with_anchors.samples == alone.samples + 4
    # As far from the anchors as the approved anchors are from each other is not drift.
    floor = calibration.FLOOR[("lighting", "direction")]
    assert with_anchors.value == pytest.approx(1.1 + floor)
    assert with_anchors.value > alone.value


def test_one_flag_per_metric_most_severe_first():
    batch = [scores(0.02, 0.1, 0.1) for _ in range(20)]
    thresholds = calibration.calibrate(batch)
    flags = calibration.flags_for(scores(0.5, 0.9, 3.0), thresholds)
    assert [(f.metric, f.component) for f in flags] == [
        ("lighting", "exposure"),
        ("palette", "subject"),
    ]
    payload = flags[0].as_dict()
    assert set(payload) == {"metric", "component", "value", "threshold", "message"}
    assert payload["value"] > payload["threshold"]


def test_the_metric_furthest_beyond_its_own_spread_is_named_first():
    batch = [scores(0.02, 0.1, 0.1) for _ in range(20)]
    thresholds = calibration.calibrate(batch)
    exposure = thresholds[("lighting", "exposure")]
    palette = thresholds[("palette", "subject")]
    # A change of light that also nudged the colours over their threshold: the light moved
    # further in its own units, so it is named first.
    flags = calibration.flags_for(scores(0.5, 0.1, 3.0), thresholds)
    assert [f.metric for f in flags] == ["lighting", "palette"]
    assert flags[0].severity == pytest.approx((3.0 - exposure.centre) / exposure.spread)
    # A recolour that also nudged the light's estimate over its threshold is the palette's.
    flags = calibration.flags_for(scores(3.0, 0.1, 0.8), thresholds)
    assert [f.metric for f in flags] == ["palette", "lighting"]
    assert flags[0].severity == pytest.approx((3.0 - palette.centre) / palette.spread)
