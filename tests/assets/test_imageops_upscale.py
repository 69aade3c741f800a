"""×2/×4 upscaling: the right size, crisper than a plain resize, alpha untouched by sharpening."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from assets.imageops.upscale import edge_sharpness, upscale


def shapes(size=(48, 32)) -> Image.Image:
    image = Image.new("RGBA", size, (240, 240, 230, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 6, 24, 26), fill=(20, 30, 40, 255))
    draw.line((28, 4, 44, 28), fill=(200, 30, 30, 255), width=2)
    return image


@pytest.mark.parametrize("factor", [2, 4])
def test_upscale_multiplies_size_and_sharpens_edges(factor):
    image = shapes()
    out = upscale(image, factor)
    assert out.size == (48 * factor, 32 * factor)
    plain = image.resize(out.size, Image.Resampling.LANCZOS)
    assert edge_sharpness(out) > edge_sharpness(plain) * 1.1
    unsharpened = upscale(image, factor, sharpen=0)
    assert unsharpened.tobytes() == plain.tobytes()


def test_alpha_is_resampled_but_not_sharpened():
    image = shapes()
    alpha = Image.new("L", image.size, 0)
    ImageDraw.Draw(alpha).ellipse((4, 4, 40, 28), fill=255)
    image.putalpha(alpha)
    out = upscale(image, 2)
    plain = image.resize(out.size, Image.Resampling.LANCZOS)
    assert np.array_equal(np.asarray(out)[..., 3], np.asarray(plain)[..., 3])


def test_other_factors_are_refused():
    with pytest.raises(ValueError):
        upscale(shapes(), 3)
