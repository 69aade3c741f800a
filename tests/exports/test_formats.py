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


@pytest.mark.parametrize(
    ("options", "compression"),
    [({}, tifffile.COMPRESSION.ADOBE_DEFLATE), ({"compression": "lzw"}, tifffile.COMPRESSION.LZW)],
)
def test_tiff16_keeps_16_bits_and_the_icc_tag(
    board, owner, images, options, compression, django_capture_on_commit_callbacks
):
    from assets.exports.pixels import srgb_profile

    body = {"kind": "tiff16", "items": [str(images[1].pk)], "options": options}
    export, data = export_and_download(
        client_for(owner), board, body, django_capture_on_commit_callbacks
    )
    with tifffile.TiffFile(io.BytesIO(data)) as tif:
        page = tif.pages[0]
        pixels = page.asarray()
        assert pixels.dtype == np.uint16 and pixels.shape[:2] == (48, 64)
        assert page.tags[34675].value == srgb_profile()
        assert page.compression == compression
    assert tuple(int(v) for v in pixels[5, 5, :3]) == (40 * 257, 200 * 257, 40 * 257)
    assert export["file_name"].endswith(".tif")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"kind": "png", "items": "both"}, "holds one image"),
        ({"kind": "png", "items": "frame"}, "Only images can be exported as PNG"),
        ({"kind": "tiff16", "items": "one", "options": {"scale": 9}}, "scale must be"),
        ({"kind": "tiff16", "items": "one", "options": {"compression": "jpeg"}}, "deflate, lzw"),
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


def made_result(board, owner, images):
    """A job's approved result on the board (test-echo, seed 11, "misty cliffs"), made with
    ``images[1]`` as its palette anchor ("Brand palette"): (job, result, its item, anchor)."""
    from canvas.jobs import queue, runner
    from canvas.models import Item
    from canvas.permissions import Principal
    from canvas.review.decisions import set_decision
    from tests.jobs import engines  # noqa: F401  (registers test-echo)

    anchor = images[1]
    Item.objects.filter(pk=anchor.pk).update(anchor_role="palette", name="Brand palette")
    region = {"x": 0, "y": 0, "width": 32, "height": 24}
    job = queue.submit_job(
        board, owner,
        {"mode": "img2img", "engine": "test-echo", "region": region, "seed": 11,
         "prompt": "misty cliffs", "anchors": [{"item_id": str(anchor.pk), "role": "palette"}]},
    )  # fmt: skip
    claim = queue.claim_next("zip-test")
    runner.execute(claim.job_id, "zip-test")
    result = job.iterations.get()
    set_decision(result, Principal(user=owner), status="approved")
    result_item = Item.objects.create(
        board=board, kind="image", asset=result.asset, name="Hero", width=32, height=24, z=5
    )
    return job, result, result_item, anchor


def test_zip_packs_the_files_as_stored_with_sidecars_and_a_provenance_manifest(
    board, owner, images, django_capture_on_commit_callbacks
):
    import csv
    import hashlib
    import zipfile

    job, result, result_item, anchor = made_result(board, owner, images)
    body = {"kind": "zip", "items": [str(images[0].pk), str(result_item.pk)]}
    export, data = export_and_download(
        client_for(owner), board, body, django_capture_on_commit_callbacks
    )
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    manifest = json.loads(archive.read("manifest.json"))
    files = {f["asset"]: f for f in manifest["files"]}
    made = files[str(result.asset_id)]
    assert made["job"] == str(job.pk) and made["engine"] == "test-echo" and made["seed"] == 11
    assert made["prompt"] == "misty cliffs"
    assert made["anchors"] == [
        {"role": "palette", "name": "Brand palette", "sha256": anchor.asset.blob_id}
    ]
    assert [d["decision"] for d in made["decisions"]] == ["approved"]
    for entry in manifest["files"]:
        content = archive.read(entry["file_name"])
        assert (
            hashlib.sha256(content).hexdigest() == entry["sha256"] and len(content) == entry["size"]
        )
        assert (
            json.loads(archive.read(entry["file_name"] + ".json"))["file"]["sha256"]
            == entry["sha256"]
        )
    uploaded = files[str(images[0].asset_id)]
    assert uploaded["job"] is None and uploaded["file_name"].startswith("Campaign_")
    # Content Credentials (on by default here: the development identity signs): the PNG the
    # job made is signed under its name in the package, and the manifest says so; the
    # upload is the stored file, byte for byte, unsigned.
    assert made["content_credentials"] is True and uploaded["content_credentials"] is False
    assert json.loads(archive.read(made["file_name"] + ".json"))["file"]["content_credentials"]
    found = _credentials(archive.read(made["file_name"]))
    assert found is not None and found.state == "Trusted" and found.ai_generated
    assert found.engine == "test-echo" and found.title == made["file_name"]
    assert found.ingredients == (("Brand palette", "palette", anchor.asset.blob_id),)
    assert _credentials(archive.read(uploaded["file_name"])) is None
    assert uploaded["sha256"] == images[0].asset.blob_id
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert {r["asset"] for r in rows} == set(files)
    assert export["file_name"].endswith(".zip")


def test_zip_refuses_a_bad_template(board, owner, images):
    body = {"kind": "zip", "items": [str(images[0].pk)], "options": {"template": "{nope}"}}
    response = client_for(owner).post(
        f"/api/v1/boards/{board.pk}/exports", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400 and "nope" in response.json()["error"]["message"]


def test_psd_of_a_frame_has_a_layer_per_image_in_paint_order_and_hidden_anchors(
    board, owner, images, frame, django_capture_on_commit_callbacks
):
    from psd_tools import PSDImage

    from canvas.models import Item

    Item.objects.filter(pk=images[0].pk).update(name="Backdrop", opacity=0.5)
    Item.objects.filter(pk=images[1].pk).update(name="Palette", anchor_role="palette")
    body = {"kind": "psd", "frame": str(frame.pk)}
    export, data = export_and_download(
        client_for(owner), board, body, django_capture_on_commit_callbacks
    )
    psd = PSDImage.open(io.BytesIO(data))
    assert psd.size == (200, 100)
    top_level = list(psd)
    pixel_layers = [layer for layer in top_level if layer.kind == "pixel"]
    groups = [layer for layer in top_level if layer.is_group()]
    assert [layer.name for layer in pixel_layers] == ["Backdrop"]
    assert pixel_layers[0].offset == (0, 0) and pixel_layers[0].opacity == 128
    (anchors,) = groups
    assert not anchors.visible and [layer.name for layer in anchors] == ["Palette"]
    assert next(iter(anchors)).offset == (100, 0)
    flat = psd.composite().convert("RGBA")
    # The board's composite, stored as the merged image (matted over white and back: ±2).
    red = flat.getpixel((10, 10))[:3]
    assert all(abs(a - b) <= 2 for a, b in zip(red, (200, 40, 40), strict=True))
    assert export["file_name"].endswith("_200x100.psd")


def test_pdf_contact_sheet_lists_the_images_with_their_names(
    board, owner, images, django_capture_on_commit_callbacks
):
    from pypdf import PdfReader

    from canvas.exports import kinds
    from canvas.exports.formats.sheet import SHEET
    from canvas.models import Item

    kinds._KINDS["pdf"] = SHEET  # the real writer (the fake kind of other tests is "pdf" too)
    Item.objects.filter(pk=images[0].pk).update(name="Cliffs at dawn")
    body = {
        "kind": "pdf",
        "items": [str(i.pk) for i in images],
        "options": {"columns": 2, "rows": 1},
    }
    export, data = export_and_download(
        client_for(owner), board, body, django_capture_on_commit_callbacks
    )
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Cliffs at dawn" in text and "Campaign" in text
    assert export["file_name"].endswith("contact-sheet.pdf")


def _credentials(data: bytes, mime_type: str = "image/png"):
    """The file's Content Credentials as c2pa-python's reader sees them, trusting the
    development CA that signs exports in tests."""
    from assets.exports.credentials import verify_image
    from assets.exports.dev_identity import dev_identity

    return verify_image(io.BytesIO(data), mime_type, trust_anchors=dev_identity().ca_pem)


def test_png_of_a_result_carries_content_credentials_by_default(
    board, owner, images, django_capture_on_commit_callbacks
):
    _, _, result_item, anchor = made_result(board, owner, images)
    body = {"kind": "png", "items": [str(result_item.pk)]}
    export, data = export_and_download(
        client_for(owner), board, body, django_capture_on_commit_callbacks
    )
    found = _credentials(data)
    assert found is not None and found.state == "Trusted" and found.failures == ()
    assert found.ai_generated  # c2pa.created, trainedAlgorithmicMedia
    assert found.engine == "test-echo"
    assert found.title == export["file_name"]
    assert found.ingredients == (("Brand palette", "palette", anchor.asset.blob_id),)
    # Still the PNG the writer made: sRGB profile, pixels readable.
    assert "icc_profile" in Image.open(io.BytesIO(data)).info


def test_content_credentials_off_upload_or_tiff_means_no_manifest(
    board, owner, images, django_capture_on_commit_callbacks
):
    _, _, result_item, _ = made_result(board, owner, images)
    client = client_for(owner)
    off = {"kind": "png", "items": [str(result_item.pk)], "options": {"content_credentials": False}}
    _, data = export_and_download(client, board, off, django_capture_on_commit_callbacks)
    assert _credentials(data) is None
    # An upload: nothing to attest, so not signed even with the option on.
    upload = {"kind": "png", "items": [str(images[0].pk)], "options": {"content_credentials": True}}
    _, data = export_and_download(client, board, upload, django_capture_on_commit_callbacks)
    assert _credentials(data) is None


def test_zip_with_content_credentials_off_signs_nothing(
    board, owner, images, django_capture_on_commit_callbacks
):
    import zipfile

    _, result, result_item, _ = made_result(board, owner, images)
    body = {
        "kind": "zip",
        "items": [str(result_item.pk)],
        "options": {"content_credentials": False},
    }
    _, data = export_and_download(
        client_for(owner), board, body, django_capture_on_commit_callbacks
    )
    archive = zipfile.ZipFile(io.BytesIO(data))
    (made,) = json.loads(archive.read("manifest.json"))["files"]
    assert made["content_credentials"] is False and made["sha256"] == result.asset.blob_id
    assert _credentials(archive.read(made["file_name"])) is None


@pytest.mark.parametrize(
    ("kind", "value", "production", "words"),
    [
        ("png", "yes", False, "content_credentials must be true or false"),
        ("tiff16", True, False, "not to TIFF"),
        ("zip", True, True, "no Content Credentials certificate"),
    ],
)
def test_content_credentials_refusals(
    board, owner, images, settings, kind, value, production, words
):
    if production:
        settings.DJANGO_ENV = "production"
    body = {"kind": kind, "items": [str(images[0].pk)], "options": {"content_credentials": value}}
    response = client_for(owner).post(
        f"/api/v1/boards/{board.pk}/exports", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400 and words in response.json()["error"]["message"]


def test_psd_over_the_pixel_cap_is_refused_before_it_is_queued(
    board, owner, images, frame, settings
):
    """The frame is 200 × 100 and its two images 64 × 48 each: 26,144 pixels in all,
    52,288 at 16 bits (which count twice), against a cap of 40,000."""
    from canvas.exports.models import Export

    settings.ANCHORBOARD_EXPORT_PSD_MAX_PIXELS = 40_000
    client = client_for(owner)
    url = f"/api/v1/boards/{board.pk}/exports"
    deep = {"kind": "psd", "frame": str(frame.pk), "options": {"depth": 16}}
    response = client.post(url, json.dumps(deep), content_type="application/json")
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "ANCHORBOARD_EXPORT_PSD_MAX_PIXELS" in message and "16 bits" in message
    assert not Export.objects.exists()
    eight = {"kind": "psd", "frame": str(frame.pk)}
    response = client.post(url, json.dumps(eight), content_type="application/json")
    assert response.status_code == 202, response.content
