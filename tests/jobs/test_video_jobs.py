"""Video jobs end to end on the server: submit (API), validation, permissions, the local
loop engine through the embedded worker, landing (files, poster, video item, broadcast),
seeking the MP4 with HTTP Range."""

from __future__ import annotations

import json
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client

from assets.video.probe import probe
from canvas.jobs.signals import clip_landed
from canvas.jobs.workers import WorkerPool
from canvas.models import Item, ItemKind, Iteration, IterationStatus, Job, JobState
from canvas.realtime import board_group
from foundation.background import registered
from tests import factories
from tests.jobs.conftest import REGION

pytestmark = pytest.mark.timeout(120)

VIDEO = {
    "mode": "video",
    "engine": "local-loop",
    "region": REGION,
    "seed": 3,
    "prompt": "mist drifting",
    "video": {"duration": 1, "aspect_ratio": "4:3", "resolution": "480p"},
}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


@pytest.fixture
def api(owner):
    return client_for(owner)


@pytest.fixture
def heard_by_the_board(board):
    """Everything sent to the board's group from now on (in-memory layer), raw events."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(board_group(board.pk), channel)

    def drain():
        events = []
        while channel in layer.channels and not layer.channels[channel].empty():
            events.append(async_to_sync(layer.receive)(channel))
        return events

    return drain


def landed(job: Job) -> tuple[Iteration, Item]:
    iteration = Iteration.objects.get(job=job)
    return iteration, Item.objects.get(pk=iteration.applied_item_id)


@pytest.mark.django_db
def test_a_local_loop_job_lands_a_video_item_with_poster_and_playable_mp4(
    api, board, image_item, heard_by_the_board, tmp_path, django_capture_on_commit_callbacks
):
    response = post(api, f"/api/v1/boards/{board.pk}/jobs", VIDEO)
    assert response.status_code == 201, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.spec["video"]["duration"] == 1 and job.spec["video"]["first_frame"] is None
    with django_capture_on_commit_callbacks(execute=True):
        assert registered("canvas.jobs.work")() is True  # the embedded worker's unit of work
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error_message
    iteration, item = landed(job)
    assert iteration.status == IterationStatus.APPLIED
    assert item.kind == ItemKind.VIDEO and item.asset_id == iteration.asset_id  # the poster
    assert item.asset.blob.mime_type == "image/png"
    # Beside the region, not over the still it came from; the clip's 4:3 at region height.
    assert item.x >= REGION["x"] + REGION["width"]
    assert item.width / item.height == pytest.approx(4 / 3, rel=0.02)
    video = item.props["video"]
    assert video["duration"] == pytest.approx(1.0, abs=0.05) and video["fps"] == 24
    assert (video["width"], video["height"]) == (64, 48)  # 480p capped at 2× the still
    # Its drift was measured: one second of a steady loop, scored and not flagged.
    drift = video["drift"]
    assert [s["second"] for s in drift["seconds"]] == [0]
    assert drift["flagged"] is False and drift["worst_score"] < 1.0
    assert drift["seconds"][0]["anchor"] is None  # the job had no palette anchor
    facts = iteration.provenance["video"]
    assert facts["mp4"] == video["mp4"] and iteration.provenance["engine"] == "local-loop"
    assert iteration.provenance["source_asset"] is not None
    # The MP4 is served to members, H.264 for browsers, and seekable with Range.
    url = f"/files/{video['mp4']['asset']}/{video['mp4']['sha256']}/original"
    whole = api.get(url)
    assert whole.status_code == 200 and whole["Content-Type"] == "video/mp4"
    assert whole["Accept-Ranges"] == "bytes"
    data = b"".join(whole.streaming_content)
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    info = probe(path)
    assert (info.codec, info.pixel_format, info.faststart) == ("h264", "yuv420p", True)
    part = api.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert b"".join(part.streaming_content) == data[100:200]
    # Everyone on the board heard of the new video item, with its poster expanded.
    heard = json.dumps(heard_by_the_board())
    assert f'"id": "{item.pk}"' in heard and '"kind": "video"' in heard
    assert video["mp4"]["sha256"] in heard and str(item.asset_id) in heard


@pytest.mark.django_db
def test_a_range_past_the_end_is_416(api, board, image_item):
    post(api, f"/api/v1/boards/{board.pk}/jobs", VIDEO)
    registered("canvas.jobs.work")()
    _, item = landed(Job.objects.get())
    mp4 = item.props["video"]["mp4"]
    response = api.get(
        f"/files/{mp4['asset']}/{mp4['sha256']}/original", HTTP_RANGE="bytes=999999999-"
    )
    assert response.status_code == 416


@pytest.mark.django_db(transaction=True)
def test_a_video_job_through_the_embedded_worker_pool(board, owner, image_item):
    from canvas.jobs.queue import submit_job

    job = submit_job(board, owner, dict(VIDEO))
    landed_clip = threading.Event()

    def heard(**kwargs):
        landed_clip.set()

    # No database reads while the worker runs (SQLite's shared test database would lock):
    # the clip's signal says when, and stop() waits for the job to finish.
    clip_landed.connect(heard, weak=False, dispatch_uid="test-pool-clip")
    pool = WorkerPool(1, name="video")
    pool.start()
    try:
        assert landed_clip.wait(90), "no worker landed the clip"
    finally:
        pool.stop()
        clip_landed.disconnect(dispatch_uid="test-pool-clip")
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error_message
    iteration, item = landed(job)
    assert item.kind == ItemKind.VIDEO and iteration.asset.blob.width > 0


@pytest.mark.django_db
def test_a_viewer_cannot_submit_a_video_job(board, image_item):
    viewer = factories.make_user("viewer")
    board.memberships.create(user=viewer, role="viewer")
    response = post(client_for(viewer), f"/api/v1/boards/{board.pk}/jobs", VIDEO)
    assert response.status_code == 403
    assert not Job.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"video": {"duration": 99}}, "video.duration"),
        ({"video": {"aspect_ratio": "2:1"}}, "video.aspect_ratio"),
        ({"video": {"resolution": "4k"}}, "video.resolution"),
        ({"video": {"camera_fixed": "yes"}}, "video.camera_fixed"),
        ({"mode": "img2img", "engine": "local"}, "only a video job"),
        ({"engine": "local"}, "does not make video"),
        ({"engine": "local-loop", "mode": "img2img", "video": None}, "cannot do img2img"),
        ({"video": {"first_frame": "00000000-0000-0000-0000-000000000000"}}, "first frame"),
    ],
)
def test_malformed_video_specs_are_400_naming_the_problem(api, board, image_item, change, says):
    response = post(api, f"/api/v1/boards/{board.pk}/jobs", {**VIDEO, **change})
    assert response.status_code == 400, response.content
    assert says in response.json()["error"]["message"]
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_refused(api, board, image_item):
    response = api.post(
        f"/api/v1/boards/{board.pk}/jobs", "{not json", content_type="application/json"
    )
    assert response.status_code in (400, 422)


@pytest.mark.django_db
def test_a_first_frame_image_starts_the_clip_instead_of_the_region(api, board, owner):
    from tests.jobs.conftest import add_image

    region_image = add_image(board, owner, color=(200, 40, 40))
    blue = add_image(board, owner, x=500, y=500, color=(20, 20, 220), z=2)
    spec = {**VIDEO, "video": {**VIDEO["video"], "first_frame": str(blue.pk)}}
    assert region_image.pk
    response = post(api, f"/api/v1/boards/{board.pk}/jobs", spec)
    assert response.status_code == 201, response.content
    registered("canvas.jobs.work")()
    iteration, _ = landed(Job.objects.get())
    poster = iteration.asset
    from canvas.jobs import adapters

    r, _g, b, _a = adapters.open_asset(poster).getpixel(
        (poster.blob.width // 2, poster.blob.height // 2)
    )
    assert b > 150 and r < 100  # the blue image, not the red region


@pytest.mark.django_db
def test_a_palette_anchor_is_scored_against_too(api, board, owner, image_item):
    from tests.jobs.conftest import add_image

    palette = add_image(board, owner, x=900, y=900, color=(20, 200, 40), z=3)
    spec = {**VIDEO, "anchors": [{"item_id": str(palette.pk), "role": "palette"}]}
    assert post(api, f"/api/v1/boards/{board.pk}/jobs", spec).status_code == 201
    registered("canvas.jobs.work")()
    iteration, item = landed(Job.objects.get())
    [second] = iteration.provenance["video"]["drift"]["seconds"]
    # A red clip against a green palette anchor is far off it, in ΔE00.
    assert second["anchor"] > 20
    assert item.props["video"]["drift"] == iteration.provenance["video"]["drift"]
