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
from canvas.engines.providers.engine import ServerProvider

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


SERVER = ServerProvider(ENGINE_NAME, lambda: a1111_config(), A1111Engine, ping)
is_configured = SERVER.is_configured
configured_engines = SERVER.configured_engines  # {"a1111": engine} once its URL is set
check_now = SERVER.check_now
models = SERVER.models


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
