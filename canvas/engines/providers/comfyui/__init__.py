"""ComfyUI as a provider: ``config`` (settings, templates), ``engine`` (the engine on the
provider template, slot values), ``session`` (one prompt over HTTP and the websocket, and
the bridge to the worker's thread) and ``answers`` (reading ComfyUI's answers). See
docs/providers.md "ComfyUI".
"""

from __future__ import annotations

from typing import Any

from canvas.engines.providers import http
from canvas.engines.providers.comfyui.answers import OUT_OF_MEMORY_RETRY_SECONDS
from canvas.engines.providers.comfyui.config import ComfyConfig, comfy_config
from canvas.engines.providers.comfyui.engine import ENGINE_NAME, LABEL, PROVIDER, ComfyEngine
from canvas.engines.providers.engine import ServerProvider

# Re-exported: the names other modules and tests use.
__all__ = [
    "ENGINE_NAME",
    "LABEL",
    "OUT_OF_MEMORY_RETRY_SECONDS",
    "PROVIDER",
    "ComfyConfig",
    "ComfyEngine",
    "comfy_config",
]

NOT_CONFIGURED = "ComfyUI has no URL on this server (ANCHORBOARD_COMFYUI_URL)."


def ping(config: ComfyConfig) -> dict[str, Any]:
    """``GET /system_stats``: the cheap "is it up" call of the providers page."""

    def describe(response: Any) -> str:
        body = http.json_body(response) or {}
        system = body.get("system")
        system = system if isinstance(system, dict) else {}
        devices = body.get("devices")
        devices = devices if isinstance(devices, list) else []
        device = devices[0].get("name", "") if devices and isinstance(devices[0], dict) else ""
        version = system.get("comfyui_version", "")
        parts = (f"ComfyUI {version}" if version else "", device)
        return ", ".join(p for p in parts if p) or "Reachable."

    return http.check_get(
        f"{config.url}/system_stats",
        where=config.url,
        timeout=config.connect_timeout,
        describe=describe,
    )


SERVER = ServerProvider(ENGINE_NAME, lambda: comfy_config(), ComfyEngine, ping)
is_configured = SERVER.is_configured
configured_engines = SERVER.configured_engines  # {"comfyui": engine} once its URL is set
check_now = SERVER.check_now
models = SERVER.models


def configuration() -> list[tuple[str, str]]:
    """Settings for administrators."""
    config = comfy_config()
    if config is None:
        return [("ANCHORBOARD_COMFYUI_URL", "not set")]
    return [
        ("URL", config.url),
        ("Workflow folder", config.workflows_dir or "(built-in workflows only)"),
        ("Checkpoints", ", ".join(config.models) or "(none)"),
        ("Time limit per prompt", f"{config.time_limit:g} s"),
        ("Jobs at once", str(config.concurrency)),
        ("Results per job", str(config.max_count)),
    ]


def workflows_on_offer() -> tuple[list[dict[str, Any]], list[str]]:
    """The ComfyUI workflows on offer and the problems of the ones that were refused."""
    config = comfy_config()
    if config is None:
        return [], []
    engine = ComfyEngine(config)
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
