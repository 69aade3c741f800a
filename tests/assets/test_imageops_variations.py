"""Seeded variations: reproducible per seed, different across seeds, bounded by amount."""

from __future__ import annotations

import numpy as np
from PIL import Image

from assets.imageops import colour, variations


def picture() -> Image.Image:
    rng = np.random.default_rng(0)
    w, h = 64, 48
    ramp = np.linspace(50, 200, w)[None, :, None]
    base = np.broadcast_to(ramp, (h, w, 3)) * np.array([0.9, 0.7, 0.5])
    pixels = np.clip(base + rng.normal(0, 10, (h, w, 3)), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB").convert("RGBA")


def test_same_seed_gives_identical_bytes():
    first, jitter = variations.vary(picture(), seed=42, amount=0.6)
    again, jitter_again = variations.vary(picture(), seed=42, amount=0.6)
    assert first.tobytes() == again.tobytes()
    assert jitter == jitter_again


def test_different_seeds_give_different_images():
    outputs = {variations.vary(picture(), seed=s, amount=0.6)[0].tobytes() for s in range(6)}
    assert len(outputs) == 6


def test_zero_amount_keeps_the_picture():
    out, jitter = variations.vary(picture(), seed=5, amount=0.0)
    assert jitter.crop_zoom == 1.0 and jitter.hue_degrees == 0.0
    diff = np.abs(np.asarray(out).astype(int) - np.asarray(picture()).astype(int))
    assert diff.max() <= 1


def test_palette_jitter_moves_toward_the_palette():
    palette = colour.extract_palette(Image.new("RGBA", (8, 8), (40, 90, 220, 255)), k=1)
    base = colour.mean_delta_e_to_palette(picture(), palette)
    jitter = variations.jitter_for(7, 1.0, palette=True)
    assert jitter.palette_strength > 0
    jitter = variations.Jitter(**{**jitter.as_dict(), "hue_degrees": 0.0, "warmth": 0.0})
    out = variations.apply_jitter(picture(), jitter, palette)
    assert colour.mean_delta_e_to_palette(out, palette) < base
