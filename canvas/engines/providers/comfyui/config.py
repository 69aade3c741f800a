"""ComfyUI settings (read through the providers' one settings reader) and the workflow
templates on offer."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from canvas.engines.providers import config
from canvas.engines.providers.comfy_workflows import Workflow, load_workflows
from foundation import knobs
from foundation.config import read

logger = logging.getLogger(__name__)


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
    url = read(knobs.COMFYUI_URL)
    if not url:
        return None
    return ComfyConfig(
        url=url.rstrip("/"),
        workflows_dir=read(knobs.COMFYUI_WORKFLOWS_DIR),
        models=read(knobs.COMFYUI_MODELS),
        connect_timeout=read(knobs.COMFYUI_CONNECT_TIMEOUT),
        request_timeout=read(knobs.COMFYUI_TIMEOUT),
        time_limit=config.server_time_limit(knobs.COMFYUI_TIME_LIMIT),
        poll_interval=read(knobs.COMFYUI_POLL_SECONDS),
        max_count=read(knobs.COMFYUI_MAX_COUNT),
        concurrency=read(knobs.COMFYUI_CONCURRENCY),
    )


_WORKFLOW_CACHE: dict[tuple[Any, ...], tuple[dict[str, Workflow], list[str]]] = {}


def workflows(user_dir: str) -> tuple[dict[str, Workflow], list[str]]:
    """Templates (built-in and from ``user_dir``) and the problems of refused files; re-read
    only when a file in the user folder changed.

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
