"""Hosted video engines through the real queue and runner: a Seedance clip lands as a video
item, retries follow 429s, a board's fallback chain moves a job off a provider that is
down (to Veo), and a cancel mid-poll ends the job as cancelled."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from assets.video.encode import write_mp4
from canvas.engines.providers import resilience
from canvas.jobs import queue, runner
from canvas.models import (
    BreakerState,
    Item,
    ItemKind,
    Iteration,
    Job,
    JobState,
    ProviderCall,
    ProviderHealth,
)
from tests.providers.fakes import ark as fake_ark
from tests.providers.fakes import veo as fake_veo
from tests.providers.fixtures import REGION

SEEDANCE = f"seedance-{fake_ark.MODELS[0]}"

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(120)]


def video_spec(engine: str = SEEDANCE, **video) -> dict:
    return {
        "mode": "video",
        "engine": engine,
        "region": REGION,
        "seed": 9,
        "prompt": "fog rolls over the hills",
        "video": {"duration": 4, "aspect_ratio": "16:9", "resolution": "480p", **video},
    }


def run_next(worker="w1"):
    claim = queue.claim_next(worker)
    assert claim is not None, "nothing was claimable"
    return runner.execute(claim.job_id, worker)


@pytest.fixture
def real_clip(ark_server, tmp_path):
    """The fake serves a real H.264 clip (1 s, 24 fps, a colour ramp over time)."""
    frames = (np.full((48, 64, 3), 10 * i, dtype=np.uint8) for i in range(24))
    path = tmp_path / "served.mp4"
    write_mp4(frames, path, 24)
    ark_server.book.clip = path.read_bytes()
    return ark_server.book.clip


def test_a_seedance_job_lands_its_clip_as_a_video_item(
    board, owner, image_item, ark_server, real_clip
):
    job = queue.submit_job(board, owner, video_spec())
    assert run_next() == JobState.SUCCEEDED
    iteration = Iteration.objects.get(job=job)
    item = Item.objects.get(pk=iteration.applied_item_id)
    assert item.kind == ItemKind.VIDEO
    video = iteration.provenance["video"]
    assert video["frame_count"] == 24 and video["fps"] == 24
    # The provider's file was already browser-ready: kept once, as original and MP4.
    assert video["original"]["sha256"] == video["mp4"]["sha256"]
    assert video["provider"]["provider_task"].startswith("cgt-")
    assert iteration.provenance["engine"] == SEEDANCE and iteration.seed == 9
    call = ProviderCall.objects.get()
    assert (call.job_id, call.outcome, call.provider) == (job.pk, "success", "seedance")


def test_a_429_sends_the_job_back_to_the_queue_then_it_lands(
    board, owner, image_item, ark_server, real_clip
):
    ark_server.script(fake_ark.rate_limited("0"))
    job = queue.submit_job(board, owner, video_spec())
    assert run_next() == JobState.QUEUED
    job.refresh_from_db()
    assert "rate limit" in str(job.notes)
    Job.objects.filter(pk=job.pk).update(not_before=None)  # the backoff has passed
    assert run_next() == JobState.SUCCEEDED
    assert Iteration.objects.filter(job=job).count() == 1
    assert list(ProviderCall.objects.order_by("started_at").values_list("outcome", flat=True)) == [
        "transient",
        "success",
    ]


def test_a_board_fallback_runs_the_job_on_veo_while_seedance_is_down(
    board, owner, image_item, ark_server, veo_server, real_clip
):
    veo_server.book.clip = real_clip
    resilience.set_board_fallbacks(board, {SEEDANCE: [fake_veo.MODELS[0]]})
    ProviderHealth.objects.create(
        provider="seedance",
        state=BreakerState.OPEN,
        consecutive_failures=5,
        opened_at=timezone.now(),
        next_probe_at=timezone.now() + timedelta(minutes=5),
    )
    job = queue.submit_job(board, owner, video_spec(resolution="720p"))  # one Veo makes too
    assert run_next() == JobState.SUCCEEDED
    iteration = Iteration.objects.get(job=job)
    assert iteration.provenance["engine"] == fake_veo.MODELS[0]
    assert not ark_server.requests  # Seedance was never called
    assert len(veo_server.requests) == 1
    call = ProviderCall.objects.get()
    assert (call.provider, call.fallback) == ("veo", True)


def test_cancel_mid_poll_ends_the_job_cancelled(board, owner, image_item, ark_server, monkeypatch):
    from canvas.engines.providers import video as video_engine

    ark_server.book.polls_until_done = 10_000
    job = queue.submit_job(board, owner, video_spec())
    original_wait = video_engine.wait

    def wait(seconds, progress):
        """Someone presses Cancel once the task has been polled twice."""
        if sum(t.polls for t in ark_server.book.tasks.values()) >= 2:
            Job.objects.filter(pk=job.pk).update(cancel_requested=True)
        return original_wait(seconds, progress)

    monkeypatch.setattr(video_engine, "wait", wait)
    assert run_next() == JobState.CANCELLED
    assert ark_server.deleted  # the remote task was asked to stop too
    assert not Iteration.objects.filter(job=job).exists()
