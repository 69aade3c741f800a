"""A batch's video results in exports, end to end: a batch of local-loop video jobs is
started through the API and run by the queue's worker, one result approved in the review;
the ``video`` kind then packs the batch's clips (approved, or all) in the chosen format —
each file probed back with the FFmpeg libraries the clips were written with (PyAV's
libavformat: docs/video.md "FFmpeg") — and the manifest's ``clip`` record names each
clip's source still, engine and drift scores next to the batch and its values. The ZIP
kind packs the same clips as stored, not their posters."""

from __future__ import annotations

import io
import json
import zipfile
from fractions import Fraction

import jsonschema
import pytest

from assets.exports.manifest import MANIFEST_SCHEMA
from assets.video.probe import probe
from canvas.exports.formats.clips import batch_clips
from canvas.models import Batch, Decision, Iteration
from foundation.background import registered
from tests.exports.conftest import client_for
from tests.exports.test_formats import export_and_download
from tests.jobs.conftest import add_image

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]

REGION = {"x": 0, "y": 0, "width": 64, "height": 48}
BATCH = {
    "name": "Misty plates",
    "mode": "video",
    "prompt": "mist drifting over a {product}",
    "variables": {"product": ["sneaker", "boot"]},
    "seeds": 1,
    "seed": 11,
    "engines": ["local-loop"],
    "targets": [{"region": REGION}],
    "video": {"duration": 1, "aspect_ratio": "4:3", "resolution": "480p"},
}


@pytest.fixture(autouse=True)
def _no_trailing_progress(monkeypatch):
    """Batch progress sends the throttle deferred stay unsent (a timer thread would reach
    the database after the test): the exports, not the progress, are under test here."""
    from canvas.batches import progress

    monkeypatch.setattr(progress, "_schedule", lambda *_args: None)


@pytest.fixture
def batch(board, owner, django_capture_on_commit_callbacks) -> Batch:
    """The batch's two video jobs run through the queue (sneaker, then boot); the boot's
    clip approved through the review API."""
    add_image(board, owner, x=0, y=0, width=64, height=48)
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/boards/{board.pk}/batches", json.dumps(BATCH), content_type="application/json"
        )
    assert response.status_code == 201, response.content
    assert response.json()["accepted"] == 2, response.json()
    with django_capture_on_commit_callbacks(execute=True):
        while registered("canvas.jobs.work")():
            pass
    made = Batch.objects.get(pk=response.json()["batch"])
    results = list(Iteration.objects.filter(job__batch=made).order_by("job__position"))
    assert [r.job.spec["variables"]["product"] for r in results] == ["sneaker", "boot"]
    assert all(r.provenance.get("video") for r in results), "the jobs made no clips"
    approved = client.put(
        f"/api/v1/iterations/{results[1].pk}/decision",
        json.dumps({"status": "approved"}),
        content_type="application/json",
    )
    assert approved.status_code == 200, approved.content
    return made


def _probe_member(archive: zipfile.ZipFile, name: str, tmp_path):
    path = tmp_path / name
    path.write_bytes(archive.read(name))
    return probe(path)


def _check_clip_record(record: dict, result: Iteration, fmt: str) -> None:
    facts = result.provenance["video"]
    drift = facts["drift"]
    assert record["batch"] == "Misty plates"
    assert record["variables"] == {"product": result.job.spec["variables"]["product"]}
    assert record["job"] == str(result.job_id) and record["engine"] == "local-loop"
    assert record["seed"] == result.seed
    clip = record["clip"]
    assert clip["source_asset"] == str(result.source_asset_id)
    assert clip["source_sha256"] == result.source_asset.blob_id
    assert clip["format"] == fmt and clip["frame_count"] == facts["frame_count"] == 24
    assert clip["duration"] == pytest.approx(1.0, abs=0.05) and clip["fps"] == 24
    assert clip["drift_worst_second"] == drift["worst_second"] == 0
    assert clip["drift_worst_score"] == pytest.approx(drift["worst_score"])
    assert clip["drift_flagged"] is False and clip["drift_onset_second"] is None


def test_a_batch_of_video_jobs_exports_its_approved_clip_as_prores(
    board, owner, batch, tmp_path, django_capture_on_commit_callbacks
):
    body = {"kind": "video", "batch": str(batch.pk), "options": {"format": "prores_4444"}}
    done, data = export_and_download(
        client_for(owner), board, body, django_capture_on_commit_callbacks
    )
    # One approved clip, still a package: the manifest names the batch and its values.
    assert done["file_name"].endswith(".zip") and "Misty-plates" in done["file_name"], done
    boot = Iteration.objects.get(job__batch=batch, job__spec__variables__product="boot")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        jsonschema.validate(manifest, MANIFEST_SCHEMA)
        assert manifest["package"]["batch"] == "Misty plates"
        assert manifest["package"]["video_format"] == "prores_4444"
        [record] = manifest["files"]
        _check_clip_record(record, boot, "prores_4444")
        assert record["file_name"].endswith(".mov") and "boot" in record["file_name"]
        assert record["decisions"][0]["decision"] == "approved"
        info = _probe_member(archive, record["file_name"], tmp_path)
    assert (info.codec, info.frame_count) == ("prores", 24)
    assert "4444" in (info.profile or ""), info.profile
    assert info.frame_rate == Fraction(24) and info.constant_frame_rate
    facts = boot.provenance["video"]
    assert (info.width, info.height) == (facts["width"], facts["height"])
    assert (info.color_primaries, info.color_transfer, info.color_space) == ("bt709",) * 3


def test_every_clip_of_the_batch_as_mp4(
    board, owner, batch, tmp_path, django_capture_on_commit_callbacks
):
    body = {
        "kind": "video",
        "batch": str(batch.pk),
        "options": {"format": "mp4", "results": "all"},
    }
    _done, data = export_and_download(
        client_for(owner), board, body, django_capture_on_commit_callbacks
    )
    results = list(Iteration.objects.filter(job__batch=batch).order_by("job__position"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        jsonschema.validate(manifest, MANIFEST_SCHEMA)
        files = manifest["files"]
        assert [f["variables"]["product"] for f in files] == ["sneaker", "boot"]
        for record, result in zip(files, results, strict=True):
            _check_clip_record(record, result, "mp4")
            info = _probe_member(archive, record["file_name"], tmp_path)
            assert (info.codec, info.pixel_format, info.faststart) == ("h264", "yuv420p", True)
            assert info.frame_count == 24 and info.frame_rate == Fraction(24)


def test_the_zip_of_a_video_batch_packs_clips_not_posters(
    board, owner, batch, django_capture_on_commit_callbacks
):
    body = {"kind": "zip", "batch": str(batch.pk), "options": {"results": "all"}}
    _done, data = export_and_download(
        client_for(owner), board, body, django_capture_on_commit_callbacks
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        jsonschema.validate(manifest, MANIFEST_SCHEMA)
    files = manifest["files"]
    assert len(files) == 2 and all(f["clip"] is not None for f in files)
    originals = {r.provenance["video"]["original"]["sha256"] for r in batch_results(batch)}
    assert {f["sha256"] for f in files} == originals  # the stored clips, as stored
    assert not any(f["file_name"].endswith(".png") for f in files)


def test_a_video_batch_without_approved_clips_is_a_clear_400(board, owner, batch):
    Decision.objects.filter(iteration__job__batch=batch).delete()
    response = client_for(owner).post(
        f"/api/v1/boards/{board.pk}/exports",
        json.dumps({"kind": "video", "batch": str(batch.pk)}),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert "has no approved clips yet" in response.json()["error"]["message"]
    assert len(batch_clips(board, str(batch.pk), {"results": "all"})) == 2


def batch_results(batch: Batch) -> list[Iteration]:
    return list(Iteration.objects.filter(job__batch=batch))
