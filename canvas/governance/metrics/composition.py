"""Composition: where the main mass sits, how big it is, and whether the structure matches.

Recipe (docs/governance.md "Composition"):

- **saliency**: half edge density (Canny edges of L*, Gaussian-blurred) and half colour
  distinctness from the backdrop (ΔE76 from the frame's border colour). A sketch anchor
  (lines on paper) and a rendered result both light up where the subject is.
- **placement**: the saliency-weighted centroid, in frame coordinates (0–1).
- **scale**: the side of the box holding the central 90 % of the saliency mass, relative
  to the frame (the square root of its area).
- **shape**: the box's aspect ratio (a standing bottle against a lying one, one subject
  against a pair side by side).
- **structure**: SSIM (scikit-image, Wang et al. settings) between blurred edge maps of the
  box's surroundings at 64 × 64, each map cropped to the subject's box (widened to the
  same aspect as the anchor's), so placement and scale — measured above — do not count
  twice: it compares the layout's lines, not where they sit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from skimage.metrics import structural_similarity

from canvas.governance.metrics.image import FloatArray, Prepared, grid
from canvas.governance.metrics.result import Component, MetricScore, closest

EDGE_SIZE = 64
PLACEMENT_SCALE = 0.25  # a move of a quarter of the frame is a distance of 1
SCALE_SCALE = math.log(1.6)
STRUCTURE_SCALE = 0.5
ASPECT_SCALE = math.log(1.6)
CONTEXT = 0.25  # share of the box's size added around it for the structure crop


@dataclass(frozen=True)
class CompositionFeatures:
    centroid: tuple[float, float]
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in frame coordinates
    size: float  # sqrt of the box's share of the frame
    aspect: float  # box width / height, in frame units
    edges: FloatArray  # blurred edge map at working size


def _normalised(values: FloatArray) -> FloatArray:
    top = float(np.percentile(values, 99))
    return np.clip(values / top, 0, 1) if top > 1e-9 else np.zeros_like(values)


def saliency(image: Prepared) -> FloatArray:
    density = cv2.GaussianBlur(image.edges.astype(np.float64), (0, 0), 3.0)
    return 0.5 * _normalised(density) + 0.5 * _normalised(image.distinctness)


def _weighted_quantile(values: FloatArray, weights: FloatArray, q: float) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, q * cumulative[-1])])


def features(image: Prepared) -> CompositionFeatures:
    weights = saliency(image)
    # Only what stands out above the frame's average counts as mass.
    weights = np.clip(weights - weights.mean(), 0, None)
    gx, gy = grid(image)
    total = float(weights.sum())
    if total < 1e-9:
        weights, total = np.ones_like(weights), float(weights.size)
    cx = float((weights * gx).sum() / total)
    cy = float((weights * gy).sum() / total)
    column = weights.sum(axis=0)
    row = weights.sum(axis=1)
    xs, ys = gx[0], gy[:, 0]
    x0, x1 = (_weighted_quantile(xs, column, q) for q in (0.05, 0.95))
    y0, y1 = (_weighted_quantile(ys, row, q) for q in (0.05, 0.95))
    edges = cv2.GaussianBlur(image.edges.astype(np.float32), (0, 0), 1.5)
    width, height = max(x1 - x0, 1e-3), max(y1 - y0, 1e-3)
    size = math.sqrt(width * height)
    return CompositionFeatures((cx, cy), (x0, y0, x1, y1), size, width / height, edges)


def _crop(features: CompositionFeatures, aspect: float) -> FloatArray:
    """The edge map around the subject's box, widened to ``aspect``, at EDGE_SIZE²."""
    x0, y0, x1, y1 = features.box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    width, height = x1 - x0, y1 - y0
    if width / max(height, 1e-6) < aspect:
        width = height * aspect
    else:
        height = width / aspect
    width, height = width * (1 + 2 * CONTEXT), height * (1 + 2 * CONTEXT)
    rows, cols = features.edges.shape
    # An affine warp samples outside the frame as empty (no edges), like paper around a print.
    scale_x, scale_y = width * cols / EDGE_SIZE, height * rows / EDGE_SIZE
    matrix = np.array(
        [[scale_x, 0, (cx - width / 2) * cols], [0, scale_y, (cy - height / 2) * rows]],
        dtype=np.float64,
    )
    crop = cv2.warpAffine(
        features.edges,
        matrix,
        (EDGE_SIZE, EDGE_SIZE),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    return _normalised(crop.astype(np.float64))


def _where(point: tuple[float, float]) -> str:
    horizontal = ["left", "centre", "right"][min(2, int(point[0] * 3))]
    vertical = ["top", "middle", "bottom"][min(2, int(point[1] * 3))]
    if horizontal == "centre" and vertical == "middle":
        return "in the centre"
    if vertical == "middle":
        return f"in the {horizontal} third"
    if horizontal == "centre":
        return f"at the {vertical}"
    return f"at the {vertical} {horizontal}"


def _compare_one(image: CompositionFeatures, anchor: CompositionFeatures) -> list[Component]:
    moved = math.hypot(
        image.centroid[0] - anchor.centroid[0], image.centroid[1] - anchor.centroid[1]
    )
    ratio = image.size / max(anchor.size, 1e-3)
    stretch = image.aspect / max(anchor.aspect, 1e-3)
    similarity = float(
        structural_similarity(
            _crop(image, anchor.aspect),
            _crop(anchor, anchor.aspect),
            data_range=1.0,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
        )
    )
    return [
        Component(
            "placement",
            moved / PLACEMENT_SCALE,
            f"The main subject sits {_where(image.centroid)}; "
            f"the anchor's is {_where(anchor.centroid)}.",
            {
                "offset": round(moved, 3),
                "x": round(image.centroid[0], 3),
                "y": round(image.centroid[1], 3),
            },
        ),
        Component(
            "scale",
            abs(math.log(ratio)) / SCALE_SCALE,
            f"The main subject takes {image.size**2:.0%} of the frame; "
            f"the anchor's takes {anchor.size**2:.0%}.",
            {"size": round(image.size, 3), "anchor_size": round(anchor.size, 3)},
        ),
        Component(
            "shape",
            abs(math.log(stretch)) / ASPECT_SCALE,
            f"The main subject is {'wider' if stretch > 1 else 'taller'} than the anchor's "
            f"(width to height {image.aspect:.1f} vs {anchor.aspect:.1f}).",
            {"aspect": round(image.aspect, 2), "anchor_aspect": round(anchor.aspect, 2)},
        ),
        Component(
            "structure",
            max(0.0, 1.0 - similarity) / STRUCTURE_SCALE,
            f"The layout's lines differ from the composition anchor's "
            f"(edge-map similarity {similarity:.2f}).",
            {"ssim": round(similarity, 3)},
        ),
    ]


def compare(image: CompositionFeatures, anchors: Sequence[CompositionFeatures]) -> MetricScore:
    """Components against the closest composition anchor; score = exp(−largest distance)."""
    if not anchors:
        raise ValueError("A composition score needs at least one composition anchor.")
    return closest("composition", (_compare_one(image, anchor) for anchor in anchors))
