"""ComfyUI and A1111 through the real job queue: submit → claim → execute against the fake
servers. Checks that progress written by the job runner's reporter works with the engines'
helper threads, results become iterations, calls are recorded against the job, and
refusals happen at submit time."""

from __future__ import annotations

import pytest
from PIL import Image

from canvas.engines.providers import load_provider_engines
from canvas.jobs import adapters, queue, runner
from canvas.models import Iteration, JobState, ProviderCall
from foundation.errors import AppError
from tests.providers.fakes import a1111 as fake_a1111
from tests.providers.fakes import comfyui as fake_comfy

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(60)]


@pytest.fixture
def comfy(providers_fast):
    with fake_comfy.running_fake_comfy() as server:
        providers_fast.ANCHORBOARD_COMFYUI_URL = server.url
        providers_fast.ANCHORBOARD_COMFYUI_MODELS = "sd15.safetensors"
        providers_fast.ANCHORBOARD_COMFYUI_POLL_SECONDS = 0.05
        load_provider_engines()
        yield server


@pytest.fixture
def a1111(providers_fast):
    with fake_a1111.running_fake_a1111() as server:
        providers_fast.ANCHORBOARD_A1111_URL = server.url
        providers_fast.ANCHORBOARD_A1111_POLL_SECONDS = 0.05
        load_provider_engines()
        yield server


def run_next(worker="w1"):
    claim = queue.claim_next(worker)
    assert claim is not None, "nothing was claimable"
    return claim.job_id, runner.execute(claim.job_id, worker)


def result_image(job_id) -> Image.Image:
    iteration = Iteration.objects.get(job_id=job_id, index=0)
    return adapters.open_asset(iteration.asset).convert("RGBA")


def test_a_comfyui_job_runs_to_an_iteration(comfy, submit):
    job = submit("comfyui", seed=7, strength=1.0, prompt="dusk")
    _, state = run_next()
    assert state == JobState.SUCCEEDED
    assert comfy.prompts[0]["prompt"]["7"]["inputs"]["seed"] == 7
    assert result_image(job.pk).getpixel((10, 10))[:3] == fake_comfy.seed_colour(7)
    call = ProviderCall.objects.get()
    assert (call.provider, call.job_id, call.outcome) == ("comfyui", job.pk, "success")
    job.refresh_from_db()
    assert job.progress == 1.0


def test_a_comfyui_out_of_memory_goes_back_to_the_queue(comfy, submit):
    comfy.failure = "oom"
    job = submit("comfyui")
    _, state = run_next()
    job.refresh_from_db()
    assert state == JobState.QUEUED and job.state == JobState.QUEUED
    assert "GPU memory" in str(job.notes)


def test_an_a1111_job_runs_to_an_iteration(a1111, submit):
    job = submit("a1111", seed=5, strength=1.0)
    _, state = run_next()
    assert state == JobState.SUCCEEDED
    assert a1111.requests[0]["seed"] == 5
    assert result_image(job.pk).getpixel((10, 10))[:3] == fake_a1111.seed_colour(5)


def test_a1111_refuses_anchors_when_the_job_is_submitted(a1111, submit, board, owner, media_root):
    from assets.services import ingest_bytes
    from canvas.models import Item, ItemKind
    from tests import factories

    asset = ingest_bytes(board, owner, factories.png_bytes((16, 16), (0, 0, 255)), "a.png")
    anchor = Item.objects.create(
        board=board,
        kind=ItemKind.IMAGE,
        asset=asset,
        x=200,
        y=200,
        width=16,
        height=16,
        z=2,
        created_by=owner,
    )
    with pytest.raises(AppError) as info:
        submit("a1111", anchors=[{"item_id": str(anchor.pk), "role": "style"}])
    assert info.value.code == "unsupported_request"
    assert "no reference-image input" in info.value.message
