"""The same pipeline on S3 (django-storages) against a local moto server (the ``bucket``
fixture of tests/conftest.py)."""

from __future__ import annotations

import hashlib
import io

import pytest

from assets.errors import UploadRejected
from assets.models import Asset, Blob
from assets.presenters import canvas_asset
from assets.services import ingest_upload
from tests import factories
from tests.assets import samples

pytestmark = pytest.mark.django_db


def keys(bucket) -> list[str]:
    return sorted(obj.key for obj in bucket.objects.all())


def read(bucket, key: str) -> bytes:
    return bucket.Object(key).get()["Body"].read()


@pytest.fixture
def jpeg() -> bytes:
    return samples.encode(samples.noise((1200, 800)), "JPEG", quality=90)


def upload_to(board, user, data, name, capture):
    with capture(execute=True):
        return ingest_upload(board, user, io.BytesIO(data), name)


def test_original_and_previews_are_objects_in_the_bucket(
    bucket, people, jpeg, django_capture_on_commit_callbacks
):
    asset = upload_to(
        people["board"], people["owner"], jpeg, "shot.jpg", django_capture_on_commit_callbacks
    )
    sha = hashlib.sha256(jpeg).hexdigest()
    assert keys(bucket) == [
        f"derivatives/{sha}/1024.webp",
        f"derivatives/{sha}/256.webp",
        f"originals/{sha[:2]}/{sha[2:4]}/{sha}",
    ]
    assert read(bucket, asset.blob.storage_key) == jpeg
    assert read(bucket, f"derivatives/{sha}/256.webp")[8:12] == b"WEBP"


def test_dedupe_holds_on_s3(bucket, people, jpeg, django_capture_on_commit_callbacks):
    other = factories.make_board(name="Other", owner=people["owner"])
    for board in (people["board"], other):
        upload_to(board, people["owner"], jpeg, "same.jpg", django_capture_on_commit_callbacks)
    assert Blob.objects.count() == 1
    assert Asset.objects.count() == 2
    assert len([key for key in keys(bucket) if key.startswith("originals/")]) == 1


def test_rejected_upload_leaves_the_bucket_empty(bucket, people):
    with pytest.raises(UploadRejected) as caught:
        ingest_upload(people["board"], people["owner"], io.BytesIO(samples.bomb_png()), "b.png")
    assert caught.value.code == "too_many_pixels"
    assert keys(bucket) == []


def test_stale_object_without_row_is_overwritten(
    bucket, people, jpeg, django_capture_on_commit_callbacks
):
    sha = hashlib.sha256(jpeg).hexdigest()
    key = f"originals/{sha[:2]}/{sha[2:4]}/{sha}"
    bucket.put_object(Key=key, Body=b"partial")
    upload_to(people["board"], people["owner"], jpeg, "a.jpg", django_capture_on_commit_callbacks)
    assert read(bucket, key) == jpeg


def test_file_route_streams_from_s3(
    bucket, client, people, jpeg, django_capture_on_commit_callbacks
):
    asset = upload_to(
        people["board"], people["owner"], jpeg, "shot.jpg", django_capture_on_commit_callbacks
    )
    client.force_login(people["viewer"])
    response = client.get(canvas_asset(asset)["original_url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == jpeg
    assert response["Content-Type"] == "image/jpeg"
    assert int(response["Content-Length"]) == len(jpeg)
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    level = client.get(canvas_asset(asset)["level_url"].format(level=1024))
    assert level.status_code == 200
    assert b"".join(level.streaming_content)[8:12] == b"WEBP"


def test_missing_object_is_404_not_500(
    bucket, client, people, jpeg, django_capture_on_commit_callbacks
):
    asset = upload_to(
        people["board"], people["owner"], jpeg, "shot.jpg", django_capture_on_commit_callbacks
    )
    bucket.Object(asset.blob.storage_key).delete()
    client.force_login(people["viewer"])
    response = client.get(canvas_asset(asset)["original_url"])
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_range_is_a_ranged_read_from_s3(
    bucket, client, people, jpeg, django_capture_on_commit_callbacks
):
    """A 206 asks S3 for the window only (GetObject with Range), not the whole object."""
    from assets.storage import get_storage

    asset = upload_to(
        people["board"], people["owner"], jpeg, "shot.jpg", django_capture_on_commit_callbacks
    )
    asked: list[str | None] = []
    sent: list[int] = []
    events = get_storage().connection.meta.client.meta.events

    def before(request, **kwargs):
        asked.append(request.headers.get("Range"))

    def after(http_response, parsed, **kwargs):
        sent.append(int(parsed["ContentLength"]))

    events.register("before-send.s3.GetObject", before)
    events.register("after-call.s3.GetObject", after)
    try:
        client.force_login(people["viewer"])
        url = canvas_asset(asset)["original_url"]
        middle = client.get(url, HTTP_RANGE="bytes=100000-100099")
        assert middle.status_code == 206
        assert middle["Content-Range"] == f"bytes 100000-100099/{len(jpeg)}"
        assert b"".join(middle.streaming_content) == jpeg[100000:100100]
        tail = client.get(url, HTTP_RANGE="bytes=-10")
        assert tail.status_code == 206
        assert b"".join(tail.streaming_content) == jpeg[-10:]
    finally:
        events.unregister("before-send.s3.GetObject", before)
        events.unregister("after-call.s3.GetObject", after)
    last = len(jpeg) - 1
    assert [a.decode() if isinstance(a, bytes) else a for a in asked] == [
        "bytes=100000-100099",
        f"bytes={last - 9}-{last}",
    ]
    assert sent == [100, 10]  # only the asked bytes left the bucket
    assert len(jpeg) > 100100
