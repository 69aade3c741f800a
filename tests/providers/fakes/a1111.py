"""A fake AUTOMATIC1111 / Forge API server speaking the real wire format, for tests.

Routes: ``POST /sdapi/v1/img2img`` (blocking, one job at a time like A1111's queue lock),
``GET /sdapi/v1/progress``, ``POST /sdapi/v1/interrupt``, ``POST
/sdapi/v1/extra-single-image``, ``GET /sdapi/v1/options``; aiohttp on a free loopback port.

The img2img body is validated like A1111's FastAPI model (422 ``{"detail": [{"loc", "msg",
"type"}]}`` for wrong types, 404 ``{"detail": ...}`` for a missing init image or an unknown
sampler). Generation is real but tiny: the init image is resized to width×height and
blended toward a colour derived from the seed (``seed_colour``) by ``denoising_strength``,
only where the mask is white; batch item *i* uses ``seed + i``.

Scriptable: ``failure`` ("oom", "drop", "error500"), ``steps``, ``step_delay``, ``hold``
(generate until released or interrupted), ``grid`` (prepend a grid image to batches),
``busy_with_other_job`` (progress reports a foreign job until our request starts),
``blocked`` (requests wait before starting, as behind another job).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import threading
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from PIL import Image

from tests.providers.fakes.serving import serving

SAMPLERS = ["Euler a", "Euler", "DPM++ 2M"]
UPSCALERS = ["None", "Lanczos", "Nearest", "R-ESRGAN 4x+"]
FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "prompt": (str,),
    "negative_prompt": (str,),
    "seed": (int,),
    "steps": (int,),
    "cfg_scale": (int, float),
    "width": (int,),
    "height": (int,),
    "batch_size": (int,),
    "n_iter": (int,),
    "denoising_strength": (int, float),
    "mask_blur": (int,),
    "inpainting_fill": (int,),
    "inpaint_full_res": (bool,),
    "inpaint_full_res_padding": (int,),
    "inpainting_mask_invert": (int,),
    "resize_mode": (int,),
    "init_images": (list,),
    "mask": (str,),
    "override_settings": (dict,),
}


def seed_colour(seed: int) -> tuple[int, int, int]:
    return (seed * 29 % 256, seed * 71 % 256, seed * 113 % 256)


def b64png(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def unb64(data: str) -> Image.Image:
    if data.startswith("data:"):
        data = data.partition(",")[2]
    return Image.open(io.BytesIO(base64.b64decode(data)))


class FakeA1111:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []  # accepted img2img bodies
        self.upscales: list[dict[str, Any]] = []
        self.interrupts = 0
        self.progress_polls = 0
        self.failure = ""
        self.steps = 3
        self.step_delay = 0.02
        self.grid = False
        self.hold = threading.Event()
        self.started = threading.Event()
        self.busy_with_other_job = False
        self.blocked = threading.Event()  # set = requests wait as if another job held the GPU
        self.loaded_model = "sd15.safetensors [6ce0161689]"
        self._state = self._idle()
        self._interrupt = False
        self.url = ""

    @staticmethod
    def _idle() -> dict[str, Any]:
        return {
            "progress": 0.0,
            "eta_relative": 0.0,
            "state": {
                "skipped": False,
                "interrupted": False,
                "stopping_generation": False,
                "job": "",
                "job_count": 0,
                "job_timestamp": "0",
                "job_no": 0,
                "sampling_step": 0,
                "sampling_steps": 0,
            },
            "current_image": None,
            "textinfo": None,
        }

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.add_routes(
            [
                web.post("/sdapi/v1/img2img", self.img2img),
                web.post("/sdapi/v1/extra-single-image", self.extra_single_image),
                web.get("/sdapi/v1/progress", self.progress),
                web.post("/sdapi/v1/interrupt", self.interrupt),
                web.get("/sdapi/v1/options", self.options),
            ]
        )
        return app

    # --- Routes ---------------------------------------------------------------------------

    async def progress(self, request: web.Request) -> web.Response:
        self.progress_polls += 1
        if self.busy_with_other_job and not self.started.is_set():
            foreign = self._idle()
            foreign["progress"] = 0.5
            foreign["state"].update(job_count=1, job_timestamp="20260101000000")
            foreign["current_image"] = b64png(Image.new("RGB", (8, 8), (1, 2, 3)))
            return web.json_response(foreign)
        state = json.loads(json.dumps(self._state))
        if request.query.get("skip_current_image", "false") == "true":
            state["current_image"] = None
        return web.json_response(state)

    async def interrupt(self, request: web.Request) -> web.Response:
        self.interrupts += 1
        self._interrupt = True
        self._state["state"]["interrupted"] = True
        return web.Response(status=200)

    async def options(self, request: web.Request) -> web.Response:
        return web.json_response({"sd_model_checkpoint": self.loaded_model, "samples_save": True})

    async def extra_single_image(self, request: web.Request) -> web.Response:
        body = await request.json()
        errors = []
        if not isinstance(body.get("image"), str):
            errors.append(
                {"loc": ["body", "image"], "msg": "field required", "type": "value_error.missing"}
            )
        if not isinstance(body.get("upscaling_resize"), int | float):
            errors.append(
                {
                    "loc": ["body", "upscaling_resize"],
                    "msg": "value is not a valid float",
                    "type": "type_error.float",
                }
            )
        if errors:
            return web.json_response({"detail": errors}, status=422)
        if body.get("upscaler_1", "None") not in UPSCALERS:
            return web.json_response(
                {"detail": f"Upscaler not found: {body['upscaler_1']}"}, status=404
            )
        self.upscales.append(body)
        image = unb64(body["image"]).convert("RGB")
        factor = body["upscaling_resize"]
        result = image.resize(
            (round(image.width * factor), round(image.height * factor)), Image.Resampling.LANCZOS
        )
        return web.json_response({"html_info": "", "image": b64png(result)})

    async def img2img(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        errors = [
            {
                "loc": ["body", key],
                "msg": f"value is not a valid {types[0].__name__}",
                "type": "type_error",
            }
            for key, types in FIELD_TYPES.items()
            if key in body
            and (
                not isinstance(body[key], types)
                or (bool not in types and isinstance(body[key], bool))
            )
        ]
        if errors:
            return web.json_response({"detail": errors}, status=422)
        if not body.get("init_images"):
            return web.json_response({"detail": "Init image not found"}, status=404)
        if body.get("sampler_name", "Euler") not in SAMPLERS:
            return web.json_response(
                {"detail": f"Sampler not found: {body['sampler_name']}"}, status=404
            )
        self.requests.append(body)
        while self.blocked.is_set():
            await asyncio.sleep(0.01)
        async with self._lock:
            return await self._generate(request, body)

    async def _generate(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        self._interrupt = False
        self._state = self._idle()
        self._state["state"].update(
            job_count=1, job_timestamp="20260101000100", sampling_steps=self.steps
        )
        self.started.set()
        width, height = body.get("width", 512), body.get("height", 512)
        batch = body.get("batch_size", 1)
        seed = body.get("seed", -1)
        seed = 1234 if seed == -1 else seed
        init = unb64(body["init_images"][0]).convert("RGB").resize((width, height))
        try:
            step = 0
            while step < self.steps or self.hold.is_set():
                if self._interrupt:
                    break
                if step < self.steps:
                    step += 1
                self._state["progress"] = 0.01 + step / self.steps * 0.98
                self._state["eta_relative"] = (self.steps - step) * 0.5
                self._state["state"]["sampling_step"] = step
                self._state["current_image"] = b64png(Image.new("RGB", (16, 16), seed_colour(step)))
                if self.failure == "drop" and step == 1:
                    assert request.transport is not None
                    request.transport.close()
                    return web.Response(status=200)
                await asyncio.sleep(self.step_delay)
            if self.failure == "oom":
                return web.json_response(
                    {
                        "error": "OutOfMemoryError",
                        "detail": "",
                        "body": "",
                        "errors": "CUDA out of memory. Tried to allocate 2.00 GiB",
                    },
                    status=500,
                )
            if self.failure == "error500":
                return web.json_response(
                    {"error": "RuntimeError", "detail": "", "body": "", "errors": "boom"},
                    status=500,
                )
            mask = (
                unb64(body["mask"]).convert("L").resize((width, height))
                if body.get("mask")
                else None
            )
            images, seeds = [], []
            for i in range(batch):
                paint = Image.new("RGB", (width, height), seed_colour(seed + i))
                result = Image.blend(init, paint, float(body.get("denoising_strength", 0.75)))
                if mask is not None:
                    result = Image.composite(result, init, mask)
                images.append(b64png(result))
                seeds.append(seed + i)
            if self.grid and batch > 1:
                images.insert(0, b64png(Image.new("RGB", (width * batch, height), (0, 0, 0))))
            info = {"seed": seed, "all_seeds": seeds, "infotexts": ["fake"] * batch}
            return web.json_response(
                {"images": images, "parameters": body, "info": json.dumps(info)}
            )
        finally:
            self._state = self._idle()

    # --- Serving (tests/providers/fakes/serving.py) ---------------------------------------

    async def on_start(self) -> None:
        self._lock = asyncio.Lock()

    def release(self) -> None:
        self.hold.clear()
        self.blocked.clear()


@contextlib.contextmanager
def running_fake_a1111() -> Iterator[FakeA1111]:
    """Start a ``FakeA1111`` on a free loopback port in a background thread."""
    with serving(FakeA1111(), "a1111") as fake:
        yield fake
