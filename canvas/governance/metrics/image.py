"""One image prepared for scoring: downsampled once, converted to CIELAB once.

Every metric works on the same small copy (``WORK_SIZE`` px on the long side): the
metrics measure colour mass, light and layout, which survive downsampling, and 128 px
keeps a 512 px result at a few milliseconds per metric on one core. Coordinates are
normalised to the frame (0–1 on each axis) so images of different sizes and aspect
ratios compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage.color import rgb2lab
from skimage.filters import threshold_otsu

WORK_SIZE = 128
# Below this ΔE76 from the border nothing is a subject: the frame is one backdrop.
MIN_SUBJECT_CONTRAST = 8.0

# OpenCV's stubs type every result as a matrix of any number type: keep arrays loosely typed.
FloatArray = NDArray[Any]


class BadImage(ValueError):
    """The pixels cannot be scored (empty, wrong shape)."""


@dataclass(eq=False)
class Prepared:
    """An image at working size: sRGB in 0–1 and CIELAB (D65), plus cached derived maps."""

    rgb: NDArray[np.float32]
    lab: FloatArray

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def lightness(self) -> FloatArray:
        """CIE L* (0–100): what the lighting metric measures."""
        return self.lab[..., 0]

    @cached_property
    def edges(self) -> NDArray[np.bool_]:
        """Canny edges of L*, shared by composition and style."""
        lum = np.clip(self.lightness * 2.55, 0, 255).astype(np.uint8)
        return np.asarray(cv2.Canny(cv2.GaussianBlur(lum, (3, 3), 0), 30, 90)) > 0

    @cached_property
    def distinctness(self) -> FloatArray:
        """Per-pixel colour distance (ΔE76) from the background, taken as the frame's border.

        Generated product shots and illustrations put the subject on a backdrop that meets
        the frame; what differs from the border is what the eye goes to.
        """
        return np.sqrt(((self.lab - self.backdrop) ** 2).sum(axis=2))

    @cached_property
    def backdrop(self) -> FloatArray:
        """Median CIELAB colour of the frame's border: the backdrop the subject stands on."""
        margin = max(1, round(0.06 * min(self.height, self.width)))
        border = np.concatenate(
            [
                self.lab[:margin].reshape(-1, 3),
                self.lab[-margin:].reshape(-1, 3),
                self.lab[:, :margin].reshape(-1, 3),
                self.lab[:, -margin:].reshape(-1, 3),
            ]
        )
        return np.median(border, axis=0)

    @cached_property
    def subject(self) -> NDArray[np.bool_]:
        """The main subject: pixels clearly unlike the background (Otsu on distinctness).

        Falls back to the whole frame when nothing stands out (a full-bleed texture).
        """
        distance = self.distinctness
        if float(distance.max()) < MIN_SUBJECT_CONTRAST:
            return np.ones(distance.shape, dtype=bool)
        level = max(float(threshold_otsu(distance)), MIN_SUBJECT_CONTRAST / 2)
        raw = (distance > level).astype(np.uint8)
        mask = np.asarray(cv2.morphologyEx(raw, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)))
        if mask.sum() < 0.005 * mask.size:
            return np.ones(distance.shape, dtype=bool)
        return mask > 0


def prepare(pixels: NDArray[Any]) -> Prepared:
    """Downsample an RGB(A) or grey uint8/float array and convert it to CIELAB.

    Alpha is composited over white (how a transparent result looks on the board).
    """
    array = np.asarray(pixels)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or min(array.shape[:2]) < 2:
        raise BadImage(f"Expected an RGB image, got an array of shape {array.shape}.")
    rgb = array.astype(np.float32)
    if array.dtype == np.uint8:
        rgb /= 255.0
    if rgb.shape[2] == 4:
        alpha = rgb[..., 3:4]
        rgb = rgb[..., :3] * alpha + (1.0 - alpha)
    height, width = rgb.shape[:2]
    scale = WORK_SIZE / max(height, width)
    if scale < 1:
        size = (max(2, round(width * scale)), max(2, round(height * scale)))
        resized = cv2.resize(np.ascontiguousarray(rgb), size, interpolation=cv2.INTER_AREA)
        rgb = np.asarray(resized, dtype=np.float32)
    rgb = np.clip(rgb, 0.0, 1.0)
    return Prepared(rgb=rgb, lab=rgb2lab(rgb).astype(np.float64))


def grid(prepared: Prepared) -> tuple[FloatArray, FloatArray]:
    """Pixel-centre coordinates normalised to 0–1 (x right, y down)."""
    ys = (np.arange(prepared.height) + 0.5) / prepared.height
    xs = (np.arange(prepared.width) + 0.5) / prepared.width
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy
