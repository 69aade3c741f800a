"""One ComfyUI prompt over the network, and the bridge to the worker's thread.

``ComfySession`` uploads the inputs (``POST /upload/image``), opens ``/ws?clientId=``
before ``POST /prompt``, follows the events (steps, previews, queue position, the end),
reads ``GET /history/{id}`` and fetches the saved image with ``GET /view``; without a
websocket (or when it drops) it polls ``/history/{id}``. On a cancel or the time limit it
deletes a pending prompt or interrupts a running one.

Threads: the session is async (httpx + websockets) and runs on a helper thread with its own
event loop (``drive``); it hands events to the caller's thread through a queue, and only
the caller's thread touches the ``ProgressReporter`` (which writes to the database,
something Django refuses to do from inside an event loop).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from PIL import Image
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from canvas.engines.base import (
    JobCancelled,
    PermanentEngineError,
    ProgressReporter,
    TransientEngineError,
    preview_of,
)
from canvas.engines.providers import http, imaging, resilience
from canvas.engines.providers.comfy_workflows import Workflow, WorkflowError
from canvas.engines.providers.comfyui.answers import (
    execution_error,
    finished_entry,
    first_output_image,
    interrupted_elsewhere,
    preview_frame,
    queue_ids,
    raise_for_status,
    rejected,
)
from canvas.engines.providers.comfyui.config import ComfyConfig

logger = logging.getLogger(__name__)


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
        try:
            async with http.async_client(
                self.config.url,
                read=self.config.request_timeout,
                connect=self.config.connect_timeout,
            ) as client:
                started = time.monotonic()
                events.step(0.0, "Uploading the region to ComfyUI")
                for slot, data in self.inputs.items():
                    self.values[slot] = await self.upload(client, data)
                try:
                    graph = self.workflow.fill(self.values)
                except WorkflowError as exc:
                    raise PermanentEngineError(str(exc), code="workflow_invalid") from None
                self._mark("upload", started)

                started = time.monotonic()
                ws = await self.open_websocket()
                try:
                    prompt_id = await self.submit(client, graph)
                    events.step(0.02, "Queued on ComfyUI")
                    entry = await self.follow(client, ws, prompt_id, events)
                finally:
                    if ws is not None:
                        await ws.close()
                self._mark("generate", started)

                started = time.monotonic()
                image = await self.fetch_result(client, entry)
                self._mark("download", started)
                return image, self.timings, prompt_id
        except httpx.HTTPError as exc:
            raise resilience.network_failure(
                exc,
                f"ComfyUI at {self.config.url}",
                waited=self.config.request_timeout,
                hint="; check that it is running",
            ) from None

    def _mark(self, phase: str, started: float) -> None:
        self.timings[phase] = round((time.monotonic() - started) * 1000, 1)

    # Steps ------------------------------------------------------------------------------

    async def upload(self, client: httpx.AsyncClient, data: bytes) -> str:
        # Named by content: a retry re-uploads to the same name (overwrite) and nothing
        # piles up in ComfyUI's input folder per attempt.
        name = f"anchorboard_{hashlib.sha256(data).hexdigest()[:24]}.png"
        response = await client.post(
            "/upload/image",
            files={"image": (name, data, "image/png")},
            data={"type": "input", "overwrite": "true"},
        )
        raise_for_status(response, "uploading an image")
        body = http.json_body(response)
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

    async def submit(self, client: httpx.AsyncClient, graph: dict[str, Any]) -> str:
        response = await client.post("/prompt", json={"prompt": graph, "client_id": self.client_id})
        if response.status_code == 400:
            raise rejected(self.workflow.name, http.json_body(response))
        raise_for_status(response, "submitting the workflow")
        body = http.json_body(response)
        prompt_id = body.get("prompt_id") if isinstance(body, dict) else None
        if not isinstance(prompt_id, str) or not prompt_id:
            raise PermanentEngineError(
                "ComfyUI accepted the workflow but returned no prompt id.",
                code="provider_bad_response",
            )
        return prompt_id

    async def follow(
        self,
        client: httpx.AsyncClient,
        ws: ClientConnection | None,
        prompt_id: str,
        events: Events,
    ) -> dict[str, Any]:
        """Wait for the prompt to end; returns its history entry."""
        while ws is not None:
            await self._stop_if_asked(client, prompt_id, events)
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=0.25)
            except TimeoutError:
                continue
            except ConnectionClosed:
                logger.warning("ComfyUI websocket closed during prompt %s; polling", prompt_id)
                events.step(0.05, "Lost the live connection to ComfyUI; checking for the result")
                break
            if isinstance(message, bytes):
                image = preview_frame(message)
                if image is not None:
                    events.preview(image)
                continue
            if self._handle(message, prompt_id, events):
                break
        return await self.poll_history(client, prompt_id, events)

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
            raise interrupted_elsewhere()
        elif kind == "execution_success" or (kind == "executing" and data.get("node") is None):
            return data.get("prompt_id") == prompt_id
        return False

    async def _stop_if_asked(
        self, client: httpx.AsyncClient, prompt_id: str, events: Events
    ) -> None:
        if events.cancel.is_set():
            await self.cancel(client, prompt_id)
            raise JobCancelled()
        if time.monotonic() > self.deadline:
            await self.cancel(client, prompt_id)
            raise TransientEngineError(
                f"ComfyUI did not finish within {self.config.time_limit:.0f} seconds; the "
                "server may be overloaded. The job will be retried.",
                code="provider_timeout",
            )

    async def poll_history(
        self, client: httpx.AsyncClient, prompt_id: str, events: Events
    ) -> dict[str, Any]:
        # Also used after a success event: ComfyUI writes the history entry just after it.
        while True:
            await self._stop_if_asked(client, prompt_id, events)
            response = await client.get(f"/history/{prompt_id}")
            raise_for_status(response, "reading the result")
            body = http.json_body(response)
            entry = body.get(prompt_id) if isinstance(body, dict) else None
            if entry is not None:
                return finished_entry(entry)
            waited = 0.0
            while waited < self.config.poll_interval and not events.cancel.is_set():
                await asyncio.sleep(0.05)
                waited += 0.05

    async def cancel(self, client: httpx.AsyncClient, prompt_id: str) -> None:
        """Take our prompt off the queue if it waits, interrupt it if it runs."""
        try:
            body = http.json_body(await client.get("/queue"))
            pending = queue_ids(body, "queue_pending")
            running = queue_ids(body, "queue_running")
            if prompt_id in pending:
                await client.post("/queue", json={"delete": [prompt_id]})
            elif prompt_id in running or body is None:
                # Older servers interrupt whatever runs, hence the queue check first.
                await client.post("/interrupt", json={"prompt_id": prompt_id})
        except httpx.HTTPError as exc:
            logger.warning("Could not stop ComfyUI prompt %s: %s", prompt_id, exc)

    async def fetch_result(self, client: httpx.AsyncClient, entry: dict[str, Any]) -> Image.Image:
        image_ref = first_output_image(entry, self.workflow)
        response = await client.get(
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
        raise_for_status(response, "downloading the result")
        try:
            return imaging.open_image(response.content)
        except imaging.UnreadableImage:
            raise PermanentEngineError(
                "ComfyUI returned a result that is not a readable image.",
                code="provider_bad_response",
            ) from None
