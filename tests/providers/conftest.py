"""Fixtures for the provider tests (Gemini/OpenAI ones live in tests/providers/fixtures.py).

Other providers' tests may add their fixtures here or in their own module imported below.
"""

from tests.providers.fixtures import (  # noqa: F401 - re-exported as fixtures
    ark_server,
    board,
    gemini_server,
    image_item,
    openai_server,
    owner,
    providers_fast,
    submit,
    veo_server,
    video_polls_fast,
)
