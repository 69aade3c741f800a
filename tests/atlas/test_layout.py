"""canvas.atlas.layout: which images go in which sheet, and rebuilds that re-render only
the sheets whose cells changed (a move re-renders nothing)."""

from __future__ import annotations

import pytest

from assets import atlas as pixels
from assets.services import ingest_bytes
from canvas.atlas import layout
from canvas.models import BoardAtlas
from tests import factories
from tests.atlas.conftest import edit
from tests.wsclient import create, delete, update

pytestmark = pytest.mark.django_db


def sheets(board) -> list[dict]:
    return BoardAtlas.objects.get(pk=board.pk).sheets


def asset_of(board, item_id: str) -> str:
    return str(board.items.get(pk=item_id).asset_id)


@pytest.fixture
def renders(monkeypatch) -> list[list]:
    """The cell lists of every sheet rendered from now on."""
    seen: list[list] = []
    real = pixels.render_sheet

    def spy(cells):
        seen.append([blob.sha256 if blob else None for blob in cells])
        return real(cells)

    monkeypatch.setattr(pixels, "render_sheet", spy)
    return seen


def test_plan_fills_holes_first_and_marks_only_changed_sheets():
    old = [{"cells": ["a", "b", "c", "d"]}, {"cells": ["e", "f"]}]
    wanted = dict.fromkeys(["a", "c", "d", "e", "f", "g"])
    cells, dirty = layout.plan(old, wanted)  # b left, g came: g takes b's cell
    assert cells == [["a", "g", "c", "d"], ["e", "f"]]
    assert dirty == {0}


def test_plan_appends_to_the_last_sheet_then_opens_a_new_one(small_sheets):
    cells, dirty = layout.plan([{"cells": ["a", "b", "c"]}], dict.fromkeys("abcdef"))
    assert cells == [["a", "b", "c", "d"], ["e", "f"]]
    assert dirty == {0, 1}


def test_placing_images_builds_sheets_that_hold_each_once(people, place, small_sheets):
    ids = place(6)
    board = people["board"]
    built = sheets(board)
    assert [len(s["cells"]) for s in built] == [4, 2]
    assert {a for s in built for a in s["cells"]} == {asset_of(board, i) for i in ids}
    for sheet in built:
        assert all(rect is not None for rect in sheet["rects"])


def test_adding_an_image_re_renders_only_the_sheet_it_joins(people, place, small_sheets, renders):
    place(6)
    first = sheets(people["board"])
    renders.clear()
    place(1, start=6)
    after = sheets(people["board"])
    assert len(renders) == 1
    assert after[0] == first[0]  # untouched: same digest, same cells
    assert after[1]["digest"] != first[1]["digest"]
    assert len(after[1]["cells"]) == 3


def test_removing_an_image_re_renders_only_its_sheet(people, place, small_sheets, renders):
    ids = place(6)
    board, owner = people["board"], people["owner"]
    first = sheets(board)
    gone = asset_of(board, ids[1])
    renders.clear()
    edit(board, owner, delete(ids[1]))
    after = sheets(board)
    assert len(renders) == 1
    assert after[1] == first[1]
    assert after[0]["cells"][1] is None and gone not in after[0]["cells"]
    # Hiding counts as leaving (the board does not draw it); showing it again brings it back.
    edit(board, owner, update(ids[4], hidden=True))
    assert asset_of(board, ids[4]) not in {a for s in sheets(board) for a in s["cells"]}
    edit(board, owner, update(ids[4], hidden=False))
    assert asset_of(board, ids[4]) in {a for s in sheets(board) for a in s["cells"]}


def test_moving_images_rebuilds_nothing(people, place, small_sheets, renders):
    ids = place(6)
    board, owner = people["board"], people["owner"]
    before = BoardAtlas.objects.get(pk=board.pk)
    renders.clear()
    edit(board, owner, *[update(i, x=5000, y=300, width=40, height=30) for i in ids])
    after = BoardAtlas.objects.get(pk=board.pk)
    assert renders == []
    assert after.requested == before.requested  # no rebuild was even asked for
    assert after.sheets == before.sheets


def test_replacing_an_image_puts_the_new_one_in_the_old_cell(people, place, small_sheets, renders):
    ids = place(6)
    board, owner = people["board"], people["owner"]
    first = sheets(board)
    old = asset_of(board, ids[1])
    newcomer = ingest_bytes(board, owner, factories.png_bytes((50, 50), (9, 9, 9)), "new.png")
    renders.clear()
    edit(board, owner, delete(ids[1]), create("image", asset=newcomer, width=50, height=50))
    after = sheets(board)
    assert len(renders) == 1 and after[1] == first[1]
    assert after[0]["cells"][1] == str(newcomer.pk) and old not in after[0]["cells"]


def test_requests_during_a_pass_cost_one_more_pass(people, place, small_sheets, monkeypatch):
    place(2)
    board = people["board"]
    BoardAtlas.objects.filter(pk=board.pk).update(requested=5, done=2)
    calls = []
    real = layout.rebuild_once

    def once(board_id):
        calls.append(board_id)
        if len(calls) == 1:  # an edit lands while the first pass runs
            BoardAtlas.objects.filter(pk=board_id).update(requested=6)
        return real(board_id)

    monkeypatch.setattr(layout, "rebuild_once", once)
    assert layout.rebuild(board.pk) == 2
    row = BoardAtlas.objects.get(pk=board.pk)
    assert (row.requested, row.done, row.running_until) == (6, 6, None)
    assert layout.rebuild(board.pk) == 0  # nothing pending
