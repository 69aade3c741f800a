"""LAB statistics transfer, k-means palettes and palette mapping."""

from __future__ import annotations

import numpy as np
from PIL import Image

from assets.imageops import colour


def two_colour(size=(40, 20), left=(220, 40, 40), right=(30, 60, 200)) -> Image.Image:
    image = Image.new("RGBA", size, (*right, 255))
    image.paste((*left, 255), (0, 0, size[0] // 2, size[1]))
    return image


def scene(seed: int = 0, size=(64, 48)) -> Image.Image:
    """A muted greenish picture with a gradient and noise: something to recolour."""
    rng = np.random.default_rng(seed)
    w, h = size
    ramp = np.linspace(60, 160, w)[None, :, None]
    base = np.broadcast_to(ramp, (h, w, 3)) * np.array([0.8, 1.0, 0.7])
    pixels = np.clip(base + rng.normal(0, 8, (h, w, 3)), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB").convert("RGBA")


def test_palette_finds_the_dominant_colours_with_their_shares():
    palette = colour.extract_palette(two_colour(), k=2, seed=0)
    found = sorted(palette.rgb)
    assert np.abs(np.array(found[0]) - (30, 60, 200)).max() <= 2
    assert np.abs(np.array(found[1]) - (220, 40, 40)).max() <= 2
    assert np.allclose(palette.weights, [0.5, 0.5])
    assert palette.hex()[0].startswith("#") and len(palette.hex()[0]) == 7


def test_palette_is_deterministic_and_ignores_transparent_pixels():
    image = scene()
    hole = Image.new("RGBA", (20, 48), (0, 0, 0, 0))
    image.paste(hole, (0, 0))
    first = colour.extract_palette(image, k=4, seed=3)
    again = colour.extract_palette(image, k=4, seed=3)
    assert np.array_equal(first.lab, again.lab)
    # The transparent block is black in RGB; it must not become a palette colour.
    assert min(lab[0] for lab in first.lab) > 15


def test_mapping_pulls_pixels_toward_the_palette_more_with_more_strength():
    palette = colour.extract_palette(two_colour(), k=2)
    image = scene()
    before = colour.mean_delta_e_to_palette(image, palette)
    half = colour.mean_delta_e_to_palette(colour.map_to_palette(image, palette, 0.5), palette)
    full = colour.mean_delta_e_to_palette(colour.map_to_palette(image, palette, 1.0), palette)
    assert full < half < before
    assert full < before * 0.7


def test_mapping_with_zero_strength_changes_nothing_but_rounding():
    palette = colour.extract_palette(two_colour(), k=2)
    image = scene()
    out = colour.map_to_palette(image, palette, 0.0)
    diff = np.abs(np.asarray(out).astype(int) - np.asarray(image).astype(int))
    assert diff.max() <= 1


def test_statistics_transfer_moves_mean_colour_toward_reference_and_keeps_alpha():
    image = scene()
    alpha = Image.new("L", image.size, 255)
    alpha.paste(90, (0, 0, 10, 10))
    image.putalpha(alpha)
    reference = Image.new("RGBA", (8, 8), (200, 120, 40, 255))
    ref_mean = colour.lab_statistics(colour.image_lab(reference)[0])[0]
    before = colour.lab_statistics(colour.image_lab(image)[0])[0]
    out = colour.transfer_colour(image, reference, 0.8)
    after = colour.lab_statistics(colour.image_lab(out)[0])[0]
    assert np.linalg.norm(after - ref_mean) < 0.35 * np.linalg.norm(before - ref_mean)
    assert np.array_equal(np.asarray(out)[..., 3], np.asarray(image)[..., 3])
