"""canvas.atlas.collection: stored sheets no board uses are deleted a grace period after
the last board let go of them, never before and never while another board uses them; on
local storage and on S3."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assets import atlas as pixels
from assets import storage
from canvas.atlas import collection
from canvas.atlas.requests import ensure_requested
from canvas.boards.lifecycle import delete_board, duplicate_board
from canvas.jobs import upkeep
from canvas.models import AtlasSheet, BoardAtlas
from tests.atlas.conftest import edit
from tests.wsclient import delete

pytestmark = pytest.mark.django_db

GRACE = timedelta(seconds=3600)


@pytest.fixture(autouse=True)
def one_hour_grace(settings):
    settings.ANCHORBOARD_ATLAS_SHEET_GRACE_SECONDS = int(GRACE.total_seconds())


def digests(board) -> list[str]:
    return [sheet["digest"] for sheet in BoardAtlas.objects.get(pk=board.pk).sheets]


def stored(digest: str) -> bool:
    return storage.exists(storage.atlas_key(digest))


def sheet_url(board, digest: str) -> str:
    return f"/files/boards/{board.pk}/atlas/{digest}.webp"


def after_grace() -> timezone.datetime:
    return timezone.now() + GRACE + timedelta(seconds=1)


def replace_first_sheet(people, ids) -> tuple[str, str]:
    """Delete an image of the first sheet: returns (old digest, new digest)."""
    board = people["board"]
    old = digests(board)[0]
    edit(board, people["owner"], delete(ids[1]))
    new = digests(board)[0]
    assert new != old
    return old, new


def test_a_replaced_sheet_is_kept_and_served_until_the_grace_ends(
    client, people, place, small_sheets
):
    ids = place(6)
    board = people["board"]
    old, new = replace_first_sheet(people, ids)
    # Before the grace ends: the file is kept, and a page that read the old index gets it.
    assert collection.collect_due() == 0
    assert stored(old) and stored(new)
    client.force_login(people["viewer"])
    assert client.get(sheet_url(board, old)).status_code == 200
    # After it: the old file is gone, the board's current sheets are not.
    assert collection.collect_due(now=after_grace()) == 1
    assert not stored(old)
    assert all(stored(d) for d in digests(board))
    assert not AtlasSheet.objects.filter(pk=old).exists()
    assert client.get(sheet_url(board, old)).status_code == 404
    assert client.get(sheet_url(board, new)).status_code == 200


def test_a_sheet_another_board_uses_is_kept(people, place, small_sheets):
    ids = place(6)
    board = people["board"]
    copy = duplicate_board(board, people["owner"])
    ensure_requested(copy.pk)  # the copy's first pass (inline dispatcher)
    shared = digests(board)
    assert digests(copy) == shared  # same blobs in the same cells: the same files
    old, _ = replace_first_sheet(people, ids)
    assert collection.collect_due(now=after_grace()) == 0
    assert stored(old) and old in digests(copy)
    # The copy letting go of it too makes it collectable (a grace period later).
    delete_board(copy)
    assert collection.collect_due() == 0 and stored(old)
    assert collection.collect_due(now=after_grace()) == 1
    assert not stored(old)
    assert all(stored(d) for d in digests(board))


def test_a_deleted_boards_sheets_go_in_the_workers_upkeep(settings, people, place, small_sheets):
    place(6)
    board = people["board"]
    gone = digests(board)
    assert len(gone) == 2 and all(stored(d) for d in gone)
    settings.ANCHORBOARD_ATLAS_SHEET_GRACE_SECONDS = 0  # the grace: tested above
    delete_board(board)
    assert all(stored(d) for d in gone)
    upkeep._last_sweep.pop("atlas sheets", None)
    upkeep.tick()
    assert not any(stored(d) for d in gone)
    assert not AtlasSheet.objects.exists()


def test_a_sheet_written_by_a_pass_that_died_goes_after_the_grace(people, place, small_sheets):
    place(2)
    blob = people["board"].assets.select_related("blob").first().blob
    cells = [None, blob]  # no board has this sheet
    orphan = pixels.sheet_digest(cells)
    collection.touch(orphan)  # what a pass does before writing; it dies before saving
    pixels.build_sheet(cells)
    assert collection.collect_due() == 0 and stored(orphan)
    assert collection.collect_due(now=after_grace()) == 1
    assert not stored(orphan)
    assert all(stored(d) for d in digests(people["board"]))


def test_a_pass_reusing_a_due_sheet_keeps_it(people, place, small_sheets):
    """The collector's claim loses to a pass that touched the sheet since it became due
    (the pass then keeps using the file it found in storage)."""
    ids = place(6)
    old, _ = replace_first_sheet(people, ids)
    later = after_grace()
    collection.collect_due(now=later - timedelta(seconds=2))  # releases are past, not due
    AtlasSheet.objects.filter(pk=old).update(collect_after=timezone.now())
    collection.touch(old)  # e.g. the image came back on another board
    assert collection.collect_due(now=timezone.now() + timedelta(seconds=1)) == 0
    assert stored(old)


def test_on_s3_a_replaced_sheet_goes_after_the_grace(people, bucket, place, small_sheets):
    ids = place(6)
    board = people["board"]
    sheet_keys = {obj.key for obj in bucket.objects.filter(Prefix="atlases/")}
    assert sheet_keys == {storage.atlas_key(d) for d in digests(board)}
    old, new = replace_first_sheet(people, ids)
    assert collection.collect_due() == 0
    assert storage.atlas_key(old) in {obj.key for obj in bucket.objects.filter(Prefix="atlases/")}
    assert collection.collect_due(now=after_grace()) == 1
    left = {obj.key for obj in bucket.objects.filter(Prefix="atlases/")}
    assert left == {storage.atlas_key(d) for d in digests(board)}
    assert storage.atlas_key(new) in left and storage.atlas_key(old) not in left
