"""A1111 / Forge settings, read through the providers' one settings reader."""

from __future__ import annotations

from dataclasses import dataclass

from canvas.engines.providers import config
from foundation import knobs
from foundation.config import read


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
    url = read(knobs.A1111_URL)
    if not url:
        return None
    return A1111Config(
        url=url.rstrip("/"),
        models=read(knobs.A1111_MODELS),
        sampler=read(knobs.A1111_SAMPLER),
        steps=read(knobs.A1111_STEPS),
        cfg_scale=read(knobs.A1111_CFG_SCALE),
        upscaler=read(knobs.A1111_UPSCALER),
        auth=read(knobs.A1111_AUTH),
        connect_timeout=read(knobs.A1111_CONNECT_TIMEOUT),
        time_limit=config.server_time_limit(knobs.A1111_TIME_LIMIT),
        poll_interval=read(knobs.A1111_POLL_SECONDS),
        previews=read(knobs.A1111_PREVIEWS),
        max_count=read(knobs.A1111_MAX_COUNT),
        concurrency=read(knobs.A1111_CONCURRENCY),
    )
