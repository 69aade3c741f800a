"""Fixtures for the Gemini/OpenAI provider tests: fake servers, configured clients, boards.

Imported by the test modules (``from tests.providers.fixtures import ...``) rather than a
conftest.py, because this folder is shared with the ComfyUI/A1111 tests.
"""

from __future__ import annotations

import contextlib

import pytest
from PIL import Image

from canvas.engines import Anchor, EngineRequest
from canvas.engines.providers import load_provider_engines
from canvas.models import Item, ItemKind
from tests import factories
from tests.providers.fakes import ark as fake_ark
from tests.providers.fakes import gemini as fake_gemini
from tests.providers.fakes import openai as fake_openai
from tests.providers.fakes import veo as fake_veo

REGION = {"x": 0, "y": 0, "width": 64, "height": 48}
REGION_COLOR = (200, 40, 40, 255)


@pytest.fixture
def providers_fast(settings, media_root):
    """No backoff, a quick breaker: failure tests stay fast. Timeouts stay generous (a fake
    answers in milliseconds, but the shared test machine can stall a thread for a second);
    a test about timeouts sets its own short one."""
    settings.ANCHORBOARD_GEMINI_TIMEOUT = 10
    settings.ANCHORBOARD_OPENAI_TIMEOUT = 10
    settings.ANCHORBOARD_GEMINI_CONNECT_TIMEOUT = 10
    settings.ANCHORBOARD_OPENAI_CONNECT_TIMEOUT = 10
    settings.ANCHORBOARD_BREAKER_FAILURES = 3
    settings.ANCHORBOARD_BREAKER_COOLDOWN_SECONDS = 30
    settings.ANCHORBOARD_JOB_RETRY_BASE_SECONDS = 0
    settings.ANCHORBOARD_JOB_MAX_ATTEMPTS = 3
    settings.ANCHORBOARD_JOB_PROGRESS_INTERVAL = 0.0
    settings.ANCHORBOARD_ENGINE_CONCURRENCY = {}
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 2
    return settings


@contextlib.contextmanager
def registered_providers():
    """Register the now-configured provider engines; unregister them afterwards so other
    tests see the server's usual engine list."""
    from canvas.engines import registry

    before = set(registry._ENGINES)
    load_provider_engines()
    added = set(registry._ENGINES) - before
    try:
        yield
    finally:
        for name in added:
            registry._ENGINES.pop(name, None)


@pytest.fixture
def gemini_server(providers_fast, monkeypatch):
    """A fake Gemini on a free port; the real client configured to use it."""
    server = fake_gemini.FakeGemini()
    monkeypatch.setenv("ANCHORBOARD_GEMINI_API_KEY", fake_gemini.KEY)
    providers_fast.ANCHORBOARD_GEMINI_BASE_URL = server.url
    providers_fast.ANCHORBOARD_GEMINI_MODELS = list(fake_gemini.MAX_IMAGES)
    with registered_providers():
        yield server
    server.close()


@pytest.fixture
def openai_server(providers_fast, monkeypatch):
    """A fake OpenAI on a free port; the real client configured to use it."""
    server = fake_openai.FakeOpenAI()
    monkeypatch.setenv("ANCHORBOARD_OPENAI_API_KEY", fake_openai.KEY)
    providers_fast.ANCHORBOARD_OPENAI_BASE_URL = server.url
    providers_fast.ANCHORBOARD_OPENAI_IMAGE_MODELS = ["gpt-image-1.5"]
    with registered_providers():
        yield server
    server.close()


def solid(color, size=(64, 48)) -> Image.Image:
    return Image.new("RGBA", size, color)


def make_request(mode="img2img", *, anchors=(), mask=None, **kw) -> EngineRequest:
    return EngineRequest(
        mode=mode,
        source=solid(REGION_COLOR),
        mask=mask,
        anchors=tuple(Anchor(role, solid(color, (16, 16)), name) for role, color, name in anchors),
        **{"prompt": "warmer light", "seed": 11, **kw},
    )


def left_half_mask(size=(64, 48)) -> Image.Image:
    mask = Image.new("L", size, 0)
    mask.paste(255, (0, 0, size[0] // 2, size[1]))
    return mask


@pytest.fixture
def owner():
    return factories.make_user("owner")


@pytest.fixture
def board(owner):
    return factories.make_board(owner=owner)


@pytest.fixture
def image_item(board, owner, media_root):
    from assets.services import ingest_bytes

    asset = ingest_bytes(board, owner, factories.png_bytes((64, 48), REGION_COLOR[:3]), "l.png")
    return Item.objects.create(
        board=board,
        kind=ItemKind.IMAGE,
        asset=asset,
        x=0,
        y=0,
        width=64,
        height=48,
        z=1,
        created_by=owner,
    )


@pytest.fixture
def submit(board, owner, image_item):
    """submit(engine, **spec) → a queued Job over the image."""
    from canvas.jobs.queue import submit_job

    def _submit(engine, **spec):
        spec = {
            "mode": "img2img",
            "engine": engine,
            "region": REGION,
            "seed": 7,
            "prompt": "dusk",
            **spec,
        }
        return submit_job(board, owner, spec)

    return _submit


@pytest.fixture
def video_polls_fast(providers_fast):
    """Polls a few milliseconds apart: a fake task ends after two or three polls."""
    providers_fast.ANCHORBOARD_VIDEO_POLL_SECONDS = 0.01
    providers_fast.ANCHORBOARD_VIDEO_POLL_MAX_SECONDS = 0.02
    return providers_fast


@pytest.fixture
def ark_server(video_polls_fast, monkeypatch):
    """A fake ModelArk (Seedance) on a free port; the real client configured to use it."""
    server = fake_ark.FakeArk()
    monkeypatch.setenv("ANCHORBOARD_SEEDANCE_API_KEY", fake_ark.KEY)
    video_polls_fast.ANCHORBOARD_SEEDANCE_BASE_URL = server.url
    video_polls_fast.ANCHORBOARD_SEEDANCE_MODELS = [fake_ark.MODELS[0]]
    with registered_providers():
        yield server
    server.close()


@pytest.fixture
def veo_server(video_polls_fast, monkeypatch):
    """A fake Veo (Gemini API operations) on a free port; the real client uses it."""
    server = fake_veo.FakeVeo()
    monkeypatch.setenv("ANCHORBOARD_GEMINI_API_KEY", fake_veo.KEY)
    video_polls_fast.ANCHORBOARD_GEMINI_BASE_URL = server.url
    video_polls_fast.ANCHORBOARD_GEMINI_MODELS = []
    video_polls_fast.ANCHORBOARD_VEO_MODELS = [fake_veo.MODELS[0]]
    with registered_providers():
        yield server
    server.close()


def video_request(*, anchors=(), last_frame=False, **options) -> EngineRequest:
    """A video job's request: the red region as first frame, 5 s 16:9 720p by default."""
    from canvas.engines import VideoOptions

    prompt = options.pop("prompt", "slow drift of mist")
    seed = options.pop("seed", 11)
    video = VideoOptions(
        **{"duration": 4, **options},
        last_frame=solid((20, 20, 200, 255)) if last_frame else None,
    )
    return EngineRequest(
        mode="video",
        source=solid(REGION_COLOR),
        anchors=tuple(Anchor(role, solid(color, (16, 16)), name) for role, color, name in anchors),
        prompt=prompt,
        seed=seed,
        video=video,
    )
