"""Colour comparisons for the export tests: CIEDE2000 between images, by scikit-image."""

from __future__ import annotations

import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab


def over_white(rgba: np.ndarray) -> np.ndarray:
    """An RGBA array (uint8, uint16 or float 0–1) flattened over white, as float 0–1 RGB."""
    if rgba.dtype.kind in "ui":
        values = rgba.astype(np.float64) / float(np.iinfo(rgba.dtype).max)
    else:
        values = rgba.astype(np.float64)
    if values.shape[2] == 3:
        return values
    alpha = values[..., 3:4]
    return values[..., :3] * alpha + (1.0 - alpha)


def delta_e_2000(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Per-pixel ΔE2000 between two images (RGBA over white or RGB, sRGB)."""
    return deltaE_ciede2000(rgb2lab(over_white(first)), rgb2lab(over_white(second)))
