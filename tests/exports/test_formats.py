"""The kinds wired to the writers of assets/exports, end to end through the API: asked for,
run, downloaded, and read back with an independent reader (Pillow for PNG and its sRGB
profile, tifffile for 16-bit TIFF)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import tifffile
from django.test import Client
from PIL import Image, ImageCms

from tests.exports.conftest import client_for

pytestmark = pytest.mark.django_db


def export_and_download(client, board, body, capture):
    with capture(execute=True):
        response = client.post(
            f"/api/v1/boards/{board.pk}/exports", json.dumps(body), content_type="application/json"
        )
    assert response.status_code == 202, response.content
    export = client.get(f"/api/v1/exports/{response.json()['export']}").json()
    assert export["state"] == "ready", export
    download = Client().get(export["download_url"])
    assert download.status_code == 200
    return export, b"".join(download.streaming_content)


def test_png_of_one_image_is_srgb_with_the_profile(
    board, owner, images, django_capture_on_commit_callbacks
):
    body = {"kind": "png", "items": [str(images[0].pk)]}
    export, data = export_and_download(
        client_for(owner), board, body, django_capture_on_commit_callbacks
    )
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (64, 48)
    profile = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
    assert "sRGB" in ImageCms.getProfileDescription(profile)
    assert image.convert("RGB").getpixel((10, 10)) == (200, 40, 40)
    assert export["file_name"].endswith("_64x48.png") and export["size"] == len(data)


def test_png_of_a_frame_is_the_frames_composite_at_a_long_edge(
    board, owner, images, frame, django_capture_on_commit_callbacks
):
    body = {"kind": "png", "frame": str(frame.pk), "options": {"long_edge": 100}}
    _, data = export_and_download(
        client_for(owner), board, body, django_capture_on_commit_callbacks
    )
    image = Image.open(io.BytesIO(data)).convert("RGBA")
    assert image.size == (100, 50)  # the 200 × 100 frame, halved
    assert image.getpixel((10, 10))[:3] == (200, 40, 40)  # the first image
    assert image.getpixel((60, 10))[:3] == (40, 200, 40)  # the second, at x = 100 on the board
    assert image.getpixel((90, 40))[3] == 0  # nothing there


def test_tiff16_keeps_16_bits_and_the_icc_tag(
    board, owner, images, django_capture_on_commit_callbacks
):
    body = {"kind": "tiff16", "items": [str(images[1].pk)]}
    export, data = export_and_download(
        client_for(owner), board, body, django_capture_on_commit_callbacks
    )
    with tifffile.TiffFile(io.BytesIO(data)) as tif:
        page = tif.pages[0]
        pixels = page.asarray()
        assert pixels.dtype == np.uint16 and pixels.shape[:2] == (48, 64)
        assert 34675 in page.tags  # the ICC profile
    assert tuple(int(v) for v in pixels[5, 5, :3]) == (40 * 257, 200 * 257, 40 * 257)
    assert export["file_name"].endswith(".tif")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"kind": "png", "items": "both"}, "holds one image"),
        ({"kind": "png", "items": "frame"}, "Only images can be exported as PNG"),
        ({"kind": "tiff16", "items": "one", "options": {"scale": 9}}, "scale must be"),
        ({"kind": "png", "items": "one", "options": {"scale": 1, "long_edge": 9}}, "not both"),
    ],
)
def test_single_image_kinds_refuse_what_they_cannot_make(board, owner, images, frame, body, words):
    chosen = {
        "both": [str(i.pk) for i in images],
        "frame": [str(frame.pk)],
        "one": [str(images[0].pk)],
    }
    body = {**body, "items": chosen[body["items"]]}
    response = client_for(owner).post(
        f"/api/v1/boards/{board.pk}/exports", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400 and words in response.json()["error"]["message"]
