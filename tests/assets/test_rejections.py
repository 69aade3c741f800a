"""Files that must be turned away: right status, code and message; nothing stored."""

from __future__ import annotations

import io
import tracemalloc

import pytest

from assets.errors import UploadRejected
from assets.services import ingest_upload
from tests.assets import samples
from tests.assets.conftest import nothing_stored, stored_files

pytestmark = pytest.mark.django_db

REJECTIONS = [
    ("zero bytes", b"", 400, "empty_file", "empty (0 bytes)"),
    ("text named .png", b"just some notes\nnot an image\n", 415, "unsupported_type", "plain text"),
    ("svg", samples.SVG, 415, "unsupported_type", "SVG"),
    ("html with a png inside", samples.html_with_png_inside(), 415, "unsupported_type", "HTML"),
    ("gif/html polyglot", samples.gif_with_script_comment(), 415, "unsupported_type", "markup"),
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", 415, "unsupported_type", "PDF"),
    (
        "truncated png",
        samples.encode(samples.noise((128, 96)), "PNG")[:20_000],
        422,
        "corrupt_image",
        "incomplete or damaged",
    ),
    ("header-only png", samples.header_only_png(), 422, "corrupt_image", "incomplete or damaged"),
    ("signature only", samples.PNG_SIGNATURE, 422, "corrupt_image", "header cannot be read"),
    ("huge zTXt before IDAT", samples.huge_ztxt_png(True), 422, "corrupt_image", "text metadata"),
    ("huge zTXt after IDAT", samples.huge_ztxt_png(False), 422, "corrupt_image", "text metadata"),
    (
        "decompression bomb",
        samples.bomb_png(40_000, 40_000),
        413,
        "too_many_pixels",
        "This PNG is 40,000 × 40,000 pixels (1,600 megapixels); the limit is 64 megapixels.",
    ),
    (
        "over our limit, under Pillow's warning",
        samples.bomb_png(9_000, 9_000),
        413,
        "too_many_pixels",
        "9,000 × 9,000 pixels",
    ),
    (
        "over Pillow's warning, under its error",
        samples.bomb_png(10_000, 10_000),
        413,
        "too_many_pixels",
        "10,000 × 10,000 pixels",
    ),
]


@pytest.mark.parametrize(
    ("data", "status", "code", "message"),
    [case[1:] for case in REJECTIONS],
    ids=[case[0] for case in REJECTIONS],
)
def test_rejected_with_clear_error_and_nothing_stored(
    board, owner, media, data, status, code, message
):
    tracemalloc.start()
    try:
        with pytest.raises(UploadRejected) as caught:
            ingest_upload(board, owner, io.BytesIO(data), "upload.png")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024  # no rejection decodes what it refuses
    error = caught.value
    assert (error.status, error.code) == (status, code)
    assert 400 <= error.status < 500
    assert message in error.message
    assert error.as_dict() == {"error": {"code": code, "message": error.message}}
    assert nothing_stored(media)
    board.refresh_from_db()
    assert board.cover_id is None


def test_unsupported_message_lists_accepted_formats(board, owner, media):
    with pytest.raises(UploadRejected) as caught:
        ingest_upload(board, owner, io.BytesIO(samples.SVG), "logo.png")
    assert "PNG, JPEG, WebP, TIFF, GIF" in caught.value.message


def test_file_over_the_byte_limit(board, owner, media, settings):
    settings.ANCHORBOARD_MAX_UPLOAD_BYTES = 4096
    data = samples.encode(samples.noise((128, 128)), "PNG")
    assert len(data) > 4096
    with pytest.raises(UploadRejected) as caught:
        ingest_upload(board, owner, io.BytesIO(data), "big.png")
    assert (caught.value.status, caught.value.code) == (413, "file_too_large")
    assert "the upload limit is 4 KB" in caught.value.message
    assert nothing_stored(media)


def test_pixel_limit_follows_the_setting(board, owner, media, settings):
    settings.ANCHORBOARD_MAX_IMAGE_PIXELS = 100
    with pytest.raises(UploadRejected) as caught:
        ingest_upload(board, owner, io.BytesIO(samples.encode(samples.noise((11, 10)), "PNG")), "")
    assert caught.value.code == "too_many_pixels"
    assert "11 × 10 pixels" in caught.value.message


def test_bomb_is_rejected_without_allocating_its_pixels(board, owner, media):
    bomb = samples.bomb_png(40_000, 40_000)
    tracemalloc.start()
    try:
        with pytest.raises(UploadRejected):
            ingest_upload(board, owner, io.BytesIO(bomb), "bomb.png")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Decoding would need 4.8 GB; rejecting from the header needs next to nothing.
    assert peak < 64 * 1024 * 1024
    assert stored_files(media) == []


def test_huge_ztxt_is_rejected_with_bounded_memory(board, owner, media):
    data = samples.huge_ztxt_png(True, megabytes=64)
    tracemalloc.start()
    try:
        with pytest.raises(UploadRejected):
            ingest_upload(board, owner, io.BytesIO(data), "meta.png")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024
    assert nothing_stored(media)


def test_a_rejection_leaves_earlier_uploads_untouched(upload, board, owner, media):
    good = samples.encode(samples.noise(), "PNG")
    asset = upload(good, "good.png")
    before = stored_files(media)
    with pytest.raises(UploadRejected):
        ingest_upload(board, owner, io.BytesIO(good[:500]), "broken.png")
    assert stored_files(media) == before
    asset.blob.refresh_from_db()
    assert asset.blob.derivative_state == "ready"


def test_pillows_own_bomb_error_is_reported_when_our_limit_is_higher(board, owner, media, settings):
    # With a limit above Pillow's, Pillow's DecompressionBombError is the guard that fires;
    # it must still come out as too_many_pixels with the real dimensions.
    settings.ANCHORBOARD_MAX_IMAGE_PIXELS = 2_000_000_000
    with pytest.raises(UploadRejected) as caught:
        ingest_upload(board, owner, io.BytesIO(samples.bomb_png(40_000, 40_000)), "bomb.png")
    assert (caught.value.status, caught.value.code) == (413, "too_many_pixels")
    assert "40,000 × 40,000 pixels" in caught.value.message
    assert nothing_stored(media)


def test_truncated_files_stay_rejected_even_if_someone_enabled_partial_loading(
    board, owner, media, monkeypatch
):
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    truncated = samples.encode(samples.noise((128, 96)), "PNG")[:20_000]
    with pytest.raises(UploadRejected) as caught:
        ingest_upload(board, owner, io.BytesIO(truncated), "cut.png")
    assert caught.value.code == "corrupt_image"
    assert nothing_stored(media)
