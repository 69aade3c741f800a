"""Consistency metrics: pure pixel maths, no Django, no I/O (see docs/governance.md).

Each role module exposes ``features(image) -> Features`` (computed once per image, so a
batch of N images against M anchors costs N + M feature extractions, not N × M) and
``compare(features, references) -> MetricScore``. ``calibration`` turns a batch of
scores into drift thresholds and flags.
"""
