"""Clips in exports, end to end through the API: a local-loop video job lands two clips on
the board (the real job path), then the ``video`` kind writes ProRes 4444, ProRes 422 HQ,
H.264 MP4 and a PNG sequence — each probed back (codec, profile, pixel format, frame rate,
frame count, Rec.709 tags) — several clips become a package with the manifest's ``clip``
facts, the ZIP kind packs clips as stored, and bad requests are clear 400s."""

from __future__ import annotations

import io
import json
import zipfile
from fractions import Fraction

import jsonschema
import numpy as np
import pytest
from PIL import Image

from assets.exports.manifest import MANIFEST_SCHEMA
from assets.video.probe import probe
from canvas.models import Item, ItemKind, Iteration
from foundation.background import registered
from tests.exports.conftest import client_for
from tests.exports.test_formats import export_and_download
from tests.jobs.conftest import add_image

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]

SPEC = {
    "mode": "video",
    "engine": "local-loop",
    "region": {"x": 0, "y": 0, "width": 64, "height": 48},
    "prompt": "mist drifting",
    "video": {"duration": 1, "aspect_ratio": "4:3", "resolution": "480p"},
}


@pytest.fixture
def clips(board, owner, django_capture_on_commit_callbacks) -> list[Item]:
    """Two video items from two local-loop jobs (seeds 3 and 4) over a stored still."""
    add_image(board, owner, x=0, y=0, width=64, height=48)
    client = client_for(owner)
    for seed in (3, 4):
        response = client.post(
            f"/api/v1/boards/{board.pk}/jobs",
            json.dumps({**SPEC, "seed": seed}),
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
    with django_capture_on_commit_callbacks(execute=True):
        while registered("canvas.jobs.work")():
            pass
    found = list(Item.objects.filter(board=board, kind=ItemKind.VIDEO).order_by("created_at"))
    assert len(found) == 2
    return found


def export(owner, board, body, capture):
    return export_and_download(client_for(owner), board, body, capture)


@pytest.mark.parametrize(
    ("fmt", "suffix", "codec", "profile", "pix_fmt"),
    [
        ("prores_4444", ".mov", "prores", "4444", ("yuv444p12le", "yuv444p10le")),
        ("prores_422_hq", ".mov", "prores", "HQ", ("yuv422p10le",)),
        ("mp4", ".mp4", "h264", "High", ("yuv420p",)),
    ],
)
def test_each_video_format_probes_as_asked(
    board, owner, clips, fmt, suffix, codec, profile, pix_fmt, tmp_path,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    item = clips[0]
    video = item.props["video"]
    body = {"kind": "video", "items": [str(item.pk)], "options": {"format": fmt}}
    done, data = export(owner, board, body, django_capture_on_commit_callbacks)
    assert done["file_name"].endswith(suffix), done
    path = tmp_path / f"out{suffix}"
    path.write_bytes(data)
    info = probe(path)
    assert info.codec == codec
    assert profile in (info.profile or ""), info.profile
    assert info.pixel_format in pix_fmt, info.pixel_format
    assert info.frame_rate == Fraction(24) and info.constant_frame_rate
    assert info.frame_count == video["frame_count"] == 24
    assert (info.width, info.height) == (video["width"], video["height"])
    assert (info.color_primaries, info.color_transfer, info.color_space) == ("bt709",) * 3
    if fmt == "mp4":
        assert info.faststart


def test_a_png_sequence_holds_every_frame(board, owner, clips, django_capture_on_commit_callbacks):
    item = clips[0]
    body = {"kind": "video", "items": [str(item.pk)], "options": {"format": "png_zip"}}
    done, data = export(owner, board, body, django_capture_on_commit_callbacks)
    assert done["file_name"].endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names == [f"frame_{i:06d}.png" for i in range(24)]
        first = Image.open(io.BytesIO(archive.read(names[0])))
        assert first.size == (item.props["video"]["width"], item.props["video"]["height"])
        assert np.asarray(first).std() > 1  # pictures, not blank frames


def check_manifest(archive: zipfile.ZipFile, clips: list[Item], fmt: str) -> list[dict]:
    manifest = json.loads(archive.read("manifest.json"))
    jsonschema.validate(manifest, MANIFEST_SCHEMA)
    files = manifest["files"]
    assert len(files) == 2
    for record, item in zip(files, clips, strict=True):
        result = Iteration.objects.get(applied_item_id=item.pk)
        drift = item.props["video"]["drift"]
        assert record["engine"] == "local-loop" and record["prompt"] == "mist drifting"
        assert record["seed"] == result.seed and record["job"] == str(result.job_id)
        clip = record["clip"]
        assert clip["source_asset"] == str(result.source_asset_id)
        assert clip["source_sha256"] == result.source_asset.blob_id
        assert clip["duration"] == pytest.approx(1.0, abs=0.05) and clip["fps"] == 24
        assert clip["frame_count"] == 24 and clip["format"] == fmt
        assert clip["drift_worst_second"] == drift["worst_second"] == 0
        assert clip["drift_worst_score"] == pytest.approx(drift["worst_score"])
        assert clip["drift_flagged"] is False and clip["drift_onset_second"] is None
        assert archive.getinfo(record["file_name"]).file_size == record["size"]
    csv = archive.read("manifest.csv").decode("utf-8-sig")
    assert "clip" in csv.splitlines()[0].split(",")
    assert f"format={fmt}" in csv and "drift_flagged=false" in csv
    return files


def test_several_clips_are_a_package_with_the_clip_manifest(
    board, owner, clips, django_capture_on_commit_callbacks
):
    body = {
        "kind": "video",
        "items": [str(c.pk) for c in clips],
        "options": {"format": "prores_422_hq"},
    }
    done, data = export(owner, board, body, django_capture_on_commit_callbacks)
    assert done["file_name"].endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = check_manifest(archive, clips, "prores_422_hq")
        assert all(f["file_name"].endswith(".mov") for f in files)
        assert all(f"{f['file_name']}.json" in archive.namelist() for f in files)


def test_the_zip_package_includes_clips_as_stored(
    board, owner, clips, django_capture_on_commit_callbacks
):
    still = add_image(board, owner, x=500, y=500)
    body = {"kind": "zip", "items": [str(still.pk), *(str(c.pk) for c in clips)]}
    _done, data = export(owner, board, body, django_capture_on_commit_callbacks)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        jsonschema.validate(manifest, MANIFEST_SCHEMA)
        assert manifest["files"][0]["clip"] is None  # the still
        clip_files = [f for f in manifest["files"] if f["clip"] is not None]
        assert len(clip_files) == 2
        for record, item in zip(clip_files, clips, strict=True):
            original = item.props["video"]["original"]
            assert record["asset"] == original["asset"]
            assert record["sha256"] == original["sha256"]  # the stored bytes, unchanged
            assert record["clip"]["format"] == "mp4"
            assert archive.getinfo(record["file_name"]).file_size == record["size"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"options": {"format": "webm"}}, "is not a video format"),
        ({"items": "stills"}, "holds no video clips"),
        ({"batch": True}, "batch"),
    ],
)
def test_bad_video_requests_are_clear_400s(board, owner, clips, images, body, words):
    request = {"kind": "video", "items": [str(clips[0].pk)], **body}
    if body.get("items") == "stills":
        request["items"] = [str(images[0].pk)]
    if body.get("batch"):
        request = {"kind": "video", "batch": "00000000-0000-0000-0000-000000000000"}
    response = client_for(owner).post(
        f"/api/v1/boards/{board.pk}/exports", json.dumps(request), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert words in response.json()["error"]["message"], response.json()
