"""Asset endpoints: upload (one, several, partly rejected), list, metadata, file download.

Previews are rendered by calling ``build_derivatives`` directly: the background dispatcher
closes the database connection around each task, which would break the test transaction
on PostgreSQL.
"""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assets.derivatives import build_derivatives
from assets.models import Asset, Blob
from assets.services import ingest_bytes
from canvas.models import BoardMember, Role
from tests import factories
from tests.api.helpers import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(media_root):
    """Every test here stores files; keep them in a throwaway folder."""
    return media_root


def png(name: str, size=(300, 200), color=(200, 40, 40)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, factories.png_bytes(size, color), content_type="image/png")


def upload(client, board, *files):
    return client.post(f"/api/v1/boards/{board.pk}/assets", {"file": list(files)})


def test_upload_one_image(api, board):
    response = upload(api, board, png("sketch.png"))
    assert response.status_code == 201
    body = response.json()
    assert body["errors"] == []
    [item] = body["items"]
    asset = Asset.objects.get(pk=item["id"])
    assert asset.board == board
    assert item["filename"] == "sketch.png"
    assert (item["width"], item["height"], item["format"]) == (300, 200, "PNG")
    assert item["sha256"] == hashlib.sha256(factories.png_bytes((300, 200))).hexdigest()


def test_upload_several_files_in_one_request(api, board):
    response = upload(api, board, png("a.png", color=(1, 2, 3)), png("b.png", color=(4, 5, 6)))
    assert response.status_code == 201
    assert sorted(i["filename"] for i in response.json()["items"]) == ["a.png", "b.png"]
    assert Asset.objects.filter(board=board).count() == 2


def test_partly_rejected_upload_keeps_the_good_files(api, board):
    bad = SimpleUploadedFile("notes.txt", b"not an image at all", content_type="text/plain")
    response = upload(api, board, png("good.png"), bad)
    assert response.status_code == 201
    body = response.json()
    assert [i["filename"] for i in body["items"]] == ["good.png"]
    [error] = body["errors"]
    assert error["filename"] == "notes.txt"
    assert error["error"]["code"] == "unsupported_type"
    assert error["error"]["message"]
    assert Asset.objects.filter(board=board).count() == 1


def test_fully_rejected_upload_answers_with_the_first_rejection(api, board):
    empty = SimpleUploadedFile("empty.png", b"", content_type="image/png")
    text = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    response = upload(api, board, empty, text)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "empty_file"
    assert "None of the 2 files" in body["error"]["message"]
    assert [e["filename"] for e in body["errors"]] == ["empty.png", "notes.txt"]
    assert [e["error"]["code"] for e in body["errors"]] == ["empty_file", "unsupported_type"]
    assert not Asset.objects.exists()


def test_single_rejected_file_keeps_its_own_status(api, board):
    text = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    response = upload(api, board, text)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_type"


def test_upload_without_files_says_which_field_to_use(api, board):
    response = api.post(f"/api/v1/boards/{board.pk}/assets", {"other": "x"})
    error = assert_error(response, 400, "no_files")
    assert "“file”" in error["message"]


def test_viewer_cannot_upload(bearer, board):
    viewer = factories.make_user("vi")
    BoardMember.objects.create(board=board, user=viewer, role=Role.VIEWER)
    assert_error(upload(bearer(viewer), board, png("x.png")), 403, "forbidden")
    assert not Asset.objects.exists()


def test_first_upload_becomes_the_board_cover(api, board):
    item = upload(api, board, png("cover.png")).json()["items"][0]
    assert api.get(f"/api/v1/boards/{board.pk}").json()["cover"] == {
        "asset_id": item["id"],
        "thumbnail_url": None,  # previews not rendered yet
    }
    asset_id = item["id"]
    build_derivatives(item["sha256"])
    cover = api.get(f"/api/v1/boards/{board.pk}").json()["cover"]
    assert cover["asset_id"] == asset_id
    assert cover["thumbnail_url"].endswith("/256.webp")
    assert api.get("/api/v1/boards?q=mood").json()["items"][0]["cover"] == cover


def test_list_board_assets_is_paginated_newest_first(api, alice, board):
    for i in range(3):
        ingest_bytes(board, alice, factories.png_bytes((20, 20), (i, i, i)), f"{i}.png")
    first = api.get(f"/api/v1/boards/{board.pk}/assets?page_size=2").json()
    assert first["count"] == 3
    assert [i["filename"] for i in first["items"]] == ["2.png", "1.png"]
    second = api.get(first["next"]).json()
    assert [i["filename"] for i in second["items"]] == ["0.png"]
    assert second["next"] is None


def test_list_all_assets_covers_only_visible_boards(api, alice, team, board):
    stranger = factories.make_user("stranger")
    other = factories.make_board(factories.make_team("Other", admin=stranger), owner=stranger)
    second = factories.make_board(team, "Second", owner=alice)
    ingest_bytes(board, alice, factories.png_bytes((20, 20), (1, 1, 1)), "mine.png")
    ingest_bytes(second, alice, factories.png_bytes((20, 20), (2, 2, 2)), "second.png")
    ingest_bytes(other, stranger, factories.png_bytes((20, 20), (3, 3, 3)), "theirs.png")
    names = {i["filename"] for i in api.get("/api/v1/assets").json()["items"]}
    assert names == {"mine.png", "second.png"}
    filtered = api.get(f"/api/v1/assets?board={second.pk}").json()["items"]
    assert [i["filename"] for i in filtered] == ["second.png"]
    assert_error(api.get(f"/api/v1/assets?board={other.pk}"), 404, "board_not_found")


def test_asset_metadata(api, alice, board):
    asset = ingest_bytes(board, alice, factories.png_bytes((20, 20)), "a.png")
    body = api.get(f"/api/v1/assets/{asset.pk}").json()
    assert body["id"] == str(asset.pk)
    assert body["board"] == str(board.pk)
    assert body["original_url"] == f"/files/{asset.pk}/{asset.blob_id}/original"


@pytest.mark.parametrize("asset_id", ["nope", "00000000-0000-0000-0000-000000000000"])
def test_unknown_asset_is_404(api, asset_id):
    assert_error(api.get(f"/api/v1/assets/{asset_id}"), 404, "asset_not_found")


def test_download_original_bytes(api, alice, board):
    data = factories.png_bytes((40, 30))
    asset = ingest_bytes(board, alice, data, "orig.png")
    response = api.get(f"/api/v1/assets/{asset.pk}/file")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == "image/png"
    assert "orig.png" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_download_preview_level(api, alice, board):
    asset = ingest_bytes(board, alice, factories.png_bytes((600, 400)), "big.png")
    build_derivatives(asset.blob_id)
    response = api.get(f"/api/v1/assets/{asset.pk}/file?level=256")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    content = b"".join(response.streaming_content)
    assert content[:4] == b"RIFF" and content[8:12] == b"WEBP"


def test_preview_not_generated_yet_is_a_clear_404(api, alice, board):
    asset = ingest_bytes(board, alice, factories.png_bytes((600, 400)), "big.png")
    assert Blob.objects.get(pk=asset.blob_id).derivative_levels == []
    error = assert_error(
        api.get(f"/api/v1/assets/{asset.pk}/file?level=256"), 404, "derivative_not_ready"
    )
    assert "original" in error["message"]


def test_unknown_preview_size_lists_the_sizes(api, alice, board):
    asset = ingest_bytes(board, alice, factories.png_bytes((600, 400)), "big.png")
    error = assert_error(
        api.get(f"/api/v1/assets/{asset.pk}/file?level=300"), 404, "level_not_available"
    )
    assert "256" in error["message"]


def test_missing_bytes_are_a_404_not_a_500(api, alice, board, media_root):
    asset = ingest_bytes(board, alice, factories.png_bytes((20, 20)), "gone.png")
    for path in media_root.rglob("*"):
        if path.is_file():
            path.unlink()
    assert_error(api.get(f"/api/v1/assets/{asset.pk}/file"), 404)
