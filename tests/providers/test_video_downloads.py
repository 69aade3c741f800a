"""Video downloads stream to disk: a large clip is never held in memory, and one over
``ANCHORBOARD_VIDEO_MAX_CLIP_MB`` is refused while it arrives (declared or not), leaving no
partial file behind. Against the fake ModelArk and Veo serving a generated large file."""

from __future__ import annotations

import gc
import tempfile
import tracemalloc

import pytest

from canvas.engines import PermanentEngineError
from canvas.engines.registry import get_engine
from tests.providers.fakes import ark as fake_ark
from tests.providers.fakes import veo as fake_veo
from tests.providers.fakes.video_tasks import LargeClip
from tests.providers.fixtures import video_request
from tests.providers.test_video_providers import Recorder

SEEDANCE = f"seedance-{fake_ark.MODELS[0]}"
VEO = fake_veo.MODELS[0]
MB = 1024 * 1024

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip_folder(tmp_path, monkeypatch):
    """Temporary files (the clips) go to this test's own folder, so leftovers are seen."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def leftovers(folder) -> list[str]:
    gc.collect()  # a dropped VideoClip removes its file when collected
    return sorted(p.name for p in folder.glob("anchorboard-clip-*"))


def test_a_large_clip_streams_to_a_file_not_into_memory(ark_server, clip_folder, settings):
    settings.ANCHORBOARD_VIDEO_MAX_CLIP_MB = 64
    clip = LargeClip(40 * MB)
    ark_server.book.clip = clip
    tracemalloc.start()
    try:
        [result] = get_engine(SEEDANCE).run(video_request(), Recorder())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    path = result.video.path
    assert path.stat().st_size == 40 * MB and path.parent == clip_folder
    with path.open("rb") as fp:
        assert fp.read(512) == bytes(range(256)) * 2
    # Holding the clip (the old response.content) alone would be 40 MB.
    assert peak < 12 * MB, f"peak {peak / MB:.1f} MB"
    del result
    assert leftovers(clip_folder) == []  # the clip owns its file


def test_a_declared_size_over_the_cap_is_refused_before_reading(ark_server, clip_folder, settings):
    settings.ANCHORBOARD_VIDEO_MAX_CLIP_MB = 1
    ark_server.book.clip = LargeClip(3 * MB)
    with pytest.raises(PermanentEngineError) as caught:
        get_engine(SEEDANCE).run(video_request(), Recorder())
    assert caught.value.code == "provider_clip_too_large"
    assert "(3 MB) larger than the 1 MB" in caught.value.message
    assert "ANCHORBOARD_VIDEO_MAX_CLIP_MB" in caught.value.message
    assert leftovers(clip_folder) == []


def test_an_undeclared_clip_is_cut_off_at_the_cap_while_streaming(
    veo_server, clip_folder, settings
):
    """Chunked, with no Content-Length: counted as it arrives, the download stops at the
    cap (the fake could not send the rest: the client stopped reading)."""
    settings.ANCHORBOARD_VIDEO_MAX_CLIP_MB = 1
    clip = LargeClip(64 * MB, declare_length=False)
    veo_server.book.clip = clip
    with pytest.raises(PermanentEngineError) as caught:
        get_engine(VEO).run(video_request(), Recorder())
    assert caught.value.code == "provider_clip_too_large"
    assert "larger than the 1 MB" in caught.value.message
    assert clip.sent < 32 * MB
    assert leftovers(clip_folder) == []
    assert veo_server.leaked_keys == []  # the redirect to the file went without the key
