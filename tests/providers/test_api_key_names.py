"""Where provider API keys come from: the environment only, under our name or the vendor's."""

from __future__ import annotations

import pytest

from canvas.engines.providers import config, gemini, openai_images


@pytest.fixture
def no_keys(monkeypatch):
    for name in ("GEMINI", "OPENAI"):
        monkeypatch.delenv(f"ANCHORBOARD_{name}_API_KEY", raising=False)
        monkeypatch.delenv(f"{name}_API_KEY", raising=False)
    return monkeypatch


def test_no_key_means_no_gemini_or_openai_engines(no_keys):
    assert config.api_key("gemini") == ""
    assert gemini.configured_engines() == []
    assert openai_images.configured_engines() == []


def test_the_vendors_own_variable_names_make_the_providers_appear(no_keys):
    no_keys.setenv("GEMINI_API_KEY", " from-google-docs ")
    no_keys.setenv("OPENAI_API_KEY", "from-openai-docs")
    assert config.api_key("gemini") == "from-google-docs"
    assert {cls.model for cls in gemini.configured_engines()} >= {"gemini-2.5-flash-image"}
    assert openai_images.configured_engines() != []


def test_our_own_variable_wins_over_the_vendors(no_keys):
    no_keys.setenv("GEMINI_API_KEY", "shared-key")
    no_keys.setenv("ANCHORBOARD_GEMINI_API_KEY", "anchorboard-key")
    assert config.api_key("gemini") == "anchorboard-key"
