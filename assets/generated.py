"""Images this server makes (job results, the composited source of a job) as stored files.

Encoded once as PNG at zlib level 1 (~6× quicker than the default on a 2048² result for
~15 % more bytes; results are made in hundreds and kept losslessly), with an alpha
channel only when some pixel is not opaque: an opaque result is stored as RGB, a quarter
less to encode and store, and its blob says it hides what is under it (canvas.compositing
culls covered layers by that). Their facts come from the image in memory, not from
decoding the bytes again (assets.inspection.describe_own_png).

Encoding and writing the file touch no database, so a job can do them on another thread
while its engine runs; ``assets.services.ingest_encoded`` records the rows afterwards.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from assets import storage
from assets.inspection import ImageFacts, describe_own_png

_PNG_MODES = {"1", "L", "LA", "RGB", "RGBA", "P", "I;16"}


@dataclass(frozen=True)
class EncodedImage:
    """PNG bytes and what they hold."""

    data: bytes
    facts: ImageFacts

    @property
    def key(self) -> str:
        return storage.original_key(self.facts.sha256)


def without_opaque_alpha(image: Image.Image) -> Image.Image:
    """``image`` as RGB when its alpha channel is 255 everywhere; otherwise unchanged."""
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        return image.convert("RGB")
    return image


def encode_png(image: Image.Image) -> EncodedImage:
    """The PNG of ``image`` (opaque alpha dropped) with its facts; raises the upload
    limits' refusals (assets.errors) when it is above them."""
    if image.mode not in _PNG_MODES:
        image = image.convert("RGBA")
    image = without_opaque_alpha(image)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    data = buffer.getvalue()
    return EncodedImage(data=data, facts=describe_own_png(image, data))


def write_file(encoded: EncodedImage) -> None:
    """Store the bytes at their content key unless a file is already there. No database:
    safe on any thread; a crash leaves at most an unreferenced file, as an upload would."""
    if not storage.exists(encoded.key):
        storage.write(encoded.key, io.BytesIO(encoded.data), expected_size=len(encoded.data))
