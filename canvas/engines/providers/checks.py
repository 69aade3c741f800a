"""What the provider settings page adds to ``provider_status()``: an on-demand "check now"
ping per provider and each provider's configuration, described for administrators.

A check is one cheap, side-effect-free request: ComfyUI ``GET /system_stats``, A1111
``GET /sdapi/v1/options``, Gemini and OpenAI their model list. Checks are not recorded as
provider calls and do not move the circuit breaker: a ping proves the server answers, not
that image jobs work. Configuration never includes secrets (keys, passwords): only whether
one is set. This module must not touch the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from anchorboard.errors import AppError, NotFound
from canvas.engines.providers import a1111, comfyui, config, http

PROVIDERS = ("gemini", "openai", "comfyui", "a1111")


class ProviderNotConfigured(AppError):
    code = "provider_not_configured"
    default_message = "That provider is not configured on this server."


class UnknownProvider(NotFound):
    code = "unknown_provider"
    default_message = "There is no such provider."


def _timed_get(url: str, headers: dict[str, str], timeout: float) -> dict[str, Any]:
    started = time.monotonic()
    try:
        response = httpx.get(url, headers=headers, timeout=timeout, trust_env=False)
    except httpx.HTTPError as exc:
        return {"ok": False, "message": f"No answer ({type(exc).__name__})."}
    latency = round((time.monotonic() - started) * 1000, 1)
    if response.status_code in (401, 403) or _key_not_valid(response):
        return {"ok": False, "message": "The API key was refused.", "latency_ms": latency}
    if response.status_code != 200:
        return {
            "ok": False,
            "message": f"Answered HTTP {response.status_code}.",
            "latency_ms": latency,
        }
    return {"ok": True, "message": "Reachable; the API key works.", "latency_ms": latency}


def _key_not_valid(response: httpx.Response) -> bool:
    """Google answers a wrong key with 400 INVALID_ARGUMENT ("API key not valid"), not 401."""
    if response.status_code != 400:
        return False
    error = (http.json_body(response) or {}).get("error")
    return isinstance(error, dict) and "api key not valid" in str(error.get("message")).lower()


def _check_gemini() -> dict[str, Any]:
    key = config.api_key("gemini")
    if not key:
        raise ProviderNotConfigured("Gemini has no API key on this server.")
    return _timed_get(
        f"{config.gemini_base_url().rstrip('/')}/v1beta/models?pageSize=1",
        {"x-goog-api-key": key},
        config.connect_timeout("gemini"),
    )


def _check_openai() -> dict[str, Any]:
    key = config.api_key("openai")
    if not key:
        raise ProviderNotConfigured("OpenAI has no API key on this server.")
    return _timed_get(
        f"{config.openai_base_url().rstrip('/')}/v1/models",
        {"Authorization": f"Bearer {key}"},
        config.connect_timeout("openai"),
    )


def _check_comfyui() -> dict[str, Any]:
    settings = comfyui.comfy_config()
    if settings is None:
        raise ProviderNotConfigured("ComfyUI has no URL on this server (ANCHORBOARD_COMFYUI_URL).")
    return comfyui.ping(settings)


def _check_a1111() -> dict[str, Any]:
    settings = a1111.a1111_config()
    if settings is None:
        raise ProviderNotConfigured("A1111 has no URL on this server (ANCHORBOARD_A1111_URL).")
    return a1111.ping(settings)


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "gemini": _check_gemini,
    "openai": _check_openai,
    "comfyui": _check_comfyui,
    "a1111": _check_a1111,
}


def check_provider(name: str) -> dict[str, Any]:
    """Ping one provider now: ``{"ok", "message", "latency_ms"?}``."""
    check = CHECKS.get(name)
    if check is None:
        raise UnknownProvider(f"There is no provider called {name!r}.")
    return check()


def _yes(value: object) -> str:
    return "set" if value else "not set"


def configuration_of(name: str) -> list[tuple[str, str]]:
    """(setting, value) rows for administrators; secrets only as "set"/"not set"."""
    if name == "comfyui":
        comfy = comfyui.comfy_config()
        if comfy is None:
            return [("ANCHORBOARD_COMFYUI_URL", "not set")]
        return [
            ("URL", comfy.url),
            ("Workflow folder", comfy.workflows_dir or "(built-in workflows only)"),
            ("Checkpoints", ", ".join(comfy.models) or "(none)"),
            ("Time limit per prompt", f"{comfy.time_limit:g} s"),
            ("Jobs at once", str(comfy.concurrency)),
            ("Results per job", str(comfy.max_count)),
        ]
    if name == "a1111":
        settings = a1111.a1111_config()
        if settings is None:
            return [("ANCHORBOARD_A1111_URL", "not set")]
        return [
            ("URL", settings.url),
            ("Checkpoints", ", ".join(settings.models) or "(whatever the server has loaded)"),
            (
                "Sampler / steps / CFG",
                f"{settings.sampler} / {settings.steps} / {settings.cfg_scale:g}",
            ),
            ("Upscaler", settings.upscaler),
            ("Basic auth", _yes(settings.auth)),
            ("Time limit per call", f"{settings.time_limit:g} s"),
            ("Jobs at once", str(settings.concurrency)),
        ]
    if name == "gemini":
        return [
            ("Base URL", config.gemini_base_url()),
            ("Models", ", ".join(m.model for m in config.gemini_models())),
            ("API key", _yes(config.api_key("gemini"))),
            ("Timeout", f"{config.read_timeout('gemini'):g} s"),
        ]
    if name == "openai":
        return [
            ("Base URL", config.openai_base_url()),
            ("Models", ", ".join(config.openai_models())),
            ("API key", _yes(config.api_key("openai"))),
            ("Timeout", f"{config.read_timeout('openai'):g} s"),
        ]
    return []


def models_of(name: str, engines: list[dict[str, Any]]) -> list[str]:
    """Model names to show everyone: the configured checkpoints of the self-hosted servers,
    the engines' models for the hosted ones."""
    if name == "comfyui":
        comfy = comfyui.comfy_config()
        return list(comfy.models) if comfy else []
    if name == "a1111":
        server = a1111.a1111_config()
        return list(server.models) if server else []
    return [e["model"] for e in engines if e.get("model")]


def comfy_workflows() -> tuple[list[dict[str, Any]], list[str]]:
    """The ComfyUI workflows on offer and the problems of the ones that were refused."""
    settings = comfyui.comfy_config()
    if settings is None:
        return [], []
    engine = comfyui.ComfyEngine(settings)
    rows = [
        {
            "name": w.name,
            "mode": w.mode.value,
            "description": w.description,
            "source": "built-in" if w.builtin else "custom",
            "anchors": w.anchor_slots,
        }
        for w in sorted(engine.workflows.values(), key=lambda w: w.name)
    ]
    return rows, engine.problems
