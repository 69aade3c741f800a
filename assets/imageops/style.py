"""What the local engine can take from a style anchor: colour grading and detail level.

"Style" in a generative sense (brushwork, subject matter, rendering technique) is out of
reach of classical image operations. Here it means two measurable things: the anchor's
overall colour statistics (grading) and how much fine detail/texture contrast it has.
Must not import Django.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from assets.imageops.colour import (
    image_lab,
    lab_image,
    lab_statistics,
    transfer_statistics,
    visible_pixels,
)

DETAIL_SIGMA = 2.0
COMPARE_EDGE = 512  # both images are measured at this size so "detail" means the same thing


def detail_level(image: Image.Image) -> float:
    """Standard deviation of the lightness high-pass, measured at ``COMPARE_EDGE``."""
    small = image.convert("RGBA")
    small.thumbnail((COMPARE_EDGE, COMPARE_EDGE), Image.Resampling.LANCZOS)
    lab, _ = image_lab(small)
    lightness = lab[..., 0]
    return float((lightness - cv2.GaussianBlur(lightness, (0, 0), DETAIL_SIGMA)).std())


def match_detail(image: Image.Image, reference: Image.Image, strength: float) -> Image.Image:
    """Scale ``image``'s fine lightness detail toward ``reference``'s level (×0.5 to ×2)."""
    own, wanted = detail_level(image), detail_level(reference)
    if own < 1e-3:
        return image.convert("RGBA").copy()  # nothing to scale; we do not invent texture
    gain = 1.0 + strength * (float(np.clip(wanted / own, 0.5, 2.0)) - 1.0)
    lab, alpha = image_lab(image)
    lightness = lab[..., 0]
    base = cv2.GaussianBlur(lightness, (0, 0), DETAIL_SIGMA)
    lab[..., 0] = np.clip(base + (lightness - base) * gain, 0.0, 100.0)
    return lab_image(lab, alpha)


def grade_toward(
    image: Image.Image,
    references: list[Image.Image],
    strength: float,
    channel_weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
    max_stretch: float = 4.0,
) -> Image.Image:
    """Colour-grade ``image`` toward the pooled colour statistics of ``references``."""
    lab, alpha = image_lab(image)
    pooled = np.concatenate([visible_pixels(*image_lab(r)) for r in references])
    out = transfer_statistics(
        lab,
        lab_statistics(visible_pixels(lab, alpha)),
        lab_statistics(pooled),
        strength,
        channel_weights,
        max_stretch,
    )
    return lab_image(out, alpha)
