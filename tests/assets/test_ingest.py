"""ingest_upload / ingest_bytes: storage layout, dedupe, names, cover, failure guarantees."""

from __future__ import annotations

import hashlib
import io
import unicodedata
from contextlib import contextmanager

import pytest

from assets import services, storage
from assets.models import Asset, AssetSource, Blob, DerivativeState
from assets.services import ingest_bytes, ingest_upload, requeue_pending_derivatives
from assets.signals import asset_added
from assets.storage import StorageWriteFailed
from foundation import background
from tests import factories
from tests.assets import samples
from tests.assets.conftest import nothing_stored, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def png() -> bytes:
    return samples.encode(samples.noise((300, 200)), "PNG")


def test_upload_stores_original_untouched_under_its_hash(upload, media, png, owner, board):
    asset = upload(png, "sketch.png")
    sha = hashlib.sha256(png).hexdigest()
    blob = asset.blob
    assert blob.sha256 == sha
    assert blob.storage_key == f"originals/{sha[:2]}/{sha[2:4]}/{sha}"
    assert (media / blob.storage_key).read_bytes() == png
    assert (blob.format, blob.width, blob.height, blob.size_bytes) == ("PNG", 300, 200, len(png))
    assert (asset.board, asset.created_by, asset.source) == (board, owner, AssetSource.UPLOAD)
    assert asset.filename == "sketch.png"
    with services.open_original(asset) as handle:
        assert handle.read() == png


def test_same_bytes_on_two_boards_are_stored_once(upload, media, png, owner):
    other = factories.make_board(name="Other", owner=owner)
    first = upload(png, "a.png")
    second = upload(png, "b.png", to=other)
    assert first.blob_id == second.blob_id
    assert Blob.objects.count() == 1
    assert Asset.objects.count() == 2
    originals = [path for path in stored_files(media) if path.startswith("originals/")]
    assert originals == [first.blob.storage_key]


def test_new_blob_schedules_previews_after_commit_only_once(board, owner, media, png, monkeypatch):
    scheduled = []
    monkeypatch.setattr(services, "run_after_commit", lambda *args: scheduled.append(args))
    ingest_upload(board, owner, io.BytesIO(png), "a.png")
    ingest_upload(board, owner, io.BytesIO(png), "again.png")
    assert scheduled == [("assets.derivatives", hashlib.sha256(png).hexdigest())]


def test_previews_are_not_built_before_the_transaction_commits(upload, png):
    asset = upload(png, "a.png", run_tasks=False)
    asset.blob.refresh_from_db()
    assert asset.blob.derivative_state == DerivativeState.PENDING


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("..\\..\\windows\\system32\\evil.png", "evil.png"),
        ("/absolute/path/shot.png", "shot.png"),
        ("..", "image.png"),
        ("", "image.png"),
        ("   .hidden.png  ", "hidden.png"),
        ("rtl\u202egnp.exe", "rtlgnp.exe"),
        ("tab\tand\nnewline.png", "tabandnewline.png"),
    ],
)
def test_filenames_lose_paths_and_control_characters(upload, media, png, given, kept):
    asset = upload(png, given)
    assert asset.filename == kept
    # The name never reaches storage: only content-addressed keys exist.
    assert all(p.startswith(("originals/", "derivatives/")) for p in stored_files(media))


def test_non_ascii_filename_is_kept_and_nfc_normalised(upload, png):
    decomposed = unicodedata.normalize("NFD", "Eskiz çizim – 草图 café.png")
    asset = upload(png, decomposed)
    assert asset.filename == "Eskiz çizim – 草图 café.png"
    assert unicodedata.is_normalized("NFC", asset.filename)


def test_long_filename_is_capped_keeping_extension(upload, png):
    asset = upload(png, "é" * 400 + ".png")
    assert len(asset.filename) == services.MAX_FILENAME
    assert asset.filename.endswith("é.png")


def test_first_upload_becomes_cover_and_touches_activity(upload, board, png):
    before = board.last_activity_at
    first = upload(png, "first.png")
    upload(samples.encode(samples.noise(seed=2), "PNG"), "second.png")
    board.refresh_from_db()
    assert board.cover_id == first.pk
    assert board.last_activity_at > before


def test_ingest_bytes_marks_source(board, owner, media, png):
    asset = ingest_bytes(board, owner, png, "result.png")
    assert asset.source == AssetSource.GENERATED
    demo = ingest_bytes(board, None, png, "demo.png", source=AssetSource.DEMO)
    assert (demo.source, demo.created_by) == (AssetSource.DEMO, None)


def test_non_seekable_stream_is_accepted(board, owner, media, png):
    class Pipe(io.RawIOBase):
        def __init__(self, data):
            self._inner = io.BytesIO(data)

        def readable(self):
            return True

        def seekable(self):
            return False

        def readinto(self, buffer):
            chunk = self._inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    asset = ingest_upload(board, owner, Pipe(png), "piped.png")
    assert (media / asset.blob.storage_key).read_bytes() == png


def test_stale_file_without_blob_row_is_rewritten(upload, media, png):
    sha = hashlib.sha256(png).hexdigest()
    stale = media / storage.original_key(sha)
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half-written garbage")
    upload(png, "a.png")
    assert stale.read_bytes() == png


def test_missing_original_of_known_blob_is_repaired(upload, media, png):
    asset = upload(png, "a.png")
    (media / asset.blob.storage_key).unlink()
    upload(png, "again.png")
    assert (media / asset.blob.storage_key).read_bytes() == png


def test_storage_failure_stores_nothing(board, owner, media, png, monkeypatch):
    def broken_replace(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(storage.os, "replace", broken_replace)
    with pytest.raises(StorageWriteFailed) as caught:
        ingest_upload(board, owner, io.BytesIO(png), "a.png")
    assert caught.value.status == 503
    assert nothing_stored(media)  # the temporary file was removed as well


@contextmanager
def failing_after_record():
    """Something fails after the Asset row is written, inside ingest's transaction (here an
    ``asset_added`` receiver, where the canvas app sets the cover and touches the board)."""

    def fail(**kwargs):
        raise RuntimeError("database went away")

    asset_added.connect(fail, sender=Asset, dispatch_uid="test-failing-receiver")
    try:
        yield
    finally:
        asset_added.disconnect(sender=Asset, dispatch_uid="test-failing-receiver")


def test_database_failure_after_write_removes_the_new_file(board, owner, media, png):
    with failing_after_record(), pytest.raises(RuntimeError):
        ingest_upload(board, owner, io.BytesIO(png), "a.png")
    assert nothing_stored(media)


def test_failed_second_upload_keeps_the_shared_file(upload, board, owner, media, png):
    first = upload(png, "a.png")
    with failing_after_record(), pytest.raises(RuntimeError):
        ingest_upload(board, owner, io.BytesIO(png), "b.png")
    assert list(Asset.objects.all()) == [first]
    assert (media / first.blob.storage_key).read_bytes() == png


def test_requeue_builds_pending_previews(upload, png, settings):
    asset = upload(png, "a.png", run_tasks=False)
    assert settings.ANCHORBOARD_DISPATCHER == "inline"
    assert requeue_pending_derivatives() == 1
    asset.blob.refresh_from_db()
    assert asset.blob.derivative_state == DerivativeState.READY
    assert requeue_pending_derivatives() == 0


def test_derivative_task_is_registered():
    assert background.registered("assets.derivatives").__module__ == "assets.tasks"


def test_django_uploaded_files_are_accepted(board, owner, media, png):
    """The API hands over Django's in-memory and temporary-file uploads as they are."""
    from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

    in_memory = SimpleUploadedFile("small.png", png, content_type="text/plain")
    other = samples.encode(samples.noise((300, 200), seed=9), "PNG")
    on_disk = TemporaryUploadedFile("big.png", "application/octet-stream", len(other), None)
    on_disk.write(other)
    on_disk.seek(0)
    first = ingest_upload(board, owner, in_memory, in_memory.name)
    second = ingest_upload(board, owner, on_disk, on_disk.name)
    on_disk.close()
    assert (first.filename, first.blob.mime_type) == ("small.png", "image/png")
    assert (second.filename, second.blob.format) == ("big.png", "PNG")
    assert (media / first.blob.storage_key).read_bytes() == png
