"""assets.atlas: thumbnails packed into one WebP sheet, each at a rectangle known from its
cell and size alone; an unreadable source leaves its cell empty, not the sheet broken."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from assets import atlas, storage
from tests import factories

pytestmark = pytest.mark.django_db


def solid(color, size) -> bytes:
    return factories.png_bytes(size=size, color=color)


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA")).astype(int)


def test_thumbnails_land_at_their_rects_in_their_colours(upload):
    red = upload(solid((220, 30, 30), (300, 150)), "wide.png").blob
    green = upload(solid((30, 200, 40), (100, 400)), "tall.png").blob
    blue = upload(solid((20, 40, 230), (64, 64)), "small.png").blob
    data, rects = atlas.render_sheet([red, None, green, blue])
    pixels = decode(data)
    assert pixels.shape == (atlas.CELL, atlas.COLUMNS * atlas.CELL, 4)  # one row of cells
    assert rects[1] is None
    assert rects[0] == (1, 1, 62, 31)  # 300 × 150 fitted into 62 px, inside cell 0
    assert rects[2] == (2 * 64 + 1, 1, 16, 62)
    assert rects[3] == atlas.cell_rect(3, 64, 64) == (3 * 64 + 1, 1, 62, 62)
    for rect, colour in zip(
        (rects[0], rects[2], rects[3]), ((220, 30, 30), (30, 200, 40), (20, 40, 230)), strict=True
    ):
        x, y, w, h = rect
        centre = pixels[y + h // 2, x + w // 2]
        assert np.abs(centre[:3] - np.array(colour)).max() < 12
        assert centre[3] == 255
    # The padding around a thumbnail and the empty cell stay transparent: no bleeding.
    assert pixels[0, 0, 3] == 0
    assert pixels[40, 10, 3] == 0  # below the wide thumbnail
    assert pixels[:, 64:128, 3].max() == 0


def test_a_corrupt_source_leaves_its_cell_empty_and_the_rest_drawn(upload, media):
    good = upload(solid((220, 30, 30), (80, 80)), "good.png").blob
    bad = upload(solid((30, 200, 40), (80, 80)), "bad.png").blob
    for key in [storage.original_key(bad.sha256)] + [
        storage.derivative_key(bad.sha256, level) for level in bad.derivative_levels
    ]:
        (media / key).write_bytes(b"\x89PNG not really")
    data, rects = atlas.render_sheet([good, bad])
    assert rects[0] is not None and rects[1] is None
    pixels = decode(data)
    assert pixels[32, 32, 3] == 255  # the good one is drawn
    assert pixels[32, 64 + 32, 3] == 0  # the bad cell is empty


def test_the_digest_names_exactly_the_cells(upload):
    a = upload(solid((220, 30, 30), (80, 80)), "a.png").blob
    b = upload(solid((30, 200, 40), (80, 80)), "b.png").blob
    assert atlas.sheet_digest([a, b]) == atlas.sheet_digest([a, b])
    assert atlas.sheet_digest([a, b]) != atlas.sheet_digest([b, a])
    assert atlas.sheet_digest([a, None, b]) != atlas.sheet_digest([a, b])


def test_a_stored_sheet_is_reused_not_rendered_again(upload, monkeypatch):
    a = upload(solid((220, 30, 30), (80, 80)), "a.png").blob
    first = atlas.build_sheet([a])
    assert storage.exists(storage.atlas_key(first.digest))
    monkeypatch.setattr(atlas, "render_sheet", lambda cells: pytest.fail("rendered twice"))
    again = atlas.build_sheet([a])
    assert again == first


def test_a_sheet_is_refused_more_cells_than_it_has():
    with pytest.raises(ValueError):
        atlas.render_sheet([None] * (atlas.CELLS_PER_SHEET + 1))
