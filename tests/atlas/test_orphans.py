"""canvas.atlas.orphans: sheet files no record knows (left by deployments older than
migration canvas 0024) are handed to the collector once a grace period old and deleted;
live sheets and younger files are kept; on local storage and on S3."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from assets import storage
from canvas.atlas import collection, orphans
from canvas.jobs import upkeep
from canvas.models import AtlasSheet, AtlasSheetUse, BoardAtlas

pytestmark = pytest.mark.django_db

GRACE = timedelta(seconds=3600)


@pytest.fixture(autouse=True)
def one_hour_grace(settings):
    settings.ANCHORBOARD_ATLAS_SHEET_GRACE_SECONDS = int(GRACE.total_seconds())


@pytest.fixture(autouse=True)
def fresh_rounds(monkeypatch):
    """Each test starts this process's upkeep round and throttles anew."""
    monkeypatch.setattr(orphans, "_rounds", orphans._Rounds())
    for name in ("atlas files", "atlas sheets"):
        upkeep._last_sweep.pop(name, None)


def digests(board) -> list[str]:
    return [sheet["digest"] for sheet in BoardAtlas.objects.get(pk=board.pk).sheets]


def stored(digest: str) -> bool:
    return storage.exists(storage.atlas_key(digest))


def left_by_an_old_deployment(name: str) -> str:
    """A sheet file as a deployment before 0024 left it: stored, no ``AtlasSheet`` row."""
    digest = hashlib.sha256(name.encode()).hexdigest()  # a sheet's name is a SHA-256
    storage.write_bytes(storage.atlas_key(digest), b"RIFF old sheet " + name.encode())
    assert not AtlasSheet.objects.filter(pk=digest).exists()
    return digest


def age_locally(key: str, by: timedelta) -> None:
    """Set a local file's modified time ``by`` into the past."""
    path = storage.get_storage().path(key)
    then = (timezone.now() - by).timestamp()
    os.utime(path, (then, then))


def test_files_of_an_old_deployment_are_deleted_live_and_young_ones_kept(
    people, place, small_sheets
):
    place(6)
    board = people["board"]
    live = digests(board)
    old = left_by_an_old_deployment("old")
    young = left_by_an_old_deployment("young")
    age_locally(storage.atlas_key(old), GRACE * 2)
    for digest in live:  # live sheets as old as the orphan: their records keep them
        age_locally(storage.atlas_key(digest), GRACE * 2)

    found = orphans.sweep_all()
    assert (found.files, found.known, found.handed, found.due, found.young) == (
        len(live) + 2,
        len(live),
        1,
        1,
        1,
    )
    assert collection.collect_due() == 1
    assert not stored(old) and not AtlasSheet.objects.filter(pk=old).exists()
    assert stored(young) and all(stored(d) for d in live)
    assert not AtlasSheet.objects.filter(pk=young).exists()  # not judged yet

    # A later round, once the young file is a grace period old, hands it over too.
    age_locally(storage.atlas_key(young), GRACE * 2)
    assert orphans.sweep_all().handed == 1
    assert collection.collect_due() == 1
    assert not stored(young) and all(stored(d) for d in live)


def test_a_live_sheet_without_a_record_gets_one_and_is_kept(people, place, small_sheets):
    """A board's current sheet whose use no process recorded (an old process during a
    rolling deploy) is recorded, not deleted."""
    place(6)
    board = people["board"]
    live = digests(board)
    AtlasSheet.objects.filter(pk=live[0]).delete()  # its uses go with it
    age_locally(storage.atlas_key(live[0]), GRACE * 2)

    found = orphans.sweep_all()
    assert (found.recorded, found.handed) == (1, 0)
    assert AtlasSheetUse.objects.filter(
        atlas_id=board.pk, sheet_id=live[0], released_at__isnull=True
    ).exists()
    assert collection.collect_due(now=timezone.now() + GRACE * 2) == 0
    assert all(stored(d) for d in live)


def test_the_workers_upkeep_deletes_an_old_deployments_files(people, place, small_sheets):
    place(2)
    live = digests(people["board"])
    old = left_by_an_old_deployment("upkeep")
    age_locally(storage.atlas_key(old), GRACE * 2)
    upkeep.tick()  # one page: handed over, then collected in the same tick
    assert not stored(old)
    assert all(stored(d) for d in live)


def test_the_round_goes_page_by_page_and_rests_between_rounds(people, monkeypatch):
    monkeypatch.setattr(orphans, "PAGE_SIZE", 2)
    olds = [left_by_an_old_deployment(f"page{i}") for i in range(5)]
    for digest in olds:
        age_locally(storage.atlas_key(digest), GRACE * 2)
    pages = [orphans.upkeep_step() for _ in range(3)]
    assert [page.files for page in pages] == [2, 2, 1]
    assert AtlasSheet.objects.filter(pk__in=olds).count() == 5
    assert orphans.upkeep_step() is None  # the round ended: the next waits ROUND_SECONDS


def test_a_dead_writes_temporary_file_goes_once_a_grace_period_old(people):
    folder = storage.atlas_key("ab" + "0" * 62).rpartition("/")[0]
    dead = f"{folder}/{storage.PARTIAL_PREFIX}dead"
    writing = f"{folder}/{storage.PARTIAL_PREFIX}writing"
    for key in (dead, writing):
        storage.write_bytes(key, b"half a sheet")
    age_locally(dead, GRACE * 2)
    assert orphans.sweep_all().partials == 1
    assert not storage.exists(dead) and storage.exists(writing)


def test_the_command_says_what_it_would_do_then_does_it(people, place, small_sheets, capsys):
    place(2)
    old = left_by_an_old_deployment("command")
    age_locally(storage.atlas_key(old), GRACE * 2)
    call_command("sweep_atlas_orphans", "--dry-run")
    out = capsys.readouterr().out
    assert "1 unused sheet(s) would be handed to the collector (1 due now)" in out
    assert stored(old) and not AtlasSheet.objects.filter(pk=old).exists()
    call_command("sweep_atlas_orphans")
    out = capsys.readouterr().out
    assert "1 sheet(s) deleted by the collector." in out
    assert not stored(old)
    assert all(stored(d) for d in digests(people["board"]))


def test_on_s3_an_old_deployments_files_go_and_live_ones_stay(
    people, bucket, place, small_sheets, monkeypatch
):
    """S3 gives each object's modified time in the listing: a file written now is young,
    and a grace period later the sweep hands it over."""
    monkeypatch.setattr(orphans, "PAGE_SIZE", 2)  # several listing pages
    place(6)
    board = people["board"]
    live = digests(board)
    olds = [left_by_an_old_deployment(f"s3old{i}") for i in range(3)]

    now = orphans.sweep_all()
    assert (now.files, now.known, now.young, now.handed) == (len(live) + 3, len(live), 3, 0)
    later = timezone.now() + GRACE * 2
    found = orphans.sweep_all(now=later)
    assert (found.handed, found.due) == (3, 3)
    assert collection.collect_due(now=later) == 3
    keys = {obj.key for obj in bucket.objects.filter(Prefix=storage.ATLAS_PREFIX)}
    assert keys == {storage.atlas_key(d) for d in live}
    assert not any(storage.atlas_key(d) in keys for d in olds)


def resumes_after_a_key() -> None:
    keys = sorted(storage.atlas_key(f"{i:02x}" + "0" * 62) for i in (1, 2, 3))
    for key in keys:
        storage.write_bytes(key, b"x")
    storage.write_bytes("originals/ff/ff/elsewhere", b"x")  # outside the prefix
    listed = storage.list_files(storage.ATLAS_PREFIX, start_after=keys[0], limit=10)
    assert [f.key for f in listed] == keys[1:]
    assert all(f.modified is not None for f in listed)
    assert [f.key for f in storage.list_files(storage.ATLAS_PREFIX, limit=2)] == keys[:2]


def test_listing_resumes_after_a_key_locally(people):
    resumes_after_a_key()


def test_listing_resumes_after_a_key_on_s3(people, bucket):
    resumes_after_a_key()
