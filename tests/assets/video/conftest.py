"""Synthetic stills and clips for the video tests: small, deterministic, made in the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest


def make_still(width: int = 320, height: int = 180, seed: int = 1) -> np.ndarray:
    """A blue-to-teal gradient with grain and an orange striped disc right of centre: a
    backdrop and one clear subject, like a product plate."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.empty((height, width, 3), np.float32)
    image[..., 0] = 40 + 60 * x / width
    image[..., 1] = 90 + 40 * y / height
    image[..., 2] = 150
    image += rng.normal(0, 5, (height, width, 1)).astype(np.float32)
    disc = (x - width * 0.55) ** 2 + (y - height * 0.5) ** 2 < (0.22 * height) ** 2
    image[disc] = (220, 120, 40)
    image[disc] += (20 * np.sin(x[disc] / 5.0))[:, None]
    return np.clip(image, 0, 255).astype(np.uint8)


def ramp_frames(
    count: int = 24, width: int = 96, height: int = 64, alpha: bool = False
) -> Iterator[np.ndarray]:
    """Frames whose red channel steps by 5 each frame (so a frame's index can be read back)
    over a green ramp; with ``alpha`` a vertical alpha ramp."""
    for index in range(count):
        frame = np.zeros((height, width, 4 if alpha else 3), np.uint8)
        frame[..., 0] = min(255, 20 + 5 * index)
        frame[..., 1] = np.linspace(16, 235, width, dtype=np.float32)[None, :].astype(np.uint8)
        frame[..., 2] = 90
        if alpha:
            frame[..., 3] = np.linspace(0, 255, height).astype(np.uint8)[:, None]
        yield frame


@pytest.fixture
def still() -> np.ndarray:
    """The 320×180 plate of ``make_still``."""
    return make_still()


@pytest.fixture
def ramp() -> Callable[..., Iterator[np.ndarray]]:
    """``ramp_frames``: a clip whose frames can be told apart by their red value."""
    return ramp_frames
