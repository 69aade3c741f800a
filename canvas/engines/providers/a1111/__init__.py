"""AUTOMATIC1111 / Forge as a provider: ``config`` (settings), ``engine`` (the engine on the
provider template, request bodies), ``call`` (the blocking call with progress polling) and
``answers`` (reading A1111's answers). See docs/providers.md "AUTOMATIC1111 / Forge".
"""

from __future__ import annotations

from typing import Any

from canvas.engines.providers import http
from canvas.engines.providers.a1111.answers import OUT_OF_MEMORY_RETRY_SECONDS
from canvas.engines.providers.a1111.call import basic_auth
from canvas.engines.providers.a1111.config import A1111Config, a1111_config
from canvas.engines.providers.a1111.engine import ENGINE_NAME, LABEL, PROVIDER, A1111Engine

# Re-exported: the names other modules and tests use.
__all__ = [
    "ENGINE_NAME",
    "LABEL",
    "OUT_OF_MEMORY_RETRY_SECONDS",
    "PROVIDER",
    "A1111Config",
    "A1111Engine",
    "a1111_config",
]

NOT_CONFIGURED = "A1111 has no URL on this server (ANCHORBOARD_A1111_URL)."


def is_configured() -> bool:
    return a1111_config() is not None


def configured_engines() -> dict[str, A1111Engine]:
    """``{"a1111": engine}`` when ``ANCHORBOARD_A1111_URL`` is set, else ``{}``."""
    config = a1111_config()
    return {ENGINE_NAME: A1111Engine(config)} if config else {}


def ping(config: A1111Config) -> dict[str, Any]:
    """``GET /sdapi/v1/options``: is it up, and which checkpoint is loaded."""

    def describe(response: Any) -> str:
        model = (http.json_body(response) or {}).get("sd_model_checkpoint", "")
        return f"Loaded checkpoint: {model}" if model else "Reachable."

    return http.check_get(
        f"{config.url}/sdapi/v1/options",
        where=config.url,
        timeout=config.connect_timeout,
        auth=basic_auth(config),
        refused=lambda r: (
            "A1111 refused the credentials (ANCHORBOARD_A1111_AUTH)."
            if r.status_code in (401, 403)
            else None
        ),
        describe=describe,
    )


def check_now() -> dict[str, Any]:
    config = a1111_config()
    assert config is not None
    return ping(config)


def configuration() -> list[tuple[str, str]]:
    """Settings for administrators; the password only as "set"/"not set"."""
    config = a1111_config()
    if config is None:
        return [("ANCHORBOARD_A1111_URL", "not set")]
    return [
        ("URL", config.url),
        ("Checkpoints", ", ".join(config.models) or "(whatever the server has loaded)"),
        ("Sampler / steps / CFG", f"{config.sampler} / {config.steps} / {config.cfg_scale:g}"),
        ("Upscaler", config.upscaler),
        ("Basic auth", "set" if config.auth else "not set"),
        ("Time limit per call", f"{config.time_limit:g} s"),
        ("Jobs at once", str(config.concurrency)),
    ]


def models(engines: list[dict[str, Any]]) -> list[str]:
    """The configured checkpoints (none = the one the server has loaded)."""
    config = a1111_config()
    return list(config.models) if config else []
