"""No metadata reaches a share-link guest, whatever the format and wherever it was hidden.

Each sample of tests/assets/metadata_corpus.py (JPEG, PNG, WebP, TIFF, GIF and AVIF when
this Pillow has it) is stored as a final candidate, then fetched through the guest routes a
download link opens: the original and every preview level. The served bytes are checked
structurally (chunks, markers, tags, extensions) and for the planted text; the ICC profile
must survive in the original and the pixels must match the upload (exactly, or within the
JPEG re-encoding for JPEG). Members still get the untouched original.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.test import Client
from PIL import Image, ImageOps

from assets.derivatives import build_derivatives
from tests.assets.metadata_corpus import (
    SECRET,
    TIFF_ALLOWED,
    icc_profile,
    metadata_places,
    samples,
)
from tests.review.conftest import make_candidate, make_link, member_client
from tests.sharing.test_share_links import final

SAMPLES = {sample.format: sample for sample in samples()}


def served(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def decoded(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        image.seek(0)
        upright = ImageOps.exif_transpose(image) or image
        mode = "RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB"
        return np.asarray(upright.convert(mode), dtype=np.int16)


@pytest.fixture
def stored(people):
    """{format: candidate} for the whole corpus, final (a final-only link shows them), with
    previews rendered."""
    candidates = {}
    for fmt, sample in SAMPLES.items():
        candidate = make_candidate(
            people["board"], people["owner"], data=sample.data, filename=f"secret.{fmt}"
        )
        build_derivatives(candidate.asset.blob_id)
        candidates[fmt] = final(candidate, people["owner"])
    return candidates


@pytest.mark.parametrize("fmt", list(SAMPLES))
def test_a_guest_download_has_no_metadata_but_keeps_icc_and_pixels(people, stored, fmt):
    sample = SAMPLES[fmt]
    assert metadata_places(sample.data), "the sample must carry metadata to begin with"
    _link, token = make_link(people["board"], people["owner"], permissions=["download"])

    response = Client().get(f"/s/{token}/files/{stored[fmt].asset_id}/original")

    assert response.status_code == 200
    data = served(response)
    assert metadata_places(data) == [], fmt
    with Image.open(io.BytesIO(data)) as image:
        # A TIFF's own tags are its EXIF IFD0 in Pillow: only the structural ones may be left.
        assert set(image.getexif()) <= (TIFF_ALLOWED if fmt == "TIFF" else set())
        # What Pillow's readers report about the encoding itself, never text from the file.
        assert set(image.info) <= {
            "icc_profile",
            "transparency",
            "dpi",
            "jfif",
            "jfif_version",
            "jfif_unit",
            "jfif_density",
            "compression",
            "loop",
            "duration",
            "background",
            "resolution",
        }
        if sample.has_icc:
            assert image.info.get("icc_profile") == icc_profile()
    original, copy = decoded(sample.data), decoded(data)
    assert original.shape == copy.shape
    difference = np.abs(original - copy)
    if fmt == "JPEG":  # re-encoded at quality 95, 4:4:4
        assert difference.mean() < 1.5 and difference.max() <= 16
    else:
        assert difference.max() == 0


@pytest.mark.parametrize("fmt", list(SAMPLES))
def test_guest_previews_carry_no_metadata(people, stored, fmt):
    _link, token = make_link(people["board"], people["owner"])
    asset = stored[fmt].asset
    asset.blob.refresh_from_db()
    assert asset.blob.derivative_levels, "previews were made"
    for level in asset.blob.derivative_levels:
        response = Client().get(f"/s/{token}/files/{asset.pk}/{level}.webp")
        assert response.status_code == 200
        data = served(response)
        assert metadata_places(data) == [], (fmt, level)
        assert SECRET not in data


def test_members_still_get_the_untouched_original(people, stored):
    asset = stored["JPEG"].asset
    response = member_client(people["viewer"]).get(
        f"/files/{asset.pk}/{asset.blob.sha256}/original"
    )
    assert served(response) == SAMPLES["JPEG"].data
