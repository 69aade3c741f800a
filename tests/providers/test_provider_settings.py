"""Every documented provider variable is read through the one reader
(``canvas.engines.providers.config``) and can be set from the environment alone."""

from __future__ import annotations

import pytest

from canvas.engines.providers import a1111, comfyui, config

ENVIRONMENT = {
    "ANCHORBOARD_GEMINI_BASE_URL": "http://gemini.test",
    "ANCHORBOARD_GEMINI_MODELS": "gemini-3-pro-image-preview, gemini-x",
    "ANCHORBOARD_OPENAI_BASE_URL": "http://openai.test",
    "ANCHORBOARD_OPENAI_IMAGE_MODELS": "gpt-image-2",
    "ANCHORBOARD_OPENAI_QUALITY": "high",
    "ANCHORBOARD_OPENAI_SIZES": "1024x1024",
    "ANCHORBOARD_OPENAI_PRICES_PER_MTOK": "1,2,3",
    "ANCHORBOARD_GEMINI_TIMEOUT": "33",
    "ANCHORBOARD_OPENAI_CONNECT_TIMEOUT": "4",
    "ANCHORBOARD_PROVIDER_CONCURRENCY": "gemini=7",
    "ANCHORBOARD_BREAKER_FAILURES": "9",
    "ANCHORBOARD_BREAKER_COOLDOWN_SECONDS": "12",
    "ANCHORBOARD_ENGINE_FALLBACKS": "gemini-x=comfyui>local",
    "ANCHORBOARD_COMFYUI_URL": "http://comfy.test:8188/",
    "ANCHORBOARD_COMFYUI_WORKFLOWS_DIR": "/srv/flows",
    "ANCHORBOARD_COMFYUI_MODELS": "a.safetensors,b.safetensors",
    "ANCHORBOARD_COMFYUI_TIMEOUT": "61",
    "ANCHORBOARD_COMFYUI_CONNECT_TIMEOUT": "11",
    "ANCHORBOARD_COMFYUI_TIME_LIMIT": "99",
    "ANCHORBOARD_COMFYUI_POLL_SECONDS": "2",
    "ANCHORBOARD_COMFYUI_MAX_COUNT": "3",
    "ANCHORBOARD_COMFYUI_CONCURRENCY": "2",
    "ANCHORBOARD_A1111_URL": "http://a1111.test:7860",
    "ANCHORBOARD_A1111_AUTH": "me:secret",
    "ANCHORBOARD_A1111_MODELS": "sd15.safetensors",
    "ANCHORBOARD_A1111_SAMPLER": "DPM++ 2M",
    "ANCHORBOARD_A1111_STEPS": "30",
    "ANCHORBOARD_A1111_CFG_SCALE": "6.5",
    "ANCHORBOARD_A1111_UPSCALER": "R-ESRGAN 4x+",
    "ANCHORBOARD_A1111_TIME_LIMIT": "120",
    "ANCHORBOARD_A1111_CONNECT_TIMEOUT": "3",
    "ANCHORBOARD_A1111_POLL_SECONDS": "0.5",
    "ANCHORBOARD_A1111_PREVIEWS": "0",
    "ANCHORBOARD_A1111_MAX_COUNT": "2",
    "ANCHORBOARD_A1111_CONCURRENCY": "3",
}


@pytest.fixture
def environment(monkeypatch):
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_every_documented_variable_is_read_from_the_environment(environment):
    assert config.gemini_base_url() == "http://gemini.test"
    assert [m.model for m in config.gemini_models()] == ["gemini-3-pro-image-preview", "gemini-x"]
    assert (config.openai_base_url(), config.openai_models()) == (
        "http://openai.test",
        ("gpt-image-2",),
    )
    assert (config.openai_quality(), config.openai_sizes()) == ("high", ("1024x1024",))
    assert config.openai_prices() == (1.0, 2.0, 3.0)
    assert config.read_timeout("gemini") == 33 and config.connect_timeout("openai") == 4
    assert config.provider_concurrency("gemini") == 7
    assert (config.breaker_failures(), config.breaker_cooldown_seconds()) == (9, 12)
    assert config.fallback_chains() == {"gemini-x": ("comfyui", "local")}
    assert comfyui.comfy_config() == comfyui.ComfyConfig(
        url="http://comfy.test:8188",
        workflows_dir="/srv/flows",
        models=("a.safetensors", "b.safetensors"),
        connect_timeout=11,
        request_timeout=61,
        time_limit=99,
        poll_interval=2,
        max_count=3,
        concurrency=2,
    )
    assert a1111.a1111_config() == a1111.A1111Config(
        url="http://a1111.test:7860",
        models=("sd15.safetensors",),
        sampler="DPM++ 2M",
        steps=30,
        cfg_scale=6.5,
        upscaler="R-ESRGAN 4x+",
        auth="me:secret",
        connect_timeout=3,
        time_limit=120,
        poll_interval=0.5,
        previews=False,
        max_count=2,
        concurrency=3,
    )


def test_settings_win_over_the_environment_and_blank_means_unset(environment, settings):
    settings.ANCHORBOARD_A1111_STEPS = 12
    settings.ANCHORBOARD_COMFYUI_MODELS = ["from-settings.safetensors"]
    assert a1111.a1111_config().steps == 12
    assert comfyui.comfy_config().models == ("from-settings.safetensors",)
    environment.setenv("ANCHORBOARD_A1111_SAMPLER", "  ")
    assert a1111.a1111_config().sampler == "Euler a"  # the default, not a blank sampler
    settings.ANCHORBOARD_COMFYUI_URL = ""
    assert comfyui.comfy_config() is None and not comfyui.is_configured()


def test_secrets_come_from_the_environment_only(environment, settings):
    settings.ANCHORBOARD_A1111_AUTH = "from:settings"
    assert a1111.a1111_config().auth == "me:secret"


def test_the_job_time_limit_is_the_servers_default_limit(environment):
    environment.delenv("ANCHORBOARD_COMFYUI_TIME_LIMIT")
    environment.delenv("ANCHORBOARD_A1111_TIME_LIMIT")
    environment.setenv("ANCHORBOARD_JOB_TIME_LIMIT_SECONDS", "321")
    assert comfyui.comfy_config().time_limit == 321
    assert a1111.a1111_config().time_limit == 321
