"""The /files/ routes: who may fetch what, headers, downloads, previews not ready yet."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from assets.presenters import asset_payload, canvas_asset
from tests import factories
from tests.assets import samples

pytestmark = pytest.mark.django_db

NOT_FOUND = {
    "error": {
        "code": "not_found",
        "message": "This file does not exist, or you have not been given access to the board "
        "it is on.",
    }
}


@pytest.fixture
def png() -> bytes:
    return samples.encode(samples.noise((300, 200)), "PNG")


@pytest.fixture
def asset(upload, png):
    return upload(png, "Eskiz – 草图.png")


def as_user(client, user):
    client.force_login(user)
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_member_gets_the_original_bytes_with_immutable_caching(client, people, asset, png):
    response = as_user(client, people["viewer"]).get(canvas_asset(asset)["original_url"])
    assert response.status_code == 200
    assert body(response) == png
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    assert response["ETag"] == f'"{hashlib.sha256(png).hexdigest()}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert int(response["Content-Length"]) == len(png)
    assert "attachment" not in response.get("Content-Disposition", "")


def test_download_uses_an_rfc5987_filename(client, people, asset):
    url = canvas_asset(asset)["original_url"] + "?download=1"
    response = as_user(client, people["owner"]).get(url)
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=utf-8''Eskiz%20%E2%80%93%20%E8%8D%89%E5%9B%BE.png" in disposition


def test_preview_level_is_served_as_webp(client, people, asset):
    url = canvas_asset(asset)["level_url"].format(level=256)
    response = as_user(client, people["viewer"]).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["ETag"] == f'"{asset.blob_id}-256"'
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    assert body(response)[8:12] == b"WEBP"


def test_conditional_request_gets_304(client, people, asset):
    url = canvas_asset(asset)["original_url"]
    response = as_user(client, people["viewer"]).get(url, HTTP_IF_NONE_MATCH=f'"{asset.blob_id}"')
    assert response.status_code == 304
    assert response["ETag"] == f'"{asset.blob_id}"'


def test_stranger_unknown_id_and_wrong_hash_look_identical(client, people, asset):
    original = canvas_asset(asset)["original_url"]
    wrong_sha = f"/files/{asset.pk}/{'0' * 64}/original"
    unknown = f"/files/{uuid.uuid4()}/{asset.blob_id}/original"
    not_hex = f"/files/{asset.pk}/not-a-hash/original"
    responses = [as_user(client, people["stranger"]).get(original)]
    member = as_user(client, people["viewer"])
    responses += [member.get(wrong_sha), member.get(unknown), member.get(not_hex)]
    client.logout()
    responses.append(client.get(original))
    for response in responses:
        assert response.status_code == 404
        assert json.loads(response.content) == NOT_FOUND
        assert response["Cache-Control"] == "no-store"


def test_guessed_hash_on_another_board_is_404(client, people, asset, upload):
    # The stranger uploads the same bytes to their own board: they know the hash, and may
    # fetch it through their own asset, but never through the other board's asset id.
    own_board = factories.make_board(name="Mine", owner=people["stranger"])
    own = upload(samples.encode(samples.noise((300, 200)), "PNG"), "copy.png", to=own_board)
    assert own.blob_id == asset.blob_id
    stranger = as_user(client, people["stranger"])
    assert stranger.get(canvas_asset(own)["original_url"]).status_code == 200
    response = stranger.get(canvas_asset(asset)["original_url"])
    assert response.status_code == 404
    assert json.loads(response.content) == NOT_FOUND


def test_level_not_generated_yet_is_404_no_store(client, people, upload):
    pending = upload(samples.encode(samples.noise((300, 200)), "PNG"), "p.png", run_tasks=False)
    url = canvas_asset(pending)["level_url"].format(level=256)
    response = as_user(client, people["viewer"]).get(url)
    assert response.status_code == 404
    assert json.loads(response.content)["error"]["code"] == "derivative_not_ready"
    assert response["Cache-Control"] == "no-store"


def test_level_that_will_never_exist_is_plain_404(client, people, asset):
    url = canvas_asset(asset)["level_url"].format(level=2048)  # image is only 300 px wide
    response = as_user(client, people["viewer"]).get(url)
    assert response.status_code == 404
    assert json.loads(response.content) == NOT_FOUND


def test_missing_stored_file_is_404_not_500(client, people, asset, media):
    (media / asset.blob.storage_key).unlink()
    response = as_user(client, people["viewer"]).get(canvas_asset(asset)["original_url"])
    assert response.status_code == 404
    assert json.loads(response.content) == NOT_FOUND


def test_writes_are_not_allowed(client, people, asset):
    response = as_user(client, people["owner"]).post(canvas_asset(asset)["original_url"])
    assert response.status_code == 405
    assert json.loads(response.content)["error"]["code"] == "method_not_allowed"
    assert response["Allow"] == "GET, HEAD"


def test_presenters_match_the_protocol(asset):
    asset.blob.refresh_from_db()
    data = canvas_asset(asset)
    sha = asset.blob_id
    assert data == {
        "id": str(asset.pk),
        "sha256": sha,
        "width": 300,
        "height": 200,
        "levels": [256],
        "original_url": f"/files/{asset.pk}/{sha}/original",
        "level_url": f"/files/{asset.pk}/{sha}/{{level}}.webp",
    }
    payload = asset_payload(asset)
    assert payload["board"] == str(asset.board_id)
    assert payload["filename"] == "Eskiz – 草图.png"
    assert payload["mime_type"] == "image/png"
    assert payload["derivative_state"] == "ready"
    assert payload["derivatives"] == {"256": f"/files/{asset.pk}/{sha}/256.webp"}
    assert {"format", "mode", "bit_depth", "has_alpha", "icc_description", "size_bytes"} <= set(
        payload
    )
    assert {"source", "created_at"} <= set(payload)
