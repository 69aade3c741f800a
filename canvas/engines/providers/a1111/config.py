"""A1111 / Forge settings, read through the providers' one settings reader."""

from __future__ import annotations

from dataclasses import dataclass

from canvas.engines.providers import config


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
    url = config.first_text("ANCHORBOARD_A1111_URL", "A1111_URL")
    if not url:
        return None
    return A1111Config(
        url=url.rstrip("/"),
        models=config.names("ANCHORBOARD_A1111_MODELS"),
        sampler=config.text("ANCHORBOARD_A1111_SAMPLER", "Euler a"),
        steps=config.integer("ANCHORBOARD_A1111_STEPS", 25),
        cfg_scale=config.number("ANCHORBOARD_A1111_CFG_SCALE", 7.0),
        upscaler=config.text("ANCHORBOARD_A1111_UPSCALER", "Lanczos"),
        auth=config.secret("ANCHORBOARD_A1111_AUTH"),
        connect_timeout=config.number("ANCHORBOARD_A1111_CONNECT_TIMEOUT", 10.0),
        time_limit=config.number("ANCHORBOARD_A1111_TIME_LIMIT", config.job_time_limit()),
        poll_interval=config.number("ANCHORBOARD_A1111_POLL_SECONDS", 1.0),
        previews=config.flag("ANCHORBOARD_A1111_PREVIEWS", True),
        max_count=config.integer("ANCHORBOARD_A1111_MAX_COUNT", 4),
        concurrency=config.integer("ANCHORBOARD_A1111_CONCURRENCY", 1),
    )
