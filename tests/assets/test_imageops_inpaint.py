"""Content-aware fill: the masked object disappears, the rest stays as it was."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from assets.imageops import inpaint


def wall_with_red_blob(size=(120, 90), seed=1) -> tuple[Image.Image, Image.Image]:
    rng = np.random.default_rng(seed)
    w, h = size
    ramp = np.linspace(90, 170, w)[None, :, None]
    base = np.broadcast_to(ramp, (h, w, 3)) * np.array([1.0, 0.95, 0.85])
    pixels = np.clip(base + rng.normal(0, 4, (h, w, 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels, "RGB").convert("RGBA")
    draw = ImageDraw.Draw(image)
    draw.ellipse((45, 30, 70, 55), fill=(230, 20, 20, 255))
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse((42, 27, 73, 58), fill=255)
    return image, mask


def redness(image: Image.Image) -> np.ndarray:
    rgb = np.asarray(image.convert("RGB")).astype(int)
    return rgb[..., 0] - np.maximum(rgb[..., 1], rgb[..., 2])


@pytest.mark.parametrize("method", ["telea", "ns"])
def test_fill_removes_the_blob_and_leaves_everything_else(method):
    image, mask = wall_with_red_blob()
    assert redness(image).max() > 150
    out = inpaint.fill(image, mask, method=method, seed=3)
    assert redness(out).max() < 60
    grown = inpaint.binary_mask(mask) > 0
    assert np.array_equal(np.asarray(out)[~grown], np.asarray(image)[~grown])
    # The fill continues the wall: its mean is close to the ring around it.
    before = np.asarray(image.convert("L")).astype(float)
    after = np.asarray(out.convert("L")).astype(float)
    ring = (inpaint.binary_mask(mask, 8) > 0) & ~grown
    assert abs(after[grown].mean() - before[ring].mean()) < 6


def test_fill_is_deterministic_per_seed():
    image, mask = wall_with_red_blob()
    first = inpaint.fill(image, mask, seed=9).tobytes()
    assert first == inpaint.fill(image, mask, seed=9).tobytes()
    assert first != inpaint.fill(image, mask, seed=10).tobytes()  # grain follows the seed


def test_large_images_are_filled_at_a_working_scale(monkeypatch):
    monkeypatch.setattr(inpaint, "WORK_EDGE", 48)
    image, mask = wall_with_red_blob()
    out = inpaint.fill(image, mask)
    assert out.size == image.size
    assert redness(out).max() < 60


def test_empty_mask_returns_the_image_unchanged():
    image, _ = wall_with_red_blob()
    out = inpaint.fill(image, Image.new("L", image.size, 0))
    assert out.tobytes() == image.tobytes()


def test_fill_has_grain_like_its_surroundings():
    image, mask = wall_with_red_blob()
    out = inpaint.fill(image, mask, seed=2)
    grey = np.asarray(out.convert("L")).astype(float)
    detail = np.abs(np.diff(grey, axis=1))
    hole = (inpaint.binary_mask(mask) > 0)[:, 1:]
    ring = (inpaint.binary_mask(mask, 14) > 0)[:, 1:] & ~hole
    ratio = detail[hole].mean() / detail[ring].mean()
    assert 0.6 < ratio < 1.5  # neither a smooth smear nor a noisy patch
    smooth = inpaint.fill(image, mask, seed=2, grain=False)
    smooth_detail = np.abs(np.diff(np.asarray(smooth.convert("L")).astype(float), axis=1))
    assert smooth_detail[hole].mean() < 0.6 * detail[ring].mean()
