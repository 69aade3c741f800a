"""Limits of a consistency check, importable without the metrics' heavy imports."""

MAX_ASSETS = 500  # images per check
MAX_ANCHORS_PER_ROLE = 8
