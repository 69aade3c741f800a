"""Masks: feathering and putting a changed region back over the original.

The guarantee callers rely on: pixels farther than ``feather_px`` from every masked pixel
come back bit-for-bit identical to the original. Must not import Django.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image


def feather(mask: Image.Image, feather_px: float) -> np.ndarray:
    """Blend weights 0–1 (float32, H×W): the mask itself, plus a ramp outside it.

    Feathering grows outward: a pixel at distance d (1 ≤ d ≤ feather_px) from the nearest
    masked pixel gets weight 1 − d/(feather_px + 1), falling with distance; beyond
    ``feather_px`` the weight is exactly 0. Growing outward (instead of eating into the mask)
    means everything the designer painted is fully replaced.
    """
    m = np.asarray(mask.convert("L"))
    inside = m.astype(np.float32) / 255.0
    if feather_px <= 0 or not (m > 0).any():
        return inside
    outside = (m == 0).astype(np.uint8)
    # Distance from each unmasked pixel to the nearest masked one (masked pixels are 0s).
    distance = cv2.distanceTransform(outside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    ramp = np.clip(1.0 - distance / (float(feather_px) + 1.0), 0.0, 1.0)
    ramp[distance > feather_px] = 0.0
    return np.where(m > 0, inside, ramp).astype(np.float32)


def paste_back(
    original: Image.Image, result: Image.Image, mask: Image.Image, feather_px: float = 0
) -> Image.Image:
    """``result`` where the (feathered) mask says so, ``original`` everywhere else.

    ``result`` is resized to ``original``'s size if an engine returned another size.
    Blending is done on premultiplied colour so transparent edges do not turn dark.
    """
    original = original.convert("RGBA")
    result = result.convert("RGBA")
    if result.size != original.size:
        result = result.resize(original.size, Image.Resampling.LANCZOS)
    if mask.size != original.size:
        raise ValueError(f"mask is {mask.size}, original is {original.size}")
    w = feather(mask, feather_px)[..., None]
    a = np.asarray(original).astype(np.float32)
    b = np.asarray(result).astype(np.float32)
    a_alpha, b_alpha = a[..., 3:] / 255.0, b[..., 3:] / 255.0
    alpha = a_alpha * (1.0 - w) + b_alpha * w
    colour = a[..., :3] * a_alpha * (1.0 - w) + b[..., :3] * b_alpha * w
    colour = np.where(alpha > 0, colour / np.maximum(alpha, 1e-6), 0.0)
    blended = np.dstack([colour, alpha * 255.0])
    blended = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    # Exactness where nothing or everything changes, whatever float rounding did.
    out = np.where(w == 0, np.asarray(original), blended)
    out = np.where(w == 1, np.asarray(result), out)
    return Image.fromarray(out.astype(np.uint8), "RGBA")
