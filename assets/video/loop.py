"""A seamless moving loop from one still, with no model: the local loop engine's pixels.

A texture plate, not generated content: every frame is the still itself, resampled.
Four motions, each a periodic function of the loop phase θ = 2π·i/N (N frames), so frame N
is frame 0 exactly and the cut from the last frame back to the first is one ordinary step:

- **camera**: a slow elliptical pan and a breathing zoom (Ken Burns), always zoomed in far
  enough that the frame edge never shows;
- **parallax**: the foreground (a mask, the still's alpha, or ``split_foreground``) moves
  ``parallax`` times as far as the background; the background behind it is filled once
  (``assets.imageops.inpaint``) so the foreground uncovers plausible pixels, not a copy of
  itself;
- **noise flow**: a smooth random displacement field that turns in a circle in noise space
  (``cos θ · A + sin θ · B``), so surfaces sway and come back;
- **flicker**: a light brightness swing made of whole harmonics of θ.

Resampling (bilinear) only blends neighbouring pixels of the still and the flicker is a
small gain, so the loop's palette stays the still's. Deterministic for a given seed.
Must not import Django or ``canvas``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import cv2
import numpy as np
from PIL import Image

from assets.imageops.colour import rgb_to_lab
from assets.imageops.inpaint import fill
from assets.video.encode import Rate, frame_rate

MIN_FOREGROUND = 0.03  # a split smaller than this share of the frame is noise, not a subject
MAX_FOREGROUND = 0.7  # larger than this, "foreground" is the whole picture


@dataclass(frozen=True)
class LoopMotion:
    """How much the loop moves. Lengths are fractions of the frame's shorter side."""

    pan: float = 0.015  # camera drift amplitude
    zoom: float = 0.03  # extra magnification at the loop's closest point
    parallax: float = 1.8  # foreground travel relative to the background's
    flow: float = 0.003  # noise-flow displacement amplitude
    flow_size: float = 0.12  # size of the swaying features
    flicker: float = 0.012  # brightness swing (0.012 = ±1.2 %)


@dataclass(frozen=True)
class _Phases:
    """The seed's choices: where each motion starts and which harmonics flicker."""

    pan_x: float
    pan_y: float
    flicker_harmonics: tuple[int, int]
    flicker_phases: tuple[float, float]


class LoopPlan:
    """Everything a loop needs, prepared once; ``frame(i)`` renders frame ``i``.

    ``still``: H×W×3 RGB or H×W×4 RGBA uint8. ``foreground``: H×W mask (bool, uint8 0–255
    or float 0–1) of what is nearer the camera; ``None`` uses the still's alpha when it has
    transparent areas, else ``split_foreground``; a still with no clear subject moves as one
    layer. Odd widths/heights lose their last column/row (video wants even sizes).
    """

    def __init__(
        self,
        still: np.ndarray,
        *,
        seconds: float,
        fps: Rate,
        seed: int = 0,
        foreground: np.ndarray | None = None,
        motion: LoopMotion | None = None,
    ) -> None:
        if still.dtype != np.uint8 or still.ndim != 3 or still.shape[2] not in (3, 4):
            raise ValueError("A still is an H×W×3 or H×W×4 uint8 array.")
        h, w = still.shape[0] // 2 * 2, still.shape[1] // 2 * 2
        if h < 16 or w < 16:
            raise ValueError("A still for a loop must be at least 16×16 pixels.")
        self.still = np.ascontiguousarray(still[:h, :w])
        self.fps: Fraction = frame_rate(fps)
        self.frame_count = max(2, round(seconds * self.fps))
        self.motion = motion or LoopMotion()
        rng = np.random.default_rng(seed)
        self._phases = _Phases(
            pan_x=float(rng.uniform(0, 2 * math.pi)),
            pan_y=float(rng.uniform(0, 2 * math.pi)),
            flicker_harmonics=(int(rng.integers(2, 5)), int(rng.integers(5, 10))),
            flicker_phases=(float(rng.uniform(0, 2 * math.pi)), float(rng.uniform(0, 2 * math.pi))),
        )
        short = float(min(h, w))
        self._short = short
        self._flow_fields = _noise_fields(rng, (h, w), self.motion.flow_size * short, count=4)
        mask = _mask(foreground, self.still) if foreground is not None else _auto_mask(self.still)
        self._mask = mask
        self._background = self.still if mask is None else _behind(self.still, mask, seed)
        parallax = self.motion.parallax if mask is not None else 1.0
        travel = (self.motion.pan * short * max(1.0, parallax)) + 2.0 * self.motion.flow * short
        # Zoomed in by at least enough to keep the travel inside the picture (+1 px).
        self._base_scale = 1.0 + 2.0 * (travel + 1.0) / short
        self._centre = ((w - 1) / 2.0, (h - 1) / 2.0)
        self._dx, self._dy = np.meshgrid(
            np.arange(w, dtype=np.float32) - np.float32(self._centre[0]),
            np.arange(h, dtype=np.float32) - np.float32(self._centre[1]),
        )

    @property
    def has_layers(self) -> bool:
        """Whether a foreground moves apart from the background (parallax)."""
        return self._mask is not None

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` (any integer: the loop repeats every ``frame_count`` frames)."""
        theta = 2.0 * math.pi * (index % self.frame_count) / self.frame_count
        flow_x, flow_y = self._flow(theta)
        background = self._warp(self._background, theta, 1.0, flow_x, flow_y)
        if self._mask is None:
            out = background
        else:
            gain = self.motion.parallax
            front = self._warp(self.still, theta, gain, flow_x, flow_y)
            mask = self._warp(self._mask, theta, gain, flow_x, flow_y)
            out = cv2.blendLinear(front, background, mask, 1.0 - mask)
        return self._flicker(out, theta)

    def frames(self) -> Iterator[np.ndarray]:
        """The loop's frames 0 … N−1, one at a time (frame N would be frame 0 again)."""
        for index in range(self.frame_count):
            yield self.frame(index)

    def _flow(self, theta: float) -> tuple[np.ndarray, np.ndarray]:
        amplitude = self.motion.flow * self._short
        c, s = amplitude * math.cos(theta), amplitude * math.sin(theta)
        a, b, d, e = self._flow_fields
        return cv2.addWeighted(a, c, b, s, 0.0), cv2.addWeighted(d, c, e, s, 0.0)

    def _warp(
        self, pixels: np.ndarray, theta: float, gain: float, flow_x: np.ndarray, flow_y: np.ndarray
    ) -> np.ndarray:
        """Sample ``pixels`` through the camera of a layer ``gain`` times as near."""
        zoom = self.motion.zoom * gain * (1.0 - math.cos(theta)) / 2.0
        shrink = 1.0 / (self._base_scale + zoom)
        pan = self.motion.pan * self._short * gain
        off_x = pan * math.sin(theta + self._phases.pan_x)
        off_y = 0.6 * pan * math.sin(theta + self._phases.pan_y)
        # source = centre + (pixel − centre) / scale + pan + flow, one fused op per axis
        map_x = cv2.addWeighted(self._dx, shrink, flow_x, 1.0, self._centre[0] + off_x)
        map_y = cv2.addWeighted(self._dy, shrink, flow_y, 1.0, self._centre[1] + off_y)
        return cv2.remap(pixels, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)

    def _flicker(self, pixels: np.ndarray, theta: float) -> np.ndarray:
        (k1, k2), (p1, p2) = self._phases.flicker_harmonics, self._phases.flicker_phases
        swing = 0.7 * math.sin(k1 * theta + p1) + 0.3 * math.sin(k2 * theta + p2)
        gain = 1.0 + self.motion.flicker * swing
        if pixels.shape[2] == 3:
            return cv2.convertScaleAbs(pixels, alpha=gain)
        out = pixels.copy()
        out[..., :3] = cv2.convertScaleAbs(np.ascontiguousarray(pixels[..., :3]), alpha=gain)
        return out


def split_foreground(still: np.ndarray) -> np.ndarray | None:
    """A soft foreground mask (H×W float32, 0–1) from colour contrast with the frame's
    border, or ``None`` when no clear subject stands out.

    The border ring's median colour stands for the backdrop; pixels far from it in CIELAB
    (Otsu's threshold on the distance) that form one large connected region are the
    subject. A heuristic for plates (a product on a backdrop, a figure against sky), not a
    segmentation model; pass a real mask when the board has one."""
    rgb = np.ascontiguousarray(still[..., :3])
    h, w = rgb.shape[:2]
    scale = min(1.0, 256.0 / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    lab = rgb_to_lab(small)
    ring = max(1, round(0.05 * min(small.shape[:2])))
    edges = (lab[:ring], lab[-ring:], lab[:, :ring], lab[:, -ring:])
    border = np.concatenate([edge.reshape(-1, 3) for edge in edges])
    distance = np.linalg.norm(lab - np.median(border, axis=0), axis=2)
    distance = cv2.GaussianBlur(distance, (0, 0), 1.5)
    scaled = np.clip(distance * (255.0 / max(float(distance.max()), 1e-6)), 0, 255)
    _, binary = cv2.threshold(scaled.astype(np.uint8), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count < 2:
        return None
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    subject = (labels == largest).astype(np.float32)
    share = float(subject.mean())
    if not MIN_FOREGROUND <= share <= MAX_FOREGROUND:
        return None
    subject = cv2.resize(subject, (w, h), interpolation=cv2.INTER_LINEAR)
    return _feathered(subject, min(h, w))


def _mask(foreground: np.ndarray, still: np.ndarray) -> np.ndarray | None:
    h, w = still.shape[:2]
    mask = np.asarray(foreground)[:h, :w].astype(np.float32)
    if mask.shape != (h, w):
        raise ValueError(f"The foreground mask is {mask.shape}, the still is {(h, w)}.")
    if mask.max() > 1.0:
        mask /= 255.0
    share = float(mask.mean())
    if share <= 0.0 or share >= 1.0:
        return None
    return _feathered(np.clip(mask, 0.0, 1.0), min(h, w))


def _auto_mask(still: np.ndarray) -> np.ndarray | None:
    if still.shape[2] == 4 and still[..., 3].min() < 255:
        return _mask(still[..., 3], still)
    return split_foreground(still)


def _feathered(mask: np.ndarray, short: int) -> np.ndarray:
    sigma = max(1.0, 0.004 * short)
    return np.clip(cv2.GaussianBlur(mask, (0, 0), sigma), 0.0, 1.0)


def _behind(still: np.ndarray, mask: np.ndarray, seed: int) -> np.ndarray:
    """The background with the foreground filled in from around it, so parallax uncovers
    the backdrop's colours rather than a ghost of the subject."""
    short = min(still.shape[:2])
    hole = Image.fromarray(((mask > 0.05) * 255).astype(np.uint8), "L")
    source = Image.fromarray(still, "RGBA" if still.shape[2] == 4 else "RGB")
    grow = max(2, round(0.01 * short))
    filled = np.asarray(fill(source, hole, seed=seed, grow_px=grow))
    return np.ascontiguousarray(filled if still.shape[2] == 4 else filled[..., :3])


def _noise_fields(
    rng: np.random.Generator, shape: tuple[int, int], feature_px: float, count: int
) -> list[np.ndarray]:
    """``count`` smooth random fields (zero mean, unit peak) with features ~``feature_px``:
    white noise on a coarse grid, upsampled bicubically."""
    h, w = shape
    cells = (
        max(2, round(w / max(feature_px, 1.0))) + 3,
        max(2, round(h / max(feature_px, 1.0))) + 3,
    )
    fields = []
    for _ in range(count):
        coarse = rng.standard_normal((cells[1], cells[0])).astype(np.float32)
        field = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
        field = field - field.mean()
        field = field / max(float(np.abs(field).max()), 1e-6)
        fields.append(field)
    return fields
