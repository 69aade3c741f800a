"""The AUTOMATIC1111 / Forge engine: ``/sdapi/v1/img2img`` with progress polling.

Wire format (docs/providers.md "AUTOMATIC1111 / Forge"): one blocking ``POST
/sdapi/v1/img2img`` (base64 PNG ``init_images``, ``mask`` white = change, ``batch_size`` =
results, which A1111 seeds ``seed``, ``seed + 1``, … exactly as the engine contract asks)
runs on a helper thread while the caller's thread polls ``GET /sdapi/v1/progress`` for
progress and the live preview, watches ``progress.cancelled()`` and sends ``POST
/sdapi/v1/interrupt``. Upscaling uses ``POST /sdapi/v1/extra-single-image``.

Anchors: A1111 has no reference-image input without extensions (ControlNet, IP-Adapter),
so jobs with anchors are refused in ``check`` rather than silently ignoring them.

Failures: unreachable server, dropped connection, timeouts, 5xx and out of GPU memory are
``TransientEngineError``; 401/404/422 (bad credentials, unknown sampler, invalid fields)
are ``PermanentEngineError``. Only the caller's thread touches the ``ProgressReporter``.
This module must not touch the database, storage or websocket groups.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import json
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from PIL import Image, UnidentifiedImageError

from canvas.engines.base import (
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
from canvas.engines.providers.engine import ProviderCapabilities
from canvas.protocol.limits import SEED_LIMIT

logger = logging.getLogger(__name__)

PROVIDER = "a1111"
ENGINE_NAME = "a1111"
LABEL = "AUTOMATIC1111 / Forge"
OUT_OF_MEMORY_RETRY_SECONDS = 30.0


def _setting(name: str, default: str = "") -> str:
    """Django setting, else the environment variable of the same name (settings win)."""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, "")
    if isinstance(value, list | tuple):
        value = ",".join(str(v) for v in value)
    return str(value).strip() or default


@dataclass(frozen=True)
class A1111Config:
    url: str
    models: tuple[str, ...] = ()  # checkpoint titles; the first is the default
    sampler: str = "Euler a"
    steps: int = 25
    cfg_scale: float = 7.0
    upscaler: str = "Lanczos"
    auth: str = ""  # "user:password" when the server runs with --api-auth
    connect_timeout: float = 10.0
    time_limit: float = 1800.0  # one img2img call, queueing on the server included
    poll_interval: float = 1.0
    cancel_check_interval: float = 0.5
    previews: bool = True
    max_count: int = 4
    concurrency: int = 1
    max_input_pixels: int = 2048 * 2048
    max_output_pixels: int = 2048 * 2048


def a1111_config() -> A1111Config | None:
    """The configuration, or None when no A1111 URL is set (the engine is not offered)."""
    url = _setting("ANCHORBOARD_A1111_URL") or _setting("A1111_URL")
    if not url:
        return None
    return A1111Config(
        url=url.rstrip("/"),
        models=tuple(
            m.strip() for m in _setting("ANCHORBOARD_A1111_MODELS").split(",") if m.strip()
        ),
        sampler=_setting("ANCHORBOARD_A1111_SAMPLER", "Euler a"),
        steps=int(_setting("ANCHORBOARD_A1111_STEPS", "25")),
        cfg_scale=float(_setting("ANCHORBOARD_A1111_CFG_SCALE", "7")),
        upscaler=_setting("ANCHORBOARD_A1111_UPSCALER", "Lanczos"),
        auth=os.environ.get("ANCHORBOARD_A1111_AUTH", "").strip(),  # secrets: environment only
        connect_timeout=float(_setting("ANCHORBOARD_A1111_CONNECT_TIMEOUT", "10")),
        time_limit=float(
            _setting("ANCHORBOARD_A1111_TIME_LIMIT")
            or _setting("ANCHORBOARD_JOB_TIME_LIMIT_SECONDS", "1800")
        ),
        poll_interval=float(_setting("ANCHORBOARD_A1111_POLL_SECONDS", "1")),
        previews=_setting("ANCHORBOARD_A1111_PREVIEWS", "1").lower() not in {"0", "false", "no"},
        max_count=int(_setting("ANCHORBOARD_A1111_MAX_COUNT", "4")),
        concurrency=int(_setting("ANCHORBOARD_A1111_CONCURRENCY", "1")),
    )


def is_configured() -> bool:
    return a1111_config() is not None


def configured_engines() -> dict[str, Engine]:
    """``{"a1111": engine}`` when ``ANCHORBOARD_A1111_URL`` is set, else ``{}``."""
    config = a1111_config()
    return {ENGINE_NAME: A1111Engine(config)} if config else {}


class A1111Engine(Engine):
    name = ENGINE_NAME
    provider = PROVIDER
    model = ""  # per job: the checkpoint, see model_for

    def __init__(self, config: A1111Config | None = None) -> None:
        self.config = config or a1111_config()

    def capabilities(self) -> ProviderCapabilities:
        if self.config is None:
            return ProviderCapabilities(
                label=f"{LABEL} (not configured)", generative=True, modes=frozenset()
            )
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
        assert self.config is not None
        wanted = request.params.get("model")
        if wanted:
            if wanted not in self.config.models:
                known = ", ".join(self.config.models) or "none configured"
                raise UnsupportedRequest(
                    f"A1111 model {wanted!r} is not offered here. Available: {known}."
                )
            return str(wanted)
        # No configured model: whatever checkpoint the server has loaded.
        return self.config.models[0] if self.config.models else None

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

    def run(self, request: EngineRequest, progress: ProgressReporter) -> list[EngineResult]:
        if self.config is None:
            raise PermanentEngineError(
                "AUTOMATIC1111 is not configured on this server.", code="provider_not_configured"
            )
        try:
            self.check(request)
        except UnsupportedRequest as exc:
            raise PermanentEngineError(exc.message, code=exc.code) from None
        out_size = output_size_of(request)
        assert out_size is not None and request.source is not None
        model = self.model_for(request)
        started = time.monotonic()
        if request.mode == Mode.UPSCALE:
            path, body = "/sdapi/v1/extra-single-image", self.upscale_body(request)
        else:
            seed = request.seed if request.seed is not None else secrets.randbelow(SEED_LIMIT)
            path, body = "/sdapi/v1/img2img", self.img2img_body(request, seed, model, out_size)
        self.model = model or ""  # recorded with the call
        call = A1111Call(self.config, path, body)
        answer = resilience.recorded_call(
            self, progress, lambda: resilience.CallResult(images=[], metadata=call.run(progress))
        ).metadata
        timings = {"generate": round((time.monotonic() - started) * 1000, 1)}

        if request.mode == Mode.UPSCALE:
            images = [_decode(answer.get("image"))]
            seeds: list[int | None] = [None]
        else:
            images = [_decode(item) for item in _images_of(answer)[-request.count :]]
            if len(images) < request.count:
                raise TransientEngineError(
                    f"A1111 returned {len(images)} of {request.count} images (the run may "
                    "have been stopped on the server). The job will be retried.",
                    code="provider_bad_response",
                )
            seeds = _seeds_of(answer, body["seed"], request.count)
        if progress.cancelled():
            raise JobCancelled()
        timings["total"] = round((time.monotonic() - started) * 1000, 1)
        results = [
            EngineResult(
                image=_finish(image, request, out_size),
                seed=seed,
                engine=ENGINE_NAME,
                model=model or "",
                timings=timings,
                metadata={"sampler": body.get("sampler_name", ""), "ignored": []},
            )
            for image, seed in zip(images, seeds, strict=True)
        ]
        progress.step(100, 100, "Done")
        return results

    # Request bodies ---------------------------------------------------------------------

    def img2img_body(
        self, request: EngineRequest, seed: int, model: str | None, out_size: tuple[int, int]
    ) -> dict[str, Any]:
        assert self.config is not None and request.source is not None
        params = request.params
        body: dict[str, Any] = {
            "init_images": [_b64_png(_flatten(request.source))],
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt,
            "denoising_strength": float(request.strength),
            "seed": seed,
            "steps": params.get("steps", self.config.steps),
            "cfg_scale": params.get("cfg", self.config.cfg_scale),
            "sampler_name": params.get("sampler", self.config.sampler),
            "width": _round8(out_size[0]),
            "height": _round8(out_size[1]),
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
                mask=_b64_png(request.mask),  # L: white = change, as A1111 expects
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
            "image": _b64_png(_flatten(request.source)),
            "resize_mode": 0,
            "upscaling_resize": request.scale,
            "upscaler_1": request.params.get("upscaler", self.config.upscaler),
        }


class A1111Call:
    """One blocking A1111 call on a helper thread, with progress polling on the caller's."""

    def __init__(self, config: A1111Config, path: str, body: dict[str, Any]) -> None:
        self.config = config
        self.path = path
        self.body = body

    def _client(self, read_timeout: float) -> httpx.Client:
        auth = None
        if self.config.auth and ":" in self.config.auth:
            user, _, password = self.config.auth.partition(":")
            auth = httpx.BasicAuth(user, password)
        return httpx.Client(
            base_url=self.config.url,
            auth=auth,
            timeout=httpx.Timeout(read_timeout, connect=self.config.connect_timeout),
            trust_env=False,
        )

    def run(self, progress: ProgressReporter) -> dict[str, Any]:
        box: dict[str, Any] = {}
        done = threading.Event()

        def target() -> None:
            try:
                with self._client(self.config.time_limit) as client:
                    box["response"] = client.post(self.path, json=self.body)
            except httpx.HTTPError as exc:
                box["error"] = exc
            finally:
                done.set()

        with self._client(self.config.connect_timeout + 5) as poller:
            # A1111 runs one job at a time. If another job is running when we submit,
            # /progress describes that job until it ends: remember it and show none of it.
            foreign = _busy_with(self._poll(poller))
            thread = threading.Thread(target=target, name="a1111-call", daemon=True)
            thread.start()
            deadline = time.monotonic() + self.config.time_limit
            last_preview = None
            next_poll = time.monotonic() + self.config.poll_interval
            try:
                while not done.wait(self.config.cancel_check_interval):
                    if progress.cancelled():
                        raise JobCancelled()
                    if time.monotonic() > deadline:
                        raise TransientEngineError(
                            f"A1111 did not finish within {self.config.time_limit:.0f} seconds; "
                            "the server may be busy. The job will be retried.",
                            code="provider_timeout",
                        )
                    if time.monotonic() < next_poll:
                        continue
                    next_poll = time.monotonic() + self.config.poll_interval
                    state = self._poll(poller)
                    if state is None:
                        continue
                    if foreign is not None and _busy_with(state) == foreign:
                        progress.step(0, 100, "Waiting for the A1111 server to finish another job")
                        continue
                    foreign = None
                    fraction = state.get("progress")
                    if isinstance(fraction, int | float) and fraction > 0:
                        eta = state.get("eta_relative")
                        message = "Generating"
                        if isinstance(eta, int | float) and eta > 0:
                            message = f"Generating, about {eta:.0f} s left"
                        progress.step(min(99, int(fraction * 100)), 100, message)
                    preview = state.get("current_image")
                    if (
                        self.config.previews
                        and isinstance(preview, str)
                        and preview != last_preview
                    ):
                        last_preview = preview
                        # A broken preview is not worth failing the job.
                        with contextlib.suppress(EngineError):
                            progress.preview(preview_of(_decode(preview)))
            except BaseException:
                # Cancelled, timed out, or the reporter failed (the job's lease was lost):
                # stop the generation so the GPU is not busy for nobody. Interrupt is global
                # in A1111: while another job still runs ahead of ours, it would stop that
                # job instead, so ours is left to run and its result is dropped.
                if not done.is_set() and foreign is None:
                    self._interrupt(poller)
                raise
        thread.join()
        if "error" in box:
            raise _network_error(self.config.url, box["error"])
        return _answer(box["response"])

    def _poll(self, client: httpx.Client) -> dict[str, Any] | None:
        try:
            response = client.get("/sdapi/v1/progress", params={"skip_current_image": "false"})
            body = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return None  # progress is a nicety; the main call reports real failures
        return body if isinstance(body, dict) else None

    def _interrupt(self, client: httpx.Client) -> None:
        try:
            client.post("/sdapi/v1/interrupt")
        except httpx.HTTPError as exc:
            logger.warning("Could not interrupt A1111 at %s: %s", self.config.url, exc)


def _busy_with(state: dict[str, Any] | None) -> str | None:
    """The running job's timestamp when the server is busy, else None."""
    if not state or not isinstance(state.get("state"), dict):
        return None
    info = state["state"]
    if not info.get("job_count"):
        return None
    return str(info.get("job_timestamp") or "busy")


# --- Reading answers ------------------------------------------------------------------------


def _answer(response: httpx.Response) -> dict[str, Any]:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if status == 200:
        if not isinstance(body, dict):
            raise resilience.transient(
                "A1111 sent an answer that could not be read. The job will be retried.",
                code="provider_bad_response",
                http_status=status,
            )
        return body
    if status == 422:
        raise resilience.permanent(
            f"A1111 refused the job settings: {_validation_details(body)}. Change them and "
            "try again.",
            code="provider_rejected",
            http_status=status,
        )
    if status in (401, 403):
        raise resilience.permanent(
            "A1111 refused the credentials. Ask an administrator to check ANCHORBOARD_A1111_AUTH.",
            code="provider_auth",
            http_status=status,
        )
    detail = ""
    if isinstance(body, dict):
        detail = str(body.get("detail") or body.get("errors") or body.get("error") or "")
    if status >= 500:
        if "OutOfMemory" in json.dumps(body) or "out of memory" in detail.lower():
            raise resilience.transient(
                "The A1111 server ran out of GPU memory. The job will be retried; if it "
                "keeps failing, select a smaller region or a smaller output size.",
                code="provider_out_of_memory",
                http_status=status,
                retry_after=OUT_OF_MEMORY_RETRY_SECONDS,
            )
        raise resilience.transient(
            f"A1111 had a server error ({status}{': ' + detail[:200] if detail else ''}). "
            "The job will be retried.",
            code="provider_unavailable",
            http_status=status,
        )
    if status == 429:
        raise resilience.transient(
            "A1111 is busy; the job will be retried.", code="provider_busy", http_status=status
        )
    raise resilience.permanent(
        f"A1111 refused the job ({status}): {detail[:300] or 'no reason given'}.",
        code="provider_rejected",
        http_status=status,
    )


def _validation_details(body: Any) -> str:
    details = body.get("detail") if isinstance(body, dict) else None
    if isinstance(details, list):
        parts = []
        for item in details[:3]:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                parts.append(
                    f"{loc}: {item.get('msg', 'invalid')}" if loc else str(item.get("msg"))
                )
        if parts:
            return "; ".join(parts)
    return str(details or "invalid request")


def _network_error(url: str, exc: httpx.HTTPError) -> TransientEngineError:
    if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
        return TransientEngineError(
            f"A1111 at {url} did not answer in time; the job will be retried.",
            code="provider_timeout",
        )
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return TransientEngineError(
            f"A1111 at {url} cannot be reached; check that it is running with --api. The "
            "job will be retried.",
            code="provider_unreachable",
        )
    return TransientEngineError(
        f"The connection to A1111 at {url} dropped during the job ({type(exc).__name__}); "
        "the job will be retried.",
        code="provider_connection_lost",
    )


def _images_of(answer: dict[str, Any]) -> list[str]:
    images = answer.get("images")
    return [i for i in images if isinstance(i, str)] if isinstance(images, list) else []


def _seeds_of(answer: dict[str, Any], seed: int, count: int) -> list[int | None]:
    try:
        info = json.loads(answer.get("info") or "{}")
        seeds = [int(s) for s in info.get("all_seeds", [])][-count:]
    except (ValueError, TypeError, AttributeError):
        seeds = []
    if len(seeds) != count:
        seeds = [(seed + i) % SEED_LIMIT for i in range(count)]
    return list(seeds)


def _decode(data: Any) -> Image.Image:
    if not isinstance(data, str) or not data:
        raise TransientEngineError(
            "A1111 sent no image in its answer. The job will be retried.",
            code="provider_bad_response",
        )
    if data.startswith("data:"):
        data = data.partition(",")[2]
    try:
        image = Image.open(io.BytesIO(base64.b64decode(data, validate=False)))
        image.load()
    except (binascii.Error, UnidentifiedImageError, OSError, ValueError):
        raise TransientEngineError(
            "A1111 sent an image that could not be read. The job will be retried.",
            code="provider_bad_response",
        ) from None
    return image


def _b64_png(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _flatten(image: Image.Image) -> Image.Image:
    # A1111 works on RGB; transparent parts of the region are shown on white, as on the board.
    if image.mode != "RGBA":
        return image.convert("RGB")
    base = Image.new("RGB", image.size, (255, 255, 255))
    base.paste(image, mask=image.getchannel("A"))
    return base


def _round8(value: int) -> int:
    # Stable Diffusion works on 8-pixel latent cells; A1111 rounds other sizes itself.
    return max(8, round(value / 8) * 8)


def _finish(image: Image.Image, request: EngineRequest, out_size: tuple[int, int]) -> Image.Image:
    image = image.convert("RGBA")
    if image.size != out_size:
        image = image.resize(out_size, Image.Resampling.LANCZOS)
    if request.mode == Mode.UPSCALE and request.source is not None:
        alpha = request.source.getchannel("A")
        if alpha.getextrema() != (255, 255):
            image.putalpha(alpha.resize(out_size, Image.Resampling.LANCZOS))
    return image


def ping(config: A1111Config) -> dict[str, Any]:
    """``GET /sdapi/v1/options``: is it up, and which checkpoint is loaded."""
    started = time.monotonic()
    try:
        with A1111Call(config, "", {})._client(config.connect_timeout) as client:
            response = client.get("/sdapi/v1/options")
    except httpx.HTTPError as exc:
        return {"ok": False, "message": f"Cannot reach {config.url} ({type(exc).__name__})."}
    elapsed = round((time.monotonic() - started) * 1000, 1)
    if response.status_code != 200:
        return {"ok": False, "message": f"{config.url} answered {response.status_code}."}
    try:
        options = response.json()
    except ValueError:
        options = {}
    model = options.get("sd_model_checkpoint", "") if isinstance(options, dict) else ""
    return {
        "ok": True,
        "message": f"Loaded checkpoint: {model}" if model else "Reachable.",
        "latency_ms": elapsed,
    }
