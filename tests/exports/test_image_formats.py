"""The png kind's ``format`` option: JPEG and WebP deliveries of one image item, read back
with Pillow (format, size, the embedded sRGB profile); bad values and a signed WebP are
refused before anything is queued."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from assets import storage
from canvas.exports import runner, services
from canvas.exports.kinds import InvalidExport
from canvas.exports.models import Export, ExportState

pytestmark = pytest.mark.django_db


def _export(board, owner, item, options) -> tuple[Export, Image.Image]:
    export = services.request_export(
        board, owner, {"kind": "png", "items": [str(item.pk)], "options": options}
    )
    assert runner.run(export.pk, "host:1:w") == ExportState.READY
    export = Export.objects.get(pk=export.pk)
    with storage.open_file(export.file_key) as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return export, image


@pytest.mark.parametrize(
    ("fmt", "pillow", "mime", "extension"),
    [("jpeg", "JPEG", "image/jpeg", ".jpg"), ("webp", "WEBP", "image/webp", ".webp")],
)
def test_jpeg_and_webp_in_srgb_at_the_asked_size(
    board, owner, images, fmt, pillow, mime, extension
):
    export, image = _export(board, owner, images[0], {"format": fmt, "long_edge": 32})
    assert (image.format, export.mime_type) == (pillow, mime)
    assert export.file_name.endswith(extension)
    assert max(image.size) == 32
    profile = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
    assert "sRGB" in ImageCms.getProfileDescription(profile)


def test_png_stays_the_default(board, owner, images):
    export, image = _export(board, owner, images[0], {})
    assert image.format == "PNG" and export.file_name.endswith(".png")


def test_bad_format_and_signed_webp_are_refused(board, owner, images):
    ask = {"kind": "png", "items": [str(images[0].pk)]}
    with pytest.raises(InvalidExport, match="format must be one of png, jpeg, webp"):
        services.request_export(board, owner, {**ask, "options": {"format": "gif"}})
    with pytest.raises(InvalidExport, match="not to WebP"):
        services.request_export(
            board, owner, {**ask, "options": {"format": "webp", "content_credentials": True}}
        )
    assert not Export.objects.exists()
