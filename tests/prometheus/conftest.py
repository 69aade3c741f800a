"""Fixtures for the /metrics tests: the provider tests' fake Gemini, board and submit()."""

from tests.providers.fixtures import (  # noqa: F401 - re-exported as fixtures
    board,
    gemini_server,
    image_item,
    owner,
    providers_fast,
    submit,
)
