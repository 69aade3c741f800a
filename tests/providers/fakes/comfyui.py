"""A fake ComfyUI server speaking the real wire format, for tests (no model weights).

HTTP routes (``/upload/image``, ``/prompt``, ``/queue``, ``/interrupt``, ``/history/{id}``,
``/view``, ``/system_stats``) and the ``/ws?clientId=`` websocket with JSON events and binary
preview frames, served by aiohttp (which ComfyUI itself uses) on a free loopback port.

``POST /prompt`` validates the graph the way ComfyUI does (known ``class_type``, required
inputs, links to existing nodes with the right output type, values in lists and ranges,
uploaded images that exist) and answers 400 with ``error`` + ``node_errors`` otherwise.
Accepted prompts run one at a time in a tiny evaluator: images really flow through the
graph (KSampler tints the latent image by seed, only inside a noise mask), so tests can
check which input went where.

Scriptable through attributes (set them before the run): ``failure`` ("error", "oom",
"interrupt", "drop_ws", "malformed_history"), ``steps``, ``step_delay``, ``hold`` (keep
running until released or interrupted), ``paused`` (keep prompts pending),
``websocket_enabled``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import struct
import threading
import uuid
from collections.abc import Iterator
from typing import Any

from aiohttp import WSMsgType, web
from PIL import Image, ImageChops

from tests.providers.fakes.serving import serving

MODELS = ["sd15.safetensors", "sdxl.safetensors"]
SAMPLERS = ["euler", "euler_ancestral", "dpmpp_2m"]
SCHEDULERS = ["normal", "karras"]
METHODS = ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]

# class_type → (inputs: name → spec, output types). spec: a type name for links, a list of
# allowed values, ("INT"|"FLOAT", min, max), "STRING", or "UPLOAD" (an uploaded file name).
NODES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "CheckpointLoaderSimple": ({"ckpt_name": MODELS}, ["MODEL", "CLIP", "VAE"]),
    "LoadImage": ({"image": "UPLOAD"}, ["IMAGE", "MASK"]),
    "LoadImageMask": ({"image": "UPLOAD", "channel": ["alpha", "red", "green", "blue"]}, ["MASK"]),
    "ImageScale": (
        {
            "image": "IMAGE",
            "upscale_method": METHODS,
            "width": ("INT", 0, 16384),
            "height": ("INT", 0, 16384),
            "crop": ["disabled", "center"],
        },
        ["IMAGE"],
    ),
    "ImageScaleBy": (
        {"image": "IMAGE", "upscale_method": METHODS, "scale_by": ("FLOAT", 0.01, 8.0)},
        ["IMAGE"],
    ),
    "ImageBlend": (
        {
            "image1": "IMAGE",
            "image2": "IMAGE",
            "blend_factor": ("FLOAT", 0.0, 1.0),
            "blend_mode": ["normal", "multiply", "screen"],
        },
        ["IMAGE"],
    ),
    "VAEEncode": ({"pixels": "IMAGE", "vae": "VAE"}, ["LATENT"]),
    "SetLatentNoiseMask": ({"samples": "LATENT", "mask": "MASK"}, ["LATENT"]),
    "CLIPTextEncode": ({"text": "STRING", "clip": "CLIP"}, ["CONDITIONING"]),
    "KSampler": (
        {
            "model": "MODEL",
            "positive": "CONDITIONING",
            "negative": "CONDITIONING",
            "latent_image": "LATENT",
            "seed": ("INT", 0, 2**64 - 1),
            "steps": ("INT", 1, 10000),
            "cfg": ("FLOAT", 0.0, 100.0),
            "sampler_name": SAMPLERS,
            "scheduler": SCHEDULERS,
            "denoise": ("FLOAT", 0.0, 1.0),
        },
        ["LATENT"],
    ),
    "VAEDecode": ({"samples": "LATENT", "vae": "VAE"}, ["IMAGE"]),
    "SaveImage": ({"images": "IMAGE", "filename_prefix": "STRING"}, []),
}
OOM_MESSAGE = "Allocation on device 0 would exceed allowed memory. (out of memory)"
LINK_TYPES = {"IMAGE", "MASK", "MODEL", "CLIP", "VAE", "LATENT", "CONDITIONING"}


def seed_colour(seed: int) -> tuple[int, int, int]:
    """The colour the fake KSampler paints with for ``seed`` (tests compute it too)."""
    return (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)


def _error(kind: str, message: str, details: str = "") -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": {}}


class FakeComfy:
    def __init__(self) -> None:
        self.uploads: dict[str, bytes] = {}
        self.outputs: dict[str, bytes] = {}
        self.prompts: list[dict[str, Any]] = []  # bodies of accepted POST /prompt
        self.prompt_ids: list[str] = []  # their ids, in the same order
        self.rejected: list[dict[str, Any]] = []
        self.history: dict[str, dict[str, Any]] = {}
        self.interrupts: list[Any] = []
        self.queue_deletes: list[str] = []
        self.ws_connections = 0
        self.ws_dropped = 0
        # scripting
        self.failure = ""
        self.steps = 3
        self.step_delay = 0.0
        self.previews = True
        self.websocket_enabled = True
        self.hold = threading.Event()  # set = hold the running prompt
        self.paused = threading.Event()  # set = prompts stay pending
        self.started = threading.Event()  # set when a prompt starts running
        # internals
        self._sockets: dict[str, list[web.WebSocketResponse]] = {}
        self._pending: list[str] = []
        self._running: str | None = None
        self._interrupt = False
        self._counter = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.url = ""

    # --- HTTP routes ----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.add_routes(
            [
                web.post("/upload/image", self.upload),
                web.post("/prompt", self.prompt),
                web.get("/queue", self.get_queue),
                web.post("/queue", self.post_queue),
                web.post("/interrupt", self.interrupt),
                web.get("/history/{prompt_id}", self.get_history),
                web.get("/view", self.view),
                web.get("/system_stats", self.system_stats),
                web.get("/ws", self.websocket),
            ]
        )
        return app

    async def upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        field = form.get("image")
        if not isinstance(field, web.FileField):
            return web.Response(status=400)
        name = field.filename
        data = field.file.read()
        overwrite = str(form.get("overwrite", "")).lower() in {"true", "1"}
        if name in self.uploads and not overwrite and self.uploads[name] != data:
            stem, _, ext = name.rpartition(".")
            name = f"{stem} (1).{ext}"
        self.uploads[name] = data
        return web.json_response(
            {"name": name, "subfolder": str(form.get("subfolder", "")), "type": "input"}
        )

    async def prompt(self, request: web.Request) -> web.Response:
        body = await request.json()
        if "prompt" not in body:
            return web.json_response({"error": "no prompt", "node_errors": []}, status=400)
        error, node_errors = self.validate(body["prompt"])
        if error:
            self.rejected.append(body)
            return web.json_response({"error": error, "node_errors": node_errors}, status=400)
        self.prompts.append(body)
        prompt_id = str(uuid.uuid4())
        self.prompt_ids.append(prompt_id)
        self._counter += 1
        self._pending.append(prompt_id)
        assert self._loop is not None
        task = self._loop.create_task(
            self.execute(prompt_id, body["prompt"], body.get("client_id"))
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response(
            {"prompt_id": prompt_id, "number": self._counter, "node_errors": {}}
        )

    async def get_queue(self, request: web.Request) -> web.Response:
        def rows(ids: list[str]) -> list[list[Any]]:
            return [[i, pid, {}, {}, []] for i, pid in enumerate(ids)]

        running = [self._running] if self._running else []
        return web.json_response(
            {"queue_running": rows(running), "queue_pending": rows(self._pending)}
        )

    async def post_queue(self, request: web.Request) -> web.Response:
        body = await request.json()
        for prompt_id in body.get("delete", []):
            self.queue_deletes.append(prompt_id)
            if prompt_id in self._pending:
                self._pending.remove(prompt_id)
        return web.Response(status=200)

    async def interrupt(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.interrupts.append(json.loads(raw) if raw else None)
        self._interrupt = True
        return web.Response(status=200)

    async def get_history(self, request: web.Request) -> web.Response:
        prompt_id = request.match_info["prompt_id"]
        entry = self.history.get(prompt_id)
        return web.json_response({prompt_id: entry} if entry is not None else {})

    async def view(self, request: web.Request) -> web.Response:
        name = request.query.get("filename", "")
        if request.query.get("type", "output") != "output" or name not in self.outputs:
            return web.Response(status=404)
        return web.Response(
            body=self.outputs[name],
            content_type="image/png",
            headers={"Content-Disposition": f'filename="{name}"'},
        )

    async def system_stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "system": {"os": "posix", "comfyui_version": "0.3.99-fake"},
                "devices": [{"name": "cpu", "type": "cpu", "vram_total": 0}],
            }
        )

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        if not self.websocket_enabled:
            return web.Response(status=404)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        client_id = request.query.get("clientId", "")
        self.ws_connections += 1
        self._sockets.setdefault(client_id, []).append(ws)
        await ws.send_json(
            {
                "type": "status",
                "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": client_id},
            }
        )
        async for message in ws:
            if message.type == WSMsgType.ERROR:
                break
        with contextlib.suppress(ValueError):
            self._sockets.get(client_id, []).remove(ws)
        return ws

    # --- Validation, like ComfyUI's validate_prompt --------------------------------------

    def validate(self, graph: Any) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        if not isinstance(graph, dict):
            return _error("invalid_prompt", "Invalid prompt"), {}
        for node_id, node in graph.items():
            if not isinstance(node, dict) or "class_type" not in node:
                return _error("invalid_prompt", f"Node {node_id} has no class_type"), {}
            if node["class_type"] not in NODES:
                return (
                    _error(
                        "invalid_prompt",
                        f"Cannot execute because node {node['class_type']} does not exist.",
                        f"Node ID '#{node_id}'",
                    ),
                    {},
                )
        outputs = [k for k, n in graph.items() if n["class_type"] == "SaveImage"]
        if not outputs:
            return _error("prompt_no_outputs", "Prompt has no outputs"), {}
        node_errors: dict[str, Any] = {}
        for node_id, node in graph.items():
            errors = self._node_errors(graph, node)
            if errors:
                node_errors[node_id] = {
                    "errors": errors,
                    "dependent_outputs": outputs,
                    "class_type": node["class_type"],
                }
        if node_errors:
            return _error(
                "prompt_outputs_failed_validation", "Prompt outputs failed validation"
            ), node_errors
        return None, {}

    def _node_errors(self, graph: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
        spec, _ = NODES[node["class_type"]]
        inputs = node.get("inputs") or {}
        errors = []
        for name, want in spec.items():
            if name not in inputs:
                errors.append(_error("required_input_missing", "Required input is missing", name))
                continue
            value = inputs[name]
            if isinstance(want, str) and want in LINK_TYPES:
                if not (isinstance(value, list) and len(value) == 2 and value[0] in graph):
                    errors.append(
                        _error("bad_linked_input", "Bad linked input", f"{name}: {value!r}")
                    )
                    continue
                source = graph[value[0]]
                produced = NODES[source["class_type"]][1]
                if (
                    not isinstance(value[1], int)
                    or value[1] >= len(produced)
                    or produced[value[1]] != want
                ):
                    errors.append(
                        _error(
                            "return_type_mismatch",
                            "Return type mismatch between linked nodes",
                            f"{name}",
                        )
                    )
            elif want == "UPLOAD":
                if not isinstance(value, str) or value not in self.uploads:
                    errors.append(
                        _error(
                            "custom_validation_failed",
                            "Custom validation failed for node",
                            f"{name} - Invalid image file: {value}",
                        )
                    )
            elif want == "STRING":
                if not isinstance(value, str):
                    errors.append(
                        _error(
                            "invalid_input_type",
                            "Failed to convert an input value to a STRING value",
                            name,
                        )
                    )
            elif isinstance(want, list):
                if value not in want:
                    errors.append(
                        _error(
                            "value_not_in_list",
                            "Value not in list",
                            f"{name}: '{value}' not in {want}",
                        )
                    )
            elif isinstance(want, tuple):
                kind, low, high = want
                ok_type = (
                    isinstance(value, int) if kind == "INT" else isinstance(value, int | float)
                )
                if not ok_type or isinstance(value, bool):
                    errors.append(
                        _error(
                            "invalid_input_type",
                            f"Failed to convert an input value to a {kind} value",
                            f"{name}, {value!r}",
                        )
                    )
                elif value < low:
                    errors.append(
                        _error(
                            "value_smaller_than_min",
                            f"Value {value} smaller than min of {low}",
                            name,
                        )
                    )
                elif value > high:
                    errors.append(
                        _error(
                            "value_bigger_than_max",
                            f"Value {value} bigger than max of {high}",
                            name,
                        )
                    )
        return errors

    # --- Execution ------------------------------------------------------------------------

    async def _send(self, client_id: str | None, message: dict[str, Any] | bytes) -> None:
        for ws in list(self._sockets.get(client_id or "", [])):
            with contextlib.suppress(ConnectionError, RuntimeError):
                if isinstance(message, bytes):
                    await ws.send_bytes(message)
                else:
                    await ws.send_json(message)

    async def _drop(self, client_id: str | None) -> None:
        for ws in list(self._sockets.get(client_id or "", [])):
            self.ws_dropped += 1
            await ws.close()

    def _finish(
        self,
        prompt_id: str,
        graph: dict[str, Any],
        client_id: str | None,
        status: str,
        messages: list,
        outputs: dict,
    ) -> None:
        self.history[prompt_id] = {
            "prompt": [self._counter, prompt_id, graph, {"client_id": client_id}, []],
            "outputs": outputs,
            "status": {
                "status_str": status,
                "completed": status == "success",
                "messages": messages,
            },
            "meta": {},
        }

    async def execute(self, prompt_id: str, graph: dict[str, Any], client_id: str | None) -> None:
        async with self._lock:
            while self.paused.is_set() and prompt_id in self._pending:
                await asyncio.sleep(0.01)
            if prompt_id not in self._pending:
                return  # deleted from the queue
            self._pending.remove(prompt_id)
            self._running = prompt_id
            self._interrupt = False
            try:
                await self._execute(prompt_id, graph, client_id)
            finally:
                self._running = None

    async def _execute(self, prompt_id: str, graph: dict[str, Any], client_id: str | None) -> None:
        messages: list[list[Any]] = []

        async def event(kind: str, data: dict[str, Any], record: bool = False) -> None:
            data = {**data, "prompt_id": prompt_id, "timestamp": 1}
            if record:
                messages.append([kind, data])
            await self._send(client_id, {"type": kind, "data": data})

        self.started.set()
        await event("execution_start", {}, record=True)
        await event("execution_cached", {"nodes": []}, record=True)
        sampler = next((k for k, n in graph.items() if n["class_type"] == "KSampler"), None)
        await event("executing", {"node": sampler, "display_node": sampler})
        for step in range(1, self.steps + 1):
            while self.hold.is_set() and not self._interrupt:
                await asyncio.sleep(0.01)
            if self._interrupt:
                await event(
                    "execution_interrupted",
                    {"node_id": sampler, "node_type": "KSampler", "executed": []},
                    record=True,
                )
                self._finish(prompt_id, graph, client_id, "error", messages, {})
                return
            await event("progress", {"value": step, "max": self.steps, "node": sampler})
            if self.previews:
                buffer = io.BytesIO()
                Image.new("RGB", (16, 16), seed_colour(step)).save(buffer, "JPEG")
                await self._send(client_id, struct.pack(">II", 1, 1) + buffer.getvalue())
            if self.failure == "drop_ws" and step == 1:
                await self._drop(client_id)
            if self.step_delay:
                await asyncio.sleep(self.step_delay)
        if self.failure in {"error", "oom"}:
            oom = self.failure == "oom"
            await event(
                "execution_error",
                {
                    "node_id": sampler,
                    "node_type": "KSampler",
                    "executed": [],
                    "exception_message": OOM_MESSAGE
                    if oom
                    else "Expected all tensors to be on the same device\nTraceback line",
                    "exception_type": "torch.OutOfMemoryError" if oom else "RuntimeError",
                    "traceback": ["..."],
                    "current_inputs": {},
                    "current_outputs": [],
                },
                record=True,
            )
            self._finish(prompt_id, graph, client_id, "error", messages, {})
            return
        if self.failure == "interrupt":
            await event(
                "execution_interrupted",
                {"node_id": sampler, "node_type": "KSampler", "executed": []},
                record=True,
            )
            self._finish(prompt_id, graph, client_id, "error", messages, {})
            return
        outputs = self.evaluate(graph)
        for node_id, output in outputs.items():
            await event("executed", {"node": node_id, "display_node": node_id, "output": output})
        await event("execution_success", {}, record=True)
        await asyncio.sleep(0.02)  # ComfyUI stores the history entry after the success event
        if self.failure == "malformed_history":
            outputs = {"9": {"images": "not-a-list"}}
        self._finish(prompt_id, graph, client_id, "success", messages, outputs)
        await event("executing", {"node": None, "display_node": None})

    def evaluate(self, graph: dict[str, Any]) -> dict[str, Any]:
        """Run the graph on PIL images; returns ComfyUI-style outputs of SaveImage nodes."""
        cache: dict[str, tuple[Any, ...]] = {}

        def value(v: Any) -> Any:
            if isinstance(v, list) and len(v) == 2 and isinstance(v[0], str):
                return compute(v[0])[v[1]]
            return v

        def compute(node_id: str) -> tuple[Any, ...]:
            if node_id in cache:
                return cache[node_id]
            node = graph[node_id]
            kind = node["class_type"]
            i = {k: value(v) for k, v in node["inputs"].items()}
            out: tuple[Any, ...]
            if kind == "CheckpointLoaderSimple":
                out = ("model", "clip", "vae")
            elif kind == "LoadImage":
                image = Image.open(io.BytesIO(self.uploads[i["image"]]))
                out = (image.convert("RGB"), None)
            elif kind == "LoadImageMask":
                image = Image.open(io.BytesIO(self.uploads[i["image"]])).convert("RGBA")
                channel = {"alpha": "A", "red": "R", "green": "G", "blue": "B"}[i["channel"]]
                mask = image.getchannel(channel)
                out = (ImageChops.invert(mask) if channel == "A" else mask,)
            elif kind == "ImageScale":
                out = (i["image"].resize((i["width"], i["height"]), Image.Resampling.LANCZOS),)
            elif kind == "ImageScaleBy":
                w, h = i["image"].size
                size = (round(w * i["scale_by"]), round(h * i["scale_by"]))
                out = (i["image"].resize(size, Image.Resampling.LANCZOS),)
            elif kind == "ImageBlend":
                second = i["image2"].resize(i["image1"].size)
                out = (Image.blend(i["image1"], second, i["blend_factor"]),)
            elif kind == "VAEEncode":
                out = ({"image": i["pixels"], "mask": None},)
            elif kind == "SetLatentNoiseMask":
                out = ({**i["samples"], "mask": i["mask"]},)
            elif kind == "CLIPTextEncode":
                out = (i["text"],)
            elif kind == "KSampler":
                latent = i["latent_image"]
                base = latent["image"]
                paint = Image.new("RGB", base.size, seed_colour(i["seed"]))
                painted = Image.blend(base, paint, i["denoise"])
                mask = latent["mask"]
                if mask is not None:
                    painted = Image.composite(painted, base, mask.resize(base.size))
                out = ({"image": painted, "mask": mask},)
            elif kind == "VAEDecode":
                out = (i["samples"]["image"],)
            elif kind == "SaveImage":
                self._counter += 1
                name = f"{i['filename_prefix']}_{self._counter:05d}_.png"
                buffer = io.BytesIO()
                i["images"].save(buffer, "PNG")
                self.outputs[name] = buffer.getvalue()
                out = ({"images": [{"filename": name, "subfolder": "", "type": "output"}]},)
            else:  # pragma: no cover - validate() refuses unknown nodes
                raise AssertionError(kind)
            cache[node_id] = out
            return out

        return {k: compute(k)[0] for k, n in graph.items() if n["class_type"] == "SaveImage"}

    # --- Serving (tests/providers/fakes/serving.py) ---------------------------------------

    async def on_start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._lock = asyncio.Lock()

    async def on_stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for sockets in list(self._sockets.values()):
            for ws in list(sockets):
                await ws.close()

    def release(self) -> None:
        self.hold.clear()
        self.paused.clear()


@contextlib.contextmanager
def running_fake_comfy() -> Iterator[FakeComfy]:
    """Start a ``FakeComfy`` on a free loopback port in a background thread."""
    with serving(FakeComfy(), "comfyui") as fake:
        yield fake
