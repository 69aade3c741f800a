"""Lighting transfer follows the anchor's light direction and keeps the source's detail."""

from __future__ import annotations

import numpy as np
from PIL import Image

from assets.imageops.lighting import luminance_gradient, transfer_lighting


def lit(size, direction: str, low=40, high=220) -> Image.Image:
    w, h = size
    if direction == "right":
        field = np.broadcast_to(np.linspace(low, high, w)[None, :], (h, w))
    else:  # light from the top
        field = np.broadcast_to(np.linspace(high, low, h)[:, None], (h, w))
    rgb = np.dstack([field, field, field]).astype(np.uint8)
    return Image.fromarray(rgb, "RGB").convert("RGBA")


def textured(size=(96, 64)) -> Image.Image:
    """Lit from the right, with a fine checker texture on top."""
    base = np.asarray(lit(size, "right", 70, 180)).astype(int)
    ys, xs = np.mgrid[0 : size[1], 0 : size[0]]
    checker = np.where((xs // 2 + ys // 2) % 2 == 0, 12, -12)
    base[..., :3] += checker[..., None]
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGBA")


def test_gradient_direction_follows_the_lighting_anchor():
    source = textured()
    anchor = lit((50, 80), "top")  # another size and shape on purpose
    dx0, dy0 = luminance_gradient(source)
    assert dx0 > 20 and abs(dy0) < 2
    out = transfer_lighting(source, anchor, 1.0)
    dx, dy = luminance_gradient(out)
    assert dy < -20  # now brighter toward the top, like the anchor
    assert abs(dx) < dx0 / 3  # and the old left-to-right light is mostly gone


def test_half_strength_lands_between_source_and_anchor():
    source = textured()
    anchor = lit((64, 64), "top")
    _, dy_full = luminance_gradient(transfer_lighting(source, anchor, 1.0))
    _, dy_half = luminance_gradient(transfer_lighting(source, anchor, 0.5))
    assert dy_full < dy_half < 0


def test_fine_texture_survives_the_transfer():
    source = textured()
    out = transfer_lighting(source, lit((64, 64), "top"), 1.0)
    grey_in = np.asarray(source.convert("L")).astype(float)
    grey_out = np.asarray(out.convert("L")).astype(float)
    # High-pass by differences between horizontal neighbours: the checker dominates both.
    hp_in, hp_out = np.diff(grey_in, axis=1), np.diff(grey_out, axis=1)
    assert np.corrcoef(hp_in.ravel(), hp_out.ravel())[0, 1] > 0.9


def test_a_dark_anchor_darkens_by_half_its_exposure_difference():
    source = textured()
    dark = Image.new("RGBA", (32, 32), (40, 40, 40, 255))
    before = np.asarray(source.convert("L")).mean()
    out = np.asarray(transfer_lighting(source, dark, 1.0).convert("L")).mean()
    assert 40 < out < before  # darker, but not crushed to the anchor's level
    full = np.asarray(transfer_lighting(source, dark, 1.0, exposure=1.0).convert("L")).mean()
    assert full < out
