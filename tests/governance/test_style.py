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


def test_colourfulness_follows_hasler_and_susstrunk():
    grey = np.full((64, 64, 3), 128, np.uint8)
    assert style.colourfulness(grey.astype(np.float32) / 255) == pytest.approx(0.0)
    red = images.disk_on((220, 30, 30), backdrop=(240, 240, 240))
    vivid = style.compare(_style(red), [_style(grey)]).component("colourfulness")
    assert vivid.message.startswith("The image is more colourful than the style anchor")


def test_style_is_scored_only_against_a_style_anchor():
    image = batch.ImageFeatures(prepare(images.texture("hatch")))
    anchor = batch.ImageFeatures(prepare(images.texture("weave")))
    without = batch.score(image, batch.ReferenceSet({"lighting": [anchor]}))
    with_style = batch.score(image, batch.ReferenceSet({"lighting": [anchor], "style": [anchor]}))
    assert "style" not in without
    assert with_style["style"].component("strokes").distance > 1.0
