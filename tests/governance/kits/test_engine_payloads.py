"""Kit locks reach the wire for the self-hosted engines: a job on a board whose kit locks
the engine (ComfyUI or A1111), the template, negative prompt, strength, engine settings and
upscale factor runs through the real queue against the fake servers, and the request each
server receives carries the kit's values (ComfyUI: the /prompt graph's CLIPTextEncode and
KSampler inputs, ImageScaleBy's ``scale_by``; A1111: the /sdapi/v1/img2img body's
``prompt``, ``negative_prompt``, ``denoising_strength``, ``steps``, ``cfg_scale``, and
/sdapi/v1/extra-single-image's ``upscaling_resize``: the wire formats in docs/providers.md
and the fakes in tests/providers/fakes/). A job that breaks a lock never
reaches the server."""

from __future__ import annotations

import pytest

from canvas.governance.kits import services
from canvas.governance.kits.enforcement import KitLocked
from canvas.jobs import queue, runner
from canvas.models import JobState
from tests.providers.fixtures import (  # noqa: F401 - fixtures
    REGION,
    board,
    image_item,
    owner,
    providers_fast,
    submit,
)
from tests.providers.test_comfyui_a1111_jobs import a1111, comfy  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(60)]

LOCKS = ["engine", "prompt", "negative_prompt", "strength", "scale", "params"]


def lock_kit(board, engine: str) -> None:  # noqa: F811 - the fixture's name
    kit = services.create_kit(
        board.team,
        None,
        "Spring",
        {
            "engine": engine,
            "prompt_template": "{product} on a pastel set",
            "negative_prompt": "text, watermark",
            "settings": {"strength": 0.35, "scale": 4, "params": {"steps": 12, "cfg": 5.5}},
            "locks": LOCKS,
        },
    )
    services.set_board_kit(board, kit)


def run_next() -> str | None:
    claim = queue.claim_next("w1")
    assert claim is not None, "nothing was claimable"
    return runner.execute(claim.job_id, "w1")


def kit_job(board, owner, mode="img2img"):  # noqa: F811
    """A job that names none of the locked values (not even the engine): the kit's apply."""
    raw = {"mode": mode, "region": REGION, "seed": 7, "variables": {"product": "a sneaker"}}
    return queue.submit_job(board, owner, raw)


def refused_changes(submit, engine: str):  # noqa: F811
    for changed in (
        {"engine": "local"},
        {"strength": 0.9},
        {"negative_prompt": "blur"},
        {"params": {"steps": 40}},
        {"prompt": "a red car"},
    ):
        spec = {"prompt": "", "variables": {"product": "a sneaker"}, **changed}
        with pytest.raises(KitLocked):
            submit(spec.pop("engine", engine), **spec)


def test_comfyui_receives_the_kits_locked_values(comfy, submit, board, owner):  # noqa: F811
    lock_kit(board, "comfyui")
    refused_changes(submit, "comfyui")
    assert comfy.prompts == []
    job = kit_job(board, owner)
    assert job.engine == "comfyui"
    assert run_next() == JobState.SUCCEEDED
    graph = comfy.prompts[0]["prompt"]
    assert graph["5"]["inputs"]["text"] == "a sneaker on a pastel set"
    assert graph["6"]["inputs"]["text"] == "text, watermark"
    sampler = graph["7"]["inputs"]
    assert (sampler["denoise"], sampler["steps"], sampler["cfg"]) == (0.35, 12, 5.5)
    kit_job(board, owner, mode="upscale")
    assert run_next() == JobState.SUCCEEDED
    assert comfy.prompts[1]["prompt"]["2"]["inputs"]["scale_by"] == 4.0


def test_a1111_receives_the_kits_locked_values(a1111, submit, board, owner):  # noqa: F811
    lock_kit(board, "a1111")
    refused_changes(submit, "a1111")
    assert a1111.requests == []
    job = kit_job(board, owner)
    assert job.engine == "a1111"
    assert run_next() == JobState.SUCCEEDED
    body = a1111.requests[0]
    assert (body["prompt"], body["negative_prompt"]) == (
        "a sneaker on a pastel set",
        "text, watermark",
    )
    assert (body["denoising_strength"], body["steps"], body["cfg_scale"]) == (0.35, 12, 5.5)
    kit_job(board, owner, mode="upscale")
    assert run_next() == JobState.SUCCEEDED
    assert a1111.upscales[0]["upscaling_resize"] == 4
