"""Fixed-bucket latency histograms: percentiles without keeping every value.

A roll-up keeps, per bucket, how many values fell in it; buckets add up across hours,
boards and people, so p50/p95 of any selection is one sum of counts. The edges (seconds)
grow by ×1.33 to ×2, so a percentile read from them is off by at most its bucket's width:
at most 1 s up to 3 s, at most two thirds of the bucket's lower edge above (docs/dashboard.md:
the widest steps are 3 → 5 s and 180 → 300 s, most are ×1.5 or less). Bucket ``i``
holds values ``EDGES[i-1] < v <= EDGES[i]`` (bucket 0 from 0); the last bucket holds
everything above the last edge and reads as that edge.

Pure functions: no database, no Django.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

EDGES: tuple[float, ...] = (
    1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 450, 600, 900, 1200, 1800,
    2700, 3600, 5400, 7200,
)  # fmt: skip
BUCKETS = len(EDGES) + 1  # the last one: above 2 hours


def bucket_of(seconds: float) -> int:
    """The bucket a value in seconds falls in (negative clock skew counts as 0)."""
    return bisect.bisect_left(EDGES, max(0.0, seconds))


def bounds(index: int) -> tuple[float, float]:
    """The (lower, upper) edges of bucket ``index``; the last bucket is (2 h, 2 h)."""
    lower = 0.0 if index == 0 else float(EDGES[index - 1])
    upper = float(EDGES[index]) if index < len(EDGES) else float(EDGES[-1])
    return lower, upper


def percentile(counts: Sequence[int], q: float) -> float | None:
    """The ``q``-th quantile (0–1) of the values counted in ``counts``, interpolated
    linearly within its bucket; None when nothing was counted."""
    total = sum(counts)
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))  # the rank-th smallest value (nearest rank)
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            lower, upper = bounds(index)
            return round(lower + (upper - lower) * (rank - seen) / count, 3)
        seen += count
    return bounds(len(counts) - 1)[1]  # unreachable: the ranks add up to total
