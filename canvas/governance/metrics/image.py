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
from skimage.color import rgb2xyz, xyz2lab
from skimage.color.colorconv import rgb_from_xyz
from skimage.filters import threshold_otsu

WORK_SIZE = 128
DETAIL_SIZE = 256  # the style metric's grey copy: textures finer than 128 px can show
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
    xyz: FloatArray  # CIE XYZ (D65, Y = relative luminance 0–1), scikit-image's sRGB decoding
    detail: NDArray[np.float32] | None = None  # grey (sRGB luma 0–1) at up to DETAIL_SIZE

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
    def linear(self) -> FloatArray:
        """Linear-light sRGB (0–1): where a light's colour acts as one gain per channel."""
        return np.asarray(self.xyz @ rgb_from_xyz.T, dtype=np.float64)

    @cached_property
    def edges(self) -> NDArray[np.bool_]:
        """Canny edges of L* after a 5 × 5 median (grain and fine textures go, outlines stay)."""
        lum = np.clip(self.lightness * 2.55, 0, 255).astype(np.uint8)
        return np.asarray(cv2.Canny(cv2.medianBlur(lum, 5), 30, 90)) > 0

    @cached_property
    def distinctness(self) -> FloatArray:
        """Per-pixel colour distance (ΔE76) from the background, taken as the frame's border.

        Generated product shots and illustrations put the subject on a backdrop that meets
        the frame; what differs from the border is what the eye goes to.
        """
        return np.sqrt(((self.lab - self.backdrop) ** 2).sum(axis=2))

    @cached_property
    def border_mask(self) -> NDArray[np.bool_]:
        """The frame's border (6 % margin): where the backdrop shows."""
        margin = max(1, round(0.06 * min(self.height, self.width)))
        mask = np.zeros((self.height, self.width), dtype=bool)
        mask[:margin] = mask[-margin:] = True
        mask[:, :margin] = mask[:, -margin:] = True
        return mask

    @cached_property
    def backdrop(self) -> FloatArray:
        """Median CIELAB colour of the frame's border: the backdrop the subject stands on."""
        return np.median(self.lab[self.border_mask], axis=0)

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
    detail = np.clip(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY), 0.0, 1.0)
    if max(height, width) > DETAIL_SIZE:
        shrink = DETAIL_SIZE / max(height, width)
        size = (max(2, round(width * shrink)), max(2, round(height * shrink)))
        detail = cv2.resize(detail, size, interpolation=cv2.INTER_AREA)
    scale = WORK_SIZE / max(height, width)
    if scale < 1:
        size = (max(2, round(width * scale)), max(2, round(height * scale)))
        resized = cv2.resize(np.ascontiguousarray(rgb), size, interpolation=cv2.INTER_AREA)
        rgb = np.asarray(resized, dtype=np.float32)
    rgb = np.clip(rgb, 0.0, 1.0)
    xyz = np.asarray(rgb2xyz(rgb), dtype=np.float64)
    lab = np.asarray(xyz2lab(xyz), dtype=np.float64)
    return Prepared(rgb=rgb, lab=lab, xyz=xyz, detail=np.asarray(detail, dtype=np.float32))


def distinct(sample: FloatArray, step: float) -> int:
    """How many distinct rows ``sample`` has once rounded to ``step`` (k-means' upper k)."""
    keys = np.round(np.asarray(sample, dtype=np.float64) / step).astype(np.int64)
    keys -= keys.min(axis=0)
    span = keys.max(axis=0) + 1
    flat = keys[:, 0]
    for column in range(1, keys.shape[1]):
        flat = flat * span[column] + keys[:, column]
    return len(np.unique(flat))


def grid(prepared: Prepared) -> tuple[FloatArray, FloatArray]:
    """Pixel-centre coordinates normalised to 0–1 (x right, y down)."""
    ys = (np.arange(prepared.height) + 0.5) / prepared.height
    xs = (np.arange(prepared.width) + 0.5) / prepared.width
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy
