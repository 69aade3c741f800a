"""The AUTOMATIC1111 / Forge engine: ``/sdapi/v1/img2img`` with progress polling.

Wire format (docs/providers.md "AUTOMATIC1111 / Forge"): one blocking ``POST
/sdapi/v1/img2img`` (base64 PNG ``init_images``, ``mask`` white = change, ``batch_size`` =
results, which A1111 seeds ``seed``, ``seed + 1``, … exactly as the engine contract asks)
runs as one call of the provider template (``call.A1111Call``: helper thread, progress
polling, interrupt). Upscaling uses ``POST /sdapi/v1/extra-single-image``.

Anchors: A1111 has no reference-image input without extensions (ControlNet, IP-Adapter),
so jobs with anchors are refused in ``check`` rather than silently ignoring them.

This module must not touch the database, storage or websocket groups.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from canvas.engines.base import (
    EngineRequest,
    Mode,
    TransientEngineError,
    UnsupportedRequest,
)
from canvas.engines.providers import imaging, resilience
from canvas.engines.providers.a1111.answers import decoded, images_of, seeds_of
from canvas.engines.providers.a1111.call import A1111Call
from canvas.engines.providers.a1111.config import A1111Config, a1111_config
from canvas.engines.providers.engine import Call, ProviderCapabilities, ServerEngine, pick_model

PROVIDER = "a1111"
ENGINE_NAME = "a1111"
LABEL = "AUTOMATIC1111 / Forge"


class A1111Engine(ServerEngine):
    name = ENGINE_NAME
    provider = PROVIDER
    label = LABEL
    server = "AUTOMATIC1111"
    images_per_call: ClassVar[int] = 1_000_000  # the whole job is one batch

    def __init__(self, config: A1111Config | None = None) -> None:
        self.config = config or a1111_config()

    def capabilities(self) -> ProviderCapabilities:
        if self.config is None:
            return self.unconfigured_capabilities()
        return ProviderCapabilities(
            label=LABEL,
            generative=True,
            modes=frozenset({Mode.IMG2IMG, Mode.INPAINT, Mode.VARIATIONS, Mode.UPSCALE}),
            max_references=0,
            supports_mask=True,
            max_count=self.config.max_count,
            max_input_pixels=self.config.max_input_pixels,
            max_output_pixels=self.config.max_output_pixels,
            upscale_factors=(2, 3, 4),
            max_concurrency=self.config.concurrency,
        )

    def model_for(self, request: EngineRequest) -> str | None:
        """``params.model`` if offered, else the first configured checkpoint, else None
        (whatever checkpoint the server has loaded)."""
        assert self.config is not None
        return pick_model(request.params.get("model"), self.config.models, "A1111")

    def check(self, request: EngineRequest) -> None:
        if request.anchors:
            raise UnsupportedRequest(
                "AUTOMATIC1111 has no reference-image input (that needs the ControlNet or "
                "IP-Adapter extension), so it cannot use anchors. Remove the anchors, or "
                "describe the look you want in the prompt."
            )
        super().check(request)
        if request.mode == Mode.UPSCALE:
            if request.mask is not None:
                raise UnsupportedRequest("Upscaling works on the whole region; clear the mask.")
            if request.count > 1:
                raise UnsupportedRequest(
                    "Upscaling gives the same image every time; ask for one result."
                )
        if request.mode == Mode.INPAINT and (request.mask is None or request.mask_coverage == 0):
            raise UnsupportedRequest("Inpainting needs a mask: paint the area to change.")
        self.model_for(request)

    # The provider template's hooks ------------------------------------------------------

    def prepare(self, request: EngineRequest) -> None:
        super().prepare(request)
        self.model = self.model_for(request) or ""  # recorded with the call

    def call(self, call: Call) -> resilience.CallResult:
        assert self.config is not None and call.size is not None and call.seed is not None
        request = call.request
        started = time.monotonic()
        seeds: list[int | None] = [None]
        if request.mode == Mode.UPSCALE:
            path, body = "/sdapi/v1/extra-single-image", self.upscale_body(request)
            answer = A1111Call(self.config, path, body).run(call.progress)
            images = [decoded(answer.get("image"))]
        else:
            body = self.img2img_body(request, call.seed, self.model or None, call.size)
            answer = A1111Call(self.config, "/sdapi/v1/img2img", body).run(call.progress)
            images, seeds = images_of(answer, call.n), seeds_of(answer, call.seed, call.n)
        return resilience.CallResult(
            images=images,
            seeds=seeds,
            timings={"generate": round((time.monotonic() - started) * 1000, 1)},
            metadata={"sampler": body.get("sampler_name", ""), "ignored": []},
        )

    def accept(self, outcome: resilience.CallResult, call: Call) -> None:
        if len(outcome.images) < call.n:
            raise TransientEngineError(
                f"A1111 returned {len(outcome.images)} of {call.n} images (the run may "
                "have been stopped on the server). The job will be retried.",
                code="provider_bad_response",
            )

    def progress_total(self, request: EngineRequest) -> int:
        return 100  # one call for the whole batch, reported in percent

    # Request bodies ---------------------------------------------------------------------

    def img2img_body(
        self, request: EngineRequest, seed: int, model: str | None, out_size: tuple[int, int]
    ) -> dict[str, Any]:
        assert self.config is not None and request.source is not None
        params = request.params
        body: dict[str, Any] = {
            "init_images": [imaging.png_b64(imaging.on_white(request.source), compress_level=1)],
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt,
            "denoising_strength": float(request.strength),
            "seed": seed,
            "steps": params.get("steps", self.config.steps),
            "cfg_scale": params.get("cfg", self.config.cfg_scale),
            "sampler_name": params.get("sampler", self.config.sampler),
            "width": imaging.round8(out_size[0]),
            "height": imaging.round8(out_size[1]),
            "batch_size": request.count,
            "n_iter": 1,
            "resize_mode": 0,
            "send_images": True,
            "save_images": False,
            "do_not_save_samples": True,
            "do_not_save_grid": True,
        }
        if request.mask is not None:
            body.update(
                # L: white = change, as A1111 expects
                mask=imaging.png_b64(request.mask, compress_level=1),
                inpainting_mask_invert=0,
                # 1 = start from the original pixels under the mask ("original")
                inpainting_fill=params.get("inpainting_fill", 1),
                inpaint_full_res=params.get("inpaint_full_res", True),
                inpaint_full_res_padding=params.get("inpaint_full_res_padding", 32),
                mask_blur=params.get("mask_blur", 4),
            )
        if model:
            body["override_settings"] = {"sd_model_checkpoint": model}
            body["override_settings_restore_afterwards"] = True
        return body

    def upscale_body(self, request: EngineRequest) -> dict[str, Any]:
        assert self.config is not None and request.source is not None
        return {
            "image": imaging.png_b64(imaging.on_white(request.source), compress_level=1),
            "resize_mode": 0,
            "upscaling_resize": request.scale,
            "upscaler_1": request.params.get("upscaler", self.config.upscaler),
        }
