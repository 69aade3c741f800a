"""The style metric on constructed textures (canvas/governance/metrics/style.py)."""

from __future__ import annotations

import numpy as np
import pytest

from canvas.governance.metrics import batch, style
from canvas.governance.metrics.image import prepare
from tests.governance import images


def _style(pixels: np.ndarray) -> style.StyleFeatures:
    return style.features(prepare(pixels))


def _components(image: np.ndarray, anchor: np.ndarray) -> dict[str, float]:
    score = style.compare(_style(image), [_style(anchor)])
    return {c.name: c.distance for c in score.components}


def test_two_crops_of_one_texture_match():
    sheet = images.texture("hatch", size=768)
    found = _components(sheet[:512, :512], sheet[200:712, 256:768])
    assert max(found.values()) < 0.3


@pytest.mark.parametrize("other", ["weave", "dots"])
def test_two_textures_are_told_apart(other):
    found = _components(images.texture(other, size=512), images.texture("hatch", size=512))
    # The hatching runs diagonally; weave and dots run along the axes.
    assert found["strokes"] > 1.0
    assert max(found.values()) > 1.0


def test_a_smooth_surface_against_a_textured_anchor():
    flat = np.full((512, 512, 3), 140, np.uint8)
    score = style.compare(_style(flat), [_style(images.texture("dots", size=512))])
    texture = score.component("texture")
    assert texture.distance > 1.0
    assert texture.message.startswith("The surface is smoother than the style anchor's")


def test_a_texture_measures_the_same_on_a_dark_surface_as_on_a_light_one():
    light = images.texture("dots", size=512)
    dark = (light.astype(np.float64) * 0.3 + 0.5).astype(np.uint8)  # same dots, 30 % as bright
    found = _components(dark, light)
    # In log luminance a modulation by a tenth is a tenth at any brightness.
    assert found["texture"] < 0.3
    assert found["strokes"] < 0.3
    assert _components(np.full_like(dark, 42), dark)["texture"] > 1.0


def test_style_is_scored_only_against_a_style_anchor():
    image = batch.ImageFeatures(prepare(images.texture("hatch")))
    anchor = batch.ImageFeatures(prepare(images.texture("weave")))
    without = batch.score(image, batch.ReferenceSet({"lighting": [anchor]}))
    with_style = batch.score(image, batch.ReferenceSet({"lighting": [anchor], "style": [anchor]}))
    assert "style" not in without
    assert with_style["style"].component("strokes").distance > 1.0
