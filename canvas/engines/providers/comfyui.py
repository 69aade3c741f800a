"""The ComfyUI engine: fills a workflow template, runs it on a ComfyUI server, reads results.

Wire format (docs/providers.md "ComfyUI"): inputs go up with ``POST /upload/image``; the
filled graph goes to ``POST /prompt`` with our ``client_id``; progress, previews and the end
come over ``/ws?clientId=``; results come from ``GET /history/{id}`` and ``GET /view``. If
the websocket is unavailable or drops, the run falls back to polling ``/history/{id}``
until the prompt ends or the time limit passes.

Threads: the network session is async (httpx + websockets) and runs on a helper thread with
its own event loop; it hands events to the caller's thread through a queue, and only the
caller's thread touches the ``ProgressReporter`` (which writes to the database, something
Django refuses to do from inside an event loop).

Failures: unreachable server, 5xx, time limit, out of GPU memory and an interruption we did
not ask for are ``TransientEngineError`` (another attempt can succeed); a graph ComfyUI
rejects, a node that raises, or an answer without an image are ``PermanentEngineError``.

This module must not touch the database, storage or websocket groups.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import json
import logging
import os
import queue
import secrets
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from PIL import Image, UnidentifiedImageError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from canvas.engines.base import (
    ANCHOR_ROLES,
    Engine,
    EngineError,
    EngineRequest,
    EngineResult,
    JobCancelled,
    Mode,
    PermanentEngineError,
    ProgressReporter,
    TransientEngineError,
    UnsupportedRequest,
    output_size_of,
    preview_of,
)
from canvas.engines.providers import resilience
from canvas.engines.providers.comfy_workflows import Workflow, WorkflowError, load_workflows
from canvas.engines.providers.engine import ProviderCapabilities
from canvas.protocol.limits import SEED_LIMIT

logger = logging.getLogger(__name__)

PROVIDER = "comfyui"
ENGINE_NAME = "comfyui"
LABEL = "ComfyUI"
PREVIEW_IMAGE = 1
PREVIEW_IMAGE_WITH_METADATA = 4
OUT_OF_MEMORY_RETRY_SECONDS = 30.0


# --- Configuration --------------------------------------------------------------------------


def _setting(name: str, default: str = "") -> str:
    """Django setting, else the environment variable of the same name (settings win)."""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, "")
    if isinstance(value, list | tuple):
        value = ",".join(str(v) for v in value)
    return str(value).strip() or default


@dataclass(frozen=True)
class ComfyConfig:
    url: str
    workflows_dir: str = ""
    models: tuple[str, ...] = ()
    connect_timeout: float = 10.0
    request_timeout: float = 60.0  # one HTTP call (uploads, /view of a large image)
    time_limit: float = 1800.0  # one prompt from submit to result
    poll_interval: float = 1.0  # /history polling when the websocket is gone
    cancel_check_interval: float = 0.5
    max_count: int = 4
    concurrency: int = 1
    max_input_pixels: int = 4096 * 4096
    max_output_pixels: int = 4096 * 4096


def comfy_config() -> ComfyConfig | None:
    """The configuration, or None when no ComfyUI URL is set (the engine is not offered)."""
    url = _setting("ANCHORBOARD_COMFYUI_URL") or _setting("COMFYUI_URL")
    if not url:
        return None
    time_limit = float(
        _setting("ANCHORBOARD_COMFYUI_TIME_LIMIT")
        or _setting("ANCHORBOARD_JOB_TIME_LIMIT_SECONDS", "1800")
    )
    return ComfyConfig(
        url=url.rstrip("/"),
        workflows_dir=_setting("ANCHORBOARD_COMFYUI_WORKFLOWS_DIR")
        or _setting("COMFYUI_WORKFLOWS_DIR"),
        models=tuple(
            m.strip() for m in _setting("ANCHORBOARD_COMFYUI_MODELS").split(",") if m.strip()
        ),
        connect_timeout=float(_setting("ANCHORBOARD_COMFYUI_CONNECT_TIMEOUT", "10")),
        request_timeout=float(_setting("ANCHORBOARD_COMFYUI_TIMEOUT", "60")),
        time_limit=time_limit,
        poll_interval=float(_setting("ANCHORBOARD_COMFYUI_POLL_SECONDS", "1")),
        max_count=int(_setting("ANCHORBOARD_COMFYUI_MAX_COUNT", "4")),
        concurrency=int(_setting("ANCHORBOARD_COMFYUI_CONCURRENCY", "1")),
    )


def is_configured() -> bool:
    return comfy_config() is not None


def configured_engines() -> dict[str, Engine]:
    """``{"comfyui": engine}`` when ``ANCHORBOARD_COMFYUI_URL`` is set, else ``{}``."""
    config = comfy_config()
    return {ENGINE_NAME: ComfyEngine(config)} if config else {}


_WORKFLOW_CACHE: dict[tuple[Any, ...], tuple[dict[str, Workflow], list[str]]] = {}


def _workflows(user_dir: str) -> tuple[dict[str, Workflow], list[str]]:
    """Templates, re-read only when a file in the user folder changed.

    Engines are created per job and per capabilities listing; reading and logging the
    folder once per change keeps that cheap and the log quiet.
    """
    key: tuple[Any, ...] = (user_dir,)
    if user_dir and os.path.isdir(user_dir):
        key += tuple(
            sorted(
                (entry.name, entry.stat().st_mtime_ns, entry.stat().st_size)
                for entry in os.scandir(user_dir)
                if entry.name.endswith(".json")
            )
        )
    cached = _WORKFLOW_CACHE.get(key)
    if cached is None:
        cached = load_workflows(user_dir or None)
        for problem in cached[1]:
            logger.warning("ComfyUI workflow skipped: %s", problem)
        _WORKFLOW_CACHE.clear()
        _WORKFLOW_CACHE[key] = cached
    return cached


# --- The engine -----------------------------------------------------------------------------


class ComfyEngine(Engine):
    """ComfyUI behind the engine contract. Capabilities follow the templates present."""

    name = ENGINE_NAME
    provider = PROVIDER
    model = ""  # per job: the checkpoint, see model_for

    def __init__(self, config: ComfyConfig | None = None) -> None:
        self.config = config or comfy_config()
        self.workflows: dict[str, Workflow] = {}
        self.problems: list[str] = []
        if self.config is not None:
            self.workflows, self.problems = _workflows(self.config.workflows_dir)

    # What it can do ---------------------------------------------------------------------

    def capabilities(self) -> ProviderCapabilities:
        if self.config is None:
            return ProviderCapabilities(
                label=f"{LABEL} (not configured)", generative=True, modes=frozenset()
            )
        modes = frozenset(w.mode for w in self.workflows.values())
        references = max((w.anchor_slots for w in self.workflows.values()), default=0)
        return ProviderCapabilities(
            label=LABEL,
            generative=True,
            modes=modes,
            max_references=references,
            anchor_roles=frozenset(ANCHOR_ROLES) if references else frozenset(),
            supports_mask=Mode.INPAINT in modes,
            max_count=self.config.max_count,
            max_input_pixels=self.config.max_input_pixels,
            max_output_pixels=self.config.max_output_pixels,
            upscale_factors=(2, 3, 4) if Mode.UPSCALE in modes else (),
            max_concurrency=self.config.concurrency,
        )

    def workflow_for(self, request: EngineRequest) -> Workflow:
        """The template a request runs: ``params["workflow"]``, else the one named for its mode."""
        name = str(request.params.get("workflow") or request.mode.value)
        workflow = self.workflows.get(name)
        if workflow is None:
            known = ", ".join(sorted(self.workflows)) or "none"
            raise UnsupportedRequest(
                f"ComfyUI has no workflow called {name!r}. Available: {known}."
            )
        if workflow.mode != request.mode:
            raise UnsupportedRequest(
                f"The ComfyUI workflow {name!r} does {workflow.mode.value}, not "
                f"{request.mode.value}; pick a {request.mode.value} workflow."
            )
        return workflow

    def model_for(self, request: EngineRequest, workflow: Workflow) -> str | None:
        if "model" not in workflow.slots:
            return None
        assert self.config is not None
        wanted = request.params.get("model")
        if wanted:
            if wanted not in self.config.models:
                known = ", ".join(self.config.models) or "none configured"
                raise UnsupportedRequest(
                    f"ComfyUI model {wanted!r} is not offered here. Available: {known}."
                )
            return str(wanted)
        if not self.config.models:
            raise UnsupportedRequest(
                f"The ComfyUI workflow {workflow.name!r} needs a checkpoint, and none is "
                "configured. Ask an administrator to set ANCHORBOARD_COMFYUI_MODELS."
            )
        return self.config.models[0]

    def check(self, request: EngineRequest) -> None:
        super().check(request)
        workflow = self.workflow_for(request)
        for key, kind, words in (("steps", int, "a whole number"), ("cfg", float, "a number")):
            value = request.params.get(key)
            if value is None:
                continue
            try:
                kind(value)
            except (TypeError, ValueError):
                raise UnsupportedRequest(
                    f"The ComfyUI setting {key!r} must be {words}; it is {value!r}."
                ) from None
        if request.mode == Mode.UPSCALE and request.count > 1:
            raise UnsupportedRequest(
                "Upscaling gives the same image every time; ask for one result."
            )
        if "mask_image" in workflow.slots and (request.mask is None or request.mask_coverage == 0):
            raise UnsupportedRequest(
                f"The ComfyUI workflow {workflow.name!r} needs a mask: paint the area to change."
            )
        if len(request.anchors) > workflow.anchor_slots:
            if workflow.anchor_slots == 0:
                raise UnsupportedRequest(
                    f"The ComfyUI workflow {workflow.name!r} has no reference-image input, "
                    "so it cannot use anchors. Remove the anchors from the job, or pick a "
                    "workflow with anchor slots."
                )
            raise UnsupportedRequest(
                f"The ComfyUI workflow {workflow.name!r} takes at most "
                f"{workflow.anchor_slots} anchors; this job has {len(request.anchors)}."
            )
        self.model_for(request, workflow)

    # Running ----------------------------------------------------------------------------

    def run(self, request: EngineRequest, progress: ProgressReporter) -> list[EngineResult]:
        if self.config is None:
            raise PermanentEngineError(
                "ComfyUI is not configured on this server.", code="provider_not_configured"
            )
        try:
            self.check(request)
        except UnsupportedRequest as exc:
            raise PermanentEngineError(exc.message, code=exc.code) from None
        workflow = self.workflow_for(request)
        model = self.model_for(request, workflow)
        seed = request.seed if request.seed is not None else secrets.randbelow(SEED_LIMIT)
        out_size = output_size_of(request)
        assert out_size is not None and request.source is not None
        ignored = []
        if request.mask is not None and "mask_image" not in workflow.slots:
            ignored.append("mask")
        if request.prompt and "prompt" not in workflow.slots:
            ignored.append("prompt")

        results = []
        for index in range(request.count):
            if progress.cancelled():
                raise JobCancelled()
            item_seed = (seed + index) % SEED_LIMIT
            started = time.monotonic()
            session = ComfySession(
                self.config,
                workflow,
                _slot_values(request, workflow, item_seed, model, out_size),
                _inputs_of(request, workflow),
            )
            self.model = model or workflow.name  # recorded with the call
            call = functools.partial(_call, session, progress, self.config, index, request.count)
            outcome = resilience.recorded_call(self, progress, call)
            image = _finish(outcome.images[0], request, out_size)
            timings, prompt_id = outcome.metadata["timings"], outcome.metadata["prompt_id"]
            timings["total"] = round((time.monotonic() - started) * 1000, 1)
            results.append(
                EngineResult(
                    image=image,
                    seed=item_seed,
                    engine=ENGINE_NAME,
                    model=model or workflow.name,
                    timings=timings,
                    metadata={
                        "workflow": workflow.name,
                        "prompt_id": prompt_id,
                        "anchors": [a.role for a in request.anchors],
                        "ignored": ignored,
                    },
                )
            )
        if progress.cancelled():
            raise JobCancelled()
        progress.step(request.count * 100, request.count * 100, "Done")
        return results


def _call(
    session: ComfySession, progress: ProgressReporter, config: ComfyConfig, index: int, count: int
) -> resilience.CallResult:
    image, timings, prompt_id = drive(session.run, progress, config, index, count)
    return resilience.CallResult(
        images=[image], metadata={"timings": timings, "prompt_id": prompt_id}
    )


def _round8(value: int) -> int:
    # Stable Diffusion latents are 1/8 of the image; other sizes get cropped or padded.
    return max(8, round(value / 8) * 8)


def _slot_values(
    request: EngineRequest,
    workflow: Workflow,
    seed: int,
    model: str | None,
    out_size: tuple[int, int],
) -> dict[str, Any]:
    params = request.params
    values: dict[str, Any] = {
        "steps": 20,
        "cfg": 7.0,
        "sampler": "euler",
        "scheduler": "normal",
        **workflow.defaults,
    }
    for key in ("steps", "cfg", "sampler", "scheduler"):
        if params.get(key) is not None:
            values[key] = params[key]
    values.update(
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        seed=seed,
        denoise=float(request.strength),
        width=_round8(out_size[0]),
        height=_round8(out_size[1]),
        scale=float(request.scale),
        model=model,
        filename_prefix="anchorboard",
    )
    return values


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    # ComfyUI's LoadImage keeps RGB only (alpha becomes a mask nobody wired), so transparent
    # parts of the region are shown on white, as on the board.
    if image.mode != "RGBA":
        return image.convert("RGB")
    base = Image.new("RGB", image.size, (255, 255, 255))
    base.paste(image, mask=image.getchannel("A"))
    return base


def _inputs_of(request: EngineRequest, workflow: Workflow) -> dict[str, bytes]:
    """Slot → PNG bytes of each image the workflow takes."""
    assert request.source is not None
    inputs = {"source_image": _png(_flatten(request.source))}
    if "mask_image" in workflow.slots:
        if request.mask is None:
            raise PermanentEngineError(
                f"The ComfyUI workflow {workflow.name!r} needs a mask; draw one on the region.",
                code="unsupported_request",
            )
        inputs["mask_image"] = _png(request.mask)  # L: white = change, read as channel red
    for i, anchor in enumerate(request.anchors[: workflow.anchor_slots], start=1):
        inputs[f"anchor_{i}"] = _png(_flatten(anchor.image))
    return inputs


def _finish(image: Image.Image, request: EngineRequest, out_size: tuple[int, int]) -> Image.Image:
    image = image.convert("RGBA")
    if image.size != out_size:
        image = image.resize(out_size, Image.Resampling.LANCZOS)
    if request.mode == Mode.UPSCALE and request.source is not None:
        alpha = request.source.getchannel("A")
        if alpha.getextrema() != (255, 255):
            image.putalpha(alpha.resize(out_size, Image.Resampling.LANCZOS))
    return image


# --- Bridge between the worker thread and the async session ---------------------------------


class Events:
    """What the async session tells the caller's thread; safe to call from any thread."""

    def __init__(self) -> None:
        self.queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.cancel = threading.Event()

    def step(self, fraction: float, message: str) -> None:
        self.queue.put(("step", (fraction, message)))

    def preview(self, image: Image.Image) -> None:
        self.queue.put(("preview", image))


def drive(
    session: Callable[[Events], Any],
    progress: ProgressReporter,
    config: ComfyConfig,
    index: int = 0,
    count: int = 1,
) -> Any:
    """Run ``session(events)`` on a helper thread; relay its events to ``progress`` here.

    Polls ``progress.cancelled()`` at most every ``cancel_check_interval`` seconds; on a
    cancel the session is asked to stop (it interrupts the server) and ``JobCancelled`` is
    raised once it did, or after a short grace period.
    """
    events = Events()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(session(events))
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc
        finally:
            events.queue.put(("end", None))

    thread = threading.Thread(target=target, name="comfyui-session", daemon=True)
    thread.start()
    last_check = time.monotonic()
    try:
        while True:
            try:
                kind, payload = events.queue.get(timeout=config.cancel_check_interval / 2)
            except queue.Empty:
                kind, payload = "", None
            if kind == "end":
                break
            now = time.monotonic()
            if now - last_check >= config.cancel_check_interval:
                last_check = now
                if progress.cancelled():
                    raise JobCancelled()
            if kind == "step":
                fraction, message = payload
                done = index * 100 + int(100 * min(1.0, max(0.0, fraction)))
                if count > 1:
                    message = f"{message} (result {index + 1} of {count})"
                progress.step(done, count * 100, message)
            elif kind == "preview":
                progress.preview(preview_of(payload))
    except BaseException:
        # The reporter failed (e.g. the job's lease was lost) or we were cancelled: make
        # sure the prompt does not keep running on the server for nobody (the session
        # deletes or interrupts it; give it a moment to do so before we return).
        events.cancel.set()
        thread.join(timeout=10.0)
        raise
    thread.join()
    if "error" in box:
        error = box["error"]
        if isinstance(error, JobCancelled):
            raise JobCancelled()
        raise error
    return box["value"]


# --- The network session --------------------------------------------------------------------


class ComfySession:
    """One prompt on one ComfyUI server: upload, submit, follow, fetch. Async, no Django."""

    def __init__(
        self,
        config: ComfyConfig,
        workflow: Workflow,
        values: dict[str, Any],
        inputs: dict[str, bytes],
    ) -> None:
        self.config = config
        self.workflow = workflow
        self.values = dict(values)
        self.inputs = inputs
        self.client_id = uuid.uuid4().hex
        self.deadline = 0.0
        self.timings: dict[str, float] = {}

    async def run(self, events: Events) -> tuple[Image.Image, dict[str, float], str]:
        self.deadline = time.monotonic() + self.config.time_limit
        timeout = httpx.Timeout(self.config.request_timeout, connect=self.config.connect_timeout)
        try:
            async with httpx.AsyncClient(
                base_url=self.config.url, timeout=timeout, trust_env=False
            ) as http:
                started = time.monotonic()
                events.step(0.0, "Uploading the region to ComfyUI")
                for slot, data in self.inputs.items():
                    self.values[slot] = await self.upload(http, data)
                try:
                    graph = self.workflow.fill(self.values)
                except WorkflowError as exc:
                    raise PermanentEngineError(str(exc), code="workflow_invalid") from None
                self._mark("upload", started)

                started = time.monotonic()
                ws = await self.open_websocket()
                try:
                    prompt_id = await self.submit(http, graph)
                    events.step(0.02, "Queued on ComfyUI")
                    entry = await self.follow(http, ws, prompt_id, events)
                finally:
                    if ws is not None:
                        await ws.close()
                self._mark("generate", started)

                started = time.monotonic()
                image = await self.fetch_result(http, entry)
                self._mark("download", started)
                return image, self.timings, prompt_id
        except httpx.HTTPError as exc:
            raise _network_error(self.config.url, exc) from None

    def _mark(self, phase: str, started: float) -> None:
        self.timings[phase] = round((time.monotonic() - started) * 1000, 1)

    # Steps ------------------------------------------------------------------------------

    async def upload(self, http: httpx.AsyncClient, data: bytes) -> str:
        # Named by content: a retry re-uploads to the same name (overwrite) and nothing
        # piles up in ComfyUI's input folder per attempt.
        name = f"anchorboard_{hashlib.sha256(data).hexdigest()[:24]}.png"
        response = await http.post(
            "/upload/image",
            files={"image": (name, data, "image/png")},
            data={"type": "input", "overwrite": "true"},
        )
        _raise_for_status(response, "uploading an image")
        body = _json(response)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise PermanentEngineError(
                "ComfyUI accepted the upload but did not say where it stored it.",
                code="provider_bad_response",
            )
        subfolder = body.get("subfolder") or ""
        return f"{subfolder}/{body['name']}" if subfolder else body["name"]

    async def open_websocket(self) -> ClientConnection | None:
        url = self.config.url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        try:
            return await connect(
                f"{url}/ws?clientId={self.client_id}",
                open_timeout=self.config.connect_timeout,
                max_size=32 * 1024 * 1024,
            )
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            # Still usable without live progress: results come from /history polling.
            logger.warning("ComfyUI websocket unavailable (%s); polling history instead", exc)
            return None

    async def submit(self, http: httpx.AsyncClient, graph: dict[str, Any]) -> str:
        response = await http.post("/prompt", json={"prompt": graph, "client_id": self.client_id})
        if response.status_code == 400:
            raise _rejected(self.workflow.name, _json(response))
        _raise_for_status(response, "submitting the workflow")
        body = _json(response)
        prompt_id = body.get("prompt_id") if isinstance(body, dict) else None
        if not isinstance(prompt_id, str) or not prompt_id:
            raise PermanentEngineError(
                "ComfyUI accepted the workflow but returned no prompt id.",
                code="provider_bad_response",
            )
        return prompt_id

    async def follow(
        self,
        http: httpx.AsyncClient,
        ws: ClientConnection | None,
        prompt_id: str,
        events: Events,
    ) -> dict[str, Any]:
        """Wait for the prompt to end; returns its history entry."""
        while ws is not None:
            await self._stop_if_asked(http, prompt_id, events)
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=0.25)
            except TimeoutError:
                continue
            except ConnectionClosed:
                logger.warning("ComfyUI websocket closed during prompt %s; polling", prompt_id)
                events.step(0.05, "Lost the live connection to ComfyUI; checking for the result")
                break
            if isinstance(message, bytes):
                image = _preview_frame(message)
                if image is not None:
                    events.preview(image)
                continue
            if self._handle(message, prompt_id, events):
                break
        return await self.poll_history(http, prompt_id, events)

    def _handle(self, text: str, prompt_id: str, events: Events) -> bool:
        """Act on one JSON event; True when the prompt has finished successfully."""
        try:
            message = json.loads(text)
        except ValueError:
            return False
        if not isinstance(message, dict) or not isinstance(message.get("data"), dict):
            return False
        kind, data = message.get("type"), message["data"]
        # Execution events go to our socket only, but be lenient: skip other prompts' events.
        if data.get("prompt_id") not in (None, prompt_id):
            return False
        if kind == "status":
            remaining = (data.get("status") or {}).get("exec_info", {}).get("queue_remaining")
            if isinstance(remaining, int) and remaining > 1:
                events.step(0.02, f"Waiting in the ComfyUI queue ({remaining - 1} ahead)")
        elif kind == "execution_start":
            events.step(0.05, "ComfyUI started the workflow")
        elif kind == "progress":
            value, maximum = data.get("value"), data.get("max")
            if isinstance(value, int | float) and isinstance(maximum, int | float) and maximum > 0:
                events.step(0.05 + 0.9 * value / maximum, f"Step {int(value)} of {int(maximum)}")
        elif kind == "execution_error":
            raise execution_error(data)
        elif kind == "execution_interrupted":
            raise _interrupted_elsewhere()
        elif kind == "execution_success" or (kind == "executing" and data.get("node") is None):
            return data.get("prompt_id") == prompt_id
        return False

    async def _stop_if_asked(self, http: httpx.AsyncClient, prompt_id: str, events: Events) -> None:
        if events.cancel.is_set():
            await self.cancel(http, prompt_id)
            raise JobCancelled()
        if time.monotonic() > self.deadline:
            await self.cancel(http, prompt_id)
            raise TransientEngineError(
                f"ComfyUI did not finish within {self.config.time_limit:.0f} seconds; the "
                "server may be overloaded. The job will be retried.",
                code="provider_timeout",
            )

    async def poll_history(
        self, http: httpx.AsyncClient, prompt_id: str, events: Events
    ) -> dict[str, Any]:
        # Also used after a success event: ComfyUI writes the history entry just after it.
        while True:
            await self._stop_if_asked(http, prompt_id, events)
            response = await http.get(f"/history/{prompt_id}")
            _raise_for_status(response, "reading the result")
            body = _json(response)
            entry = body.get(prompt_id) if isinstance(body, dict) else None
            if entry is not None:
                return _finished_entry(entry)
            waited = 0.0
            while waited < self.config.poll_interval and not events.cancel.is_set():
                await asyncio.sleep(0.05)
                waited += 0.05

    async def cancel(self, http: httpx.AsyncClient, prompt_id: str) -> None:
        """Take our prompt off the queue if it waits, interrupt it if it runs."""
        try:
            body = _json(await http.get("/queue"))
            pending = _queue_ids(body, "queue_pending")
            running = _queue_ids(body, "queue_running")
            if prompt_id in pending:
                await http.post("/queue", json={"delete": [prompt_id]})
            elif prompt_id in running or body is None:
                # Older servers interrupt whatever runs, hence the queue check first.
                await http.post("/interrupt", json={"prompt_id": prompt_id})
        except httpx.HTTPError as exc:
            logger.warning("Could not stop ComfyUI prompt %s: %s", prompt_id, exc)

    async def fetch_result(self, http: httpx.AsyncClient, entry: dict[str, Any]) -> Image.Image:
        image_ref = _first_output_image(entry, self.workflow)
        response = await http.get(
            "/view",
            params={
                "filename": image_ref["filename"],
                "subfolder": image_ref.get("subfolder", ""),
                "type": image_ref.get("type", "output"),
            },
        )
        if response.status_code == 404:
            raise PermanentEngineError(
                f"ComfyUI listed the result {image_ref['filename']!r} but cannot serve it.",
                code="provider_bad_response",
            )
        _raise_for_status(response, "downloading the result")
        try:
            image = Image.open(io.BytesIO(response.content))
            image.load()
        except (UnidentifiedImageError, OSError):
            raise PermanentEngineError(
                "ComfyUI returned a result that is not a readable image.",
                code="provider_bad_response",
            ) from None
        return image


# --- Reading ComfyUI's answers --------------------------------------------------------------


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _raise_for_status(response: httpx.Response, doing: str) -> None:
    if response.status_code < 400:
        return
    if response.status_code >= 500 or response.status_code == 429:
        raise resilience.transient(
            f"ComfyUI had a server error ({response.status_code}) while {doing}; the job "
            "will be retried.",
            code="provider_unavailable",
            http_status=response.status_code,
        )
    raise resilience.permanent(
        f"ComfyUI refused a request ({response.status_code}) while {doing}: {response.text[:200]}",
        code="provider_rejected",
        http_status=response.status_code,
    )


def _network_error(url: str, exc: httpx.HTTPError) -> EngineError:
    if isinstance(exc, httpx.TimeoutException):
        return TransientEngineError(
            f"ComfyUI at {url} did not answer in time; the job will be retried.",
            code="provider_timeout",
        )
    return TransientEngineError(
        f"ComfyUI at {url} cannot be reached ({type(exc).__name__}); check that it is "
        "running. The job will be retried.",
        code="provider_unreachable",
    )


def _rejected(workflow: str, body: Any) -> PermanentEngineError:
    """400 from /prompt: say which node and input ComfyUI complained about."""
    details: list[str] = []
    if isinstance(body, dict):
        node_errors = body.get("node_errors")
        if isinstance(node_errors, dict):
            for node_id, info in node_errors.items():
                if not isinstance(info, dict):
                    continue
                for error in info.get("errors") or []:
                    if isinstance(error, dict):
                        text = error.get("details") or error.get("message") or "invalid"
                        details.append(f"node {node_id} ({info.get('class_type', '?')}): {text}")
        error = body.get("error")
        if not details:
            if isinstance(error, dict):
                details.append(str(error.get("message") or error.get("type") or "invalid"))
            elif error:
                details.append(str(error))
    summary = "; ".join(details[:3]) or "no reason given"
    return resilience.permanent(
        f"ComfyUI rejected the {workflow!r} workflow: {summary}. Check the workflow and the "
        "models installed on the ComfyUI server.",
        code="workflow_rejected",
        http_status=400,
    )


def execution_error(data: dict[str, Any]) -> EngineError:
    """An ``execution_error`` event (or history message) as the contract's error.

    Out of GPU memory is transient: memory is freed when other prompts finish, and the
    queue's attempt limit stops a job that can never fit. Anything else a node raises is
    permanent (a missing model, a bad input, a bug in a custom node).
    """
    node = f"node {data.get('node_id', '?')} ({data.get('node_type', '?')})"
    kind = str(data.get("exception_type") or "")
    text = str(data.get("exception_message") or "").strip()
    if "OutOfMemory" in kind or "out of memory" in text.lower():
        return TransientEngineError(
            f"The ComfyUI server ran out of GPU memory in {node}. The job will be retried; "
            "if it keeps failing, select a smaller region or a smaller output size.",
            code="provider_out_of_memory",
            retry_after=OUT_OF_MEMORY_RETRY_SECONDS,
        )
    first_line = text.splitlines()[0] if text else kind or "an unknown error"
    return PermanentEngineError(
        f"ComfyUI failed in {node}: {first_line}. Check the workflow and its models on the "
        "ComfyUI server.",
        code="provider_failed",
    )


def _interrupted_elsewhere() -> TransientEngineError:
    return TransientEngineError(
        "The run was stopped on the ComfyUI server (not from Anchorboard); the job will be "
        "retried.",
        code="provider_interrupted",
    )


def _finished_entry(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise PermanentEngineError(
            "ComfyUI returned an unreadable history entry.", code="provider_bad_response"
        )
    status: dict[str, Any] = entry["status"] if isinstance(entry.get("status"), dict) else {}
    messages: list[Any] = status["messages"] if isinstance(status.get("messages"), list) else []
    for item in messages:
        if isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[1], dict):
            if item[0] == "execution_error":
                raise execution_error(item[1])
            if item[0] == "execution_interrupted":
                raise _interrupted_elsewhere()
    if status.get("status_str") == "error":
        raise PermanentEngineError("ComfyUI reported the run as failed.", code="provider_failed")
    return entry


def _first_output_image(entry: dict[str, Any], workflow: Workflow) -> dict[str, Any]:
    outputs = entry.get("outputs")
    save_nodes = [k for k, n in workflow.graph.items() if n.get("class_type") == "SaveImage"]
    if isinstance(outputs, dict):
        for node_id in [*save_nodes, *outputs]:
            node_output = outputs.get(node_id)
            images = node_output.get("images") if isinstance(node_output, dict) else None
            for image in images if isinstance(images, list) else []:
                if (
                    isinstance(image, dict)
                    and isinstance(image.get("filename"), str)
                    and image.get("type", "output") == "output"
                ):
                    return image
    raise PermanentEngineError(
        f"ComfyUI finished the {workflow.name!r} workflow but listed no saved image. The "
        "workflow must end in a SaveImage node.",
        code="provider_bad_response",
    )


def _queue_ids(body: Any, key: str) -> set[str]:
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        return set()
    return {item[1] for item in body[key] if isinstance(item, list) and len(item) > 1}


def _preview_frame(frame: bytes) -> Image.Image | None:
    """A binary websocket frame: 4-byte event type, then (type 1) 4-byte format + image."""
    if len(frame) < 8:
        return None
    (event,) = struct.unpack(">I", frame[:4])
    if event == PREVIEW_IMAGE:
        data = frame[8:]
    elif event == PREVIEW_IMAGE_WITH_METADATA:
        (length,) = struct.unpack(">I", frame[4:8])
        data = frame[8 + length :]
    else:
        return None
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError):
        return None
    return image


def ping(config: ComfyConfig) -> dict[str, Any]:
    """``GET /system_stats``: the cheap "is it up" call of the providers page."""
    started = time.monotonic()
    try:
        response = httpx.get(
            f"{config.url}/system_stats",
            timeout=httpx.Timeout(config.connect_timeout),
            trust_env=False,
        )
    except httpx.HTTPError as exc:
        return {"ok": False, "message": f"Cannot reach {config.url} ({type(exc).__name__})."}
    elapsed = round((time.monotonic() - started) * 1000, 1)
    if response.status_code != 200:
        return {"ok": False, "message": f"{config.url} answered {response.status_code}."}
    body = _json(response) or {}
    system = body.get("system", {}) if isinstance(body, dict) else {}
    devices = body.get("devices", []) if isinstance(body, dict) else []
    device = devices[0].get("name", "") if devices and isinstance(devices[0], dict) else ""
    version = system.get("comfyui_version", "") if isinstance(system, dict) else ""
    detail = ", ".join(p for p in (f"ComfyUI {version}" if version else "", device) if p)
    return {"ok": True, "message": detail or "Reachable.", "latency_ms": elapsed}
