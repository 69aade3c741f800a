"""Feathering and paste-back details not covered by the compositing tests."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from assets.imageops.masks import feather, paste_back


def test_feather_keeps_soft_mask_values_and_ramps_only_outside():
    mask = Image.new("L", (20, 5), 0)
    mask.paste(255, (0, 0, 5, 5))
    mask.paste(128, (5, 0, 8, 5))  # a soft brush edge the designer painted
    weights = feather(mask, 4)[2]
    assert weights[0] == 1.0
    assert weights[6] == pytest.approx(128 / 255)
    assert list(weights[8:12]) == pytest.approx([0.8, 0.6, 0.4, 0.2])
    assert (weights[12:] == 0).all()


def test_engine_results_of_another_size_are_fitted_to_the_region():
    original = Image.new("RGBA", (16, 12), (10, 20, 30, 255))
    result = Image.new("RGBA", (32, 24), (200, 100, 50, 255))
    mask = Image.new("L", (16, 12), 0)
    mask.paste(255, (4, 4, 8, 8))
    out = np.asarray(paste_back(original, result, mask, 0))
    assert out.shape == (12, 16, 4)
    assert tuple(out[5, 5]) == (200, 100, 50, 255)
    assert tuple(out[0, 0]) == (10, 20, 30, 255)


def test_transparent_original_blends_without_dark_fringes():
    original = Image.new("RGBA", (12, 4), (0, 0, 0, 0))
    result = Image.new("RGBA", (12, 4), (250, 250, 250, 255))
    mask = Image.new("L", (12, 4), 0)
    mask.paste(255, (0, 0, 4, 4))
    out = np.asarray(paste_back(original, result, mask, 4))
    band = out[1, 4:8]
    assert (band[:, 3] > 0).all() and (np.diff(band[:, 3].astype(int)) < 0).all()
    assert (band[:, :3] == 250).all()  # faded, not greyed


def test_a_mask_of_another_size_is_refused():
    with pytest.raises(ValueError):
        paste_back(Image.new("RGBA", (4, 4)), Image.new("RGBA", (4, 4)), Image.new("L", (5, 4)))
