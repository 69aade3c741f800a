"""Share-link guests play clips: ``/s/<token>/files/<mp4 asset>/clip.mp4``.

The stored clip here stands in for a provider's file kept as the browser MP4: H.264 with a
title, a comment and a handler name holding a secret, and x264's settings in its SEI.
Guests get it re-muxed (assets.video.clean): the same compressed pictures (decoded frames
identical), none of the metadata, with HTTP Range (206 with the right bytes, 416 outside).
Only clips of items or results the link shows; another board's token, a poster or the
provider's original through this route, a clip the link does not show are 404; a revoked
link is 410 (as every guest route: canvas.sharing.auth). Members' routes are untouched.
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import av
import numpy as np
import pytest
from django.test import Client
from PIL import Image

from assets import storage
from assets.clips import ingest_clip
from assets.services import ingest_bytes
from assets.video.decode import read_frames
from assets.video.encode import write_mp4
from assets.video.probe import probe
from canvas import protocol
from canvas.boards.operations import apply_batch
from canvas.models import Item
from canvas.sharing import links
from tests import factories
from tests.review.conftest import make_candidate, make_link, member_client
from tests.sharing.test_share_links import final

pytestmark = pytest.mark.django_db

SECRET = "SECRET-prompt-olive"
FRAMES = 12


def frames() -> list[np.ndarray]:
    yy, xx = np.mgrid[0:64, 0:96]
    return [
        np.stack([(xx * 2 + i * 9) % 256, yy * 3, np.full_like(xx, 40 + i * 10)], -1).astype(
            np.uint8
        )
        for i in range(FRAMES)
    ]


def provider_like_mp4(folder: Path) -> Path:
    """Our H.264 encode, re-muxed with a title, a comment and a handler holding SECRET."""
    plain = write_mp4(frames(), folder / "plain.mp4", 24).path
    out = folder / "provider.mp4"
    with (
        av.open(str(plain)) as src,
        av.open(str(out), "w", options={"movflags": "+faststart"}) as dst,
    ):
        dst.metadata["title"] = SECRET
        dst.metadata["comment"] = SECRET
        stream = src.streams.video[0]
        copy = dst.add_stream_from_template(stream)
        copy.metadata["handler_name"] = SECRET
        for packet in src.demux(stream):
            if packet.dts is not None:
                packet.stream = copy
                dst.mux(packet)
    data = out.read_bytes()
    assert SECRET.encode() in data and b"x264" in data  # the test file really carries them
    return out


def video_item(board, user, mp4_asset, poster, *, x: float = 0, drift=None) -> Item:
    item_id = uuid.uuid4()
    mp4 = {"asset": str(mp4_asset.pk), "sha256": mp4_asset.blob_id, "mime": "video/mp4"}
    video = {"duration": FRAMES / 24, "fps": 24.0, "frame_count": FRAMES, "width": 96,
             "height": 64, "mp4": mp4, "original": mp4, "drift": drift}  # fmt: skip
    apply_batch(board.pk, user, [protocol.parse_operation({"op": "create", "item": {
        "id": str(item_id), "kind": "video", "asset": str(poster.pk), "name": "clip",
        "x": x, "y": 0, "width": 96, "height": 64, "rotation": 0, "opacity": 1, "z": 1,
        "hidden": False, "locked": False, "anchor_role": "",
        "props": {"video": video}}})])  # fmt: skip
    return Item.objects.get(pk=item_id)


def png(colour=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 64), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def clip(people, tmp_path):
    """A video item on the board (poster + provider-like MP4) and a view-only board link."""
    board, owner = people["board"], people["owner"]
    path = provider_like_mp4(tmp_path)
    mp4 = ingest_clip(board, owner, path, "secret-name.mp4", width=96, height=64,
                      frame_count=FRAMES)  # fmt: skip
    poster = ingest_bytes(board, owner, png(), "poster.png")
    item = video_item(board, owner, mp4, poster, drift={"seconds": [{"second": 0, "score": 0.1}]})
    link, token = make_link(board, owner)
    return {"item": item, "mp4": mp4, "poster": poster, "link": link, "token": token,
            "path": path}  # fmt: skip


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def url(token: str, asset_id) -> str:
    return f"/s/{token}/files/{asset_id}/clip.mp4"


def test_a_guest_gets_the_clip_without_its_metadata(people, clip, tmp_path):
    response = Client().get(url(clip["token"], clip["mp4"].pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Content-Type-Options"] == "nosniff"
    data = body(response)
    assert int(response["Content-Length"]) == len(data)
    for leak in (SECRET.encode(), b"x264", b"Lavf", b"secret-name"):
        assert leak not in data, leak
    served = tmp_path / "served.mp4"
    served.write_bytes(data)
    info = probe(served)
    assert (info.codec, info.pixel_format, info.frame_count) == ("h264", "yuv420p", FRAMES)
    assert info.faststart and info.constant_frame_rate and info.color_primaries == "bt709"
    # The same compressed pictures: decoded frames are identical to the stored clip's.
    for ours, theirs in zip(read_frames(served), read_frames(clip["path"]), strict=True):
        assert np.array_equal(ours, theirs)
    # Members still get the file as stored.
    member = member_client(people["owner"])
    stored = body(member.get(f"/files/{clip['mp4'].pk}/{clip['mp4'].blob_id}/original"))
    assert stored == clip["path"].read_bytes()


def test_range_requests_answer_206_with_the_right_bytes_and_416_outside(clip):
    guest = Client()
    whole = body(guest.get(url(clip["token"], clip["mp4"].pk)))
    size = len(whole)
    for header, (start, end) in {
        "bytes=0-99": (0, 99),
        "bytes=100-": (100, size - 1),
        "bytes=-50": (size - 50, size - 1),
        f"bytes=10-{size + 1000}": (10, size - 1),
    }.items():
        response = guest.get(url(clip["token"], clip["mp4"].pk), HTTP_RANGE=header)
        assert response.status_code == 206, header
        assert response["Content-Range"] == f"bytes {start}-{end}/{size}"
        assert int(response["Content-Length"]) == end - start + 1
        assert body(response) == whole[start : end + 1], header
    for bad in (f"bytes={size}-", f"bytes={size + 5}-{size + 10}", "bytes=9-3", "bytes=-0"):
        response = guest.get(url(clip["token"], clip["mp4"].pk), HTTP_RANGE=bad)
        assert response.status_code == 416, bad
        assert response["Content-Range"] == f"bytes */{size}"
    # A header that is not one range (multipart, another unit) gets the whole file.
    response = guest.get(url(clip["token"], clip["mp4"].pk), HTTP_RANGE="bytes=0-1,5-6")
    assert response.status_code == 200 and body(response) == whole


def test_the_clean_copy_is_made_once_and_kept_by_hash(clip):
    key = storage.clean_clip_key(clip["mp4"].blob_id)
    assert not storage.exists(key)
    first = body(Client().get(url(clip["token"], clip["mp4"].pk)))
    assert storage.exists(key)
    again = body(Client().get(url(clip["token"], clip["mp4"].pk), HTTP_RANGE="bytes=0-"))
    assert first == again


def test_only_clips_the_link_shows_are_served(people, clip, tmp_path):
    token = clip["token"]
    # The poster and the provider's original (here another asset) are not clips of the link.
    original = ingest_clip(
        people["board"], people["owner"], clip["path"], "original.mp4",
        width=96, height=64, frame_count=FRAMES,
    )  # fmt: skip
    for other in (clip["poster"].pk, original.pk, uuid.uuid4()):
        response = Client().get(url(token, other))
        assert response.status_code == 404, other
        assert response.json()["error"]["code"] == "not_found"
    # A stranger's token: a link on another board, for this board's clip.
    stranger = people["stranger"]
    theirs = factories.make_board(owner=stranger, name="Elsewhere")
    _link, their_token = links.create_link(theirs, stranger)
    assert Client().get(url(their_token, clip["mp4"].pk)).status_code == 404
    # No such token at all.
    assert Client().get(url(token[:-4] + "AAAA", clip["mp4"].pk)).status_code == 404
    # A frame link that does not cover the clip's item.
    frame_id = uuid.uuid4()
    apply_batch(people["board"].pk, people["owner"], [protocol.parse_operation({"op": "create",
        "item": {"id": str(frame_id), "kind": "frame", "name": "F", "x": 5000, "y": 5000,
                 "width": 100, "height": 100, "rotation": 0, "opacity": 1, "z": 2,
                 "hidden": False, "locked": False, "anchor_role": "", "props": {}}})])  # fmt: skip
    _frame_link, frame_token = make_link(
        people["board"], people["owner"], scope="frame", frame_id=str(frame_id)
    )
    assert Client().get(url(frame_token, clip["mp4"].pk)).status_code == 404
    # Hidden items are not shown, so neither is their clip.
    Item.objects.filter(pk=clip["item"].pk).update(hidden=True)
    assert Client().get(url(token, clip["mp4"].pk)).status_code == 404
    assert Client().post(url(token, clip["mp4"].pk)).status_code in (403, 404, 405)


def test_a_revoked_link_stops_serving_the_clip_even_mid_playback(people, clip):
    guest = Client()
    first = guest.get(url(clip["token"], clip["mp4"].pk), HTTP_RANGE="bytes=0-99")
    assert first.status_code == 206
    links.revoke_link(clip["link"], people["owner"])
    response = guest.get(url(clip["token"], clip["mp4"].pk), HTTP_RANGE="bytes=100-")
    assert response.status_code == 410  # every guest route answers a revoked link so
    assert response.json()["error"]["code"] == "share_link_revoked"


def test_the_snapshot_gives_guests_the_clip_url_and_no_original(people, clip):
    snapshot = Client().get(f"/api/v1/share/{clip['token']}/board").json()
    (item,) = [i for i in snapshot["items"] if i["kind"] == "video"]
    video = item["props"]["video"]
    assert video["mp4"]["url"] == url(clip["token"], clip["mp4"].pk)
    assert video["original"] is None
    assert "drift" not in video  # the team's assessment: only with show_decisions
    assert video["duration"] == pytest.approx(FRAMES / 24)
    _l, with_decisions = make_link(people["board"], people["owner"], show_decisions=True)
    shared = Client().get(f"/api/v1/share/{with_decisions}/board").json()
    (item,) = [i for i in shared["items"] if i["kind"] == "video"]
    assert item["props"]["video"]["drift"]["seconds"][0]["score"] == 0.1


def test_a_video_result_on_a_selection_link_plays_in_the_guests_grid(people, clip):
    """Candidates: a selection link shows no items, only its results; a clip result's
    candidate carries ``clip`` and its URL plays."""
    board, owner = people["board"], people["owner"]
    candidate = final(make_candidate(board, owner), owner)
    mp4 = clip["mp4"]
    candidate.provenance = {**(candidate.provenance or {}), "video": {
        "duration": FRAMES / 24, "mp4": {"asset": str(mp4.pk), "sha256": mp4.blob_id}}}  # fmt: skip
    candidate.save(update_fields=["provenance"])
    _l, token = make_link(board, owner, scope="selection", iteration_ids=[str(candidate.pk)])
    board_payload = Client().get(f"/api/v1/share/{token}/board").json()
    (shown,) = board_payload["candidates"]
    assert shown["clip"] == {"url": url(token, mp4.pk), "mime": "video/mp4",
                             "duration": pytest.approx(FRAMES / 24)}  # fmt: skip
    response = Client().get(shown["clip"]["url"], HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206 and len(body(response)) == 10
