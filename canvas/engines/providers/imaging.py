"""Pixel helpers every provider shares: encoding what is sent, decoding and finishing
what comes back.

Providers differ in wire formats, not in these steps: a region goes up as PNG (shrunk to
the provider's edge limit, or flattened on white for servers that drop alpha), answers
come back as base64 or bytes of some image format, and every result leaves the engine as
RGBA at the job's output size (an upscale keeps the source's transparency). No network,
no database.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re

from PIL import Image, UnidentifiedImageError

from canvas.engines.base import EngineRequest, Mode

_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")


class UnreadableImage(ValueError):
    """Bytes or base64 text that is not a picture PIL can read."""


def png_bytes(
    image: Image.Image,
    *,
    max_edge: int | None = None,
    max_bytes: int | None = None,
    compress_level: int = 6,
) -> bytes:
    """``image`` as PNG, first shrunk (aspect kept) so its long edge is at most ``max_edge``
    and, when the file is still larger than ``max_bytes`` (a detailed photo), shrunk again
    until it fits: a provider refuses an oversized inline image outright.

    Self-hosted servers sit on the local network, so they get ``compress_level=1`` (fast);
    hosted APIs get the default (smaller uploads).
    """
    edge = max(image.size) if max_edge is None else min(max_edge, max(image.size))
    while True:
        sized = image
        if max(image.size) > edge:
            sized = image.copy()
            sized.thumbnail((edge, edge), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        sized.save(buffer, format="PNG", compress_level=compress_level)
        data = buffer.getvalue()
        if max_bytes is None or len(data) <= max_bytes or edge <= 64:
            return data
        # PNG size grows with the pixel count: aim a little under the limit.
        edge = max(64, int(edge * math.sqrt(max_bytes / len(data)) * 0.95))


def png_b64(
    image: Image.Image,
    *,
    max_edge: int | None = None,
    max_bytes: int | None = None,
    compress_level: int = 6,
) -> str:
    """``png_bytes`` as standard base64 text (what JSON APIs carry)."""
    data = png_bytes(image, max_edge=max_edge, max_bytes=max_bytes, compress_level=compress_level)
    return base64.b64encode(data).decode("ascii")


def on_white(image: Image.Image) -> Image.Image:
    """RGB, transparent parts shown on white as on the board: for servers that work in RGB
    (A1111) or drop alpha on load (ComfyUI's ``LoadImage``)."""
    if image.mode != "RGBA":
        return image.convert("RGB")
    base = Image.new("RGB", image.size, (255, 255, 255))
    base.paste(image, mask=image.getchannel("A"))
    return base


def round8(value: int) -> int:
    """Stable Diffusion works on 8-pixel latent cells; other sizes get cropped or padded."""
    return max(8, round(value / 8) * 8)


def closest_aspect(size: tuple[int, int], options: tuple[str, ...]) -> str:
    """The option (``"16:9"`` or ``"1536x1024"``) whose aspect ratio is closest to ``size``'s,
    compared on a log scale so 2:1 and 1:2 are equally far from 1:1."""
    target = math.log(size[0] / size[1])

    def distance(option: str) -> float:
        w, h = re.split("[:x]", option)
        return abs(math.log(int(w) / int(h)) - target)

    return min(options, key=distance)


def open_image(data: bytes) -> Image.Image:
    """Decoded, fully loaded image; ``UnreadableImage`` when it is not one."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise UnreadableImage(str(exc)) from None
    return image


def b64_image(text: object) -> Image.Image:
    """An image from base64 text as providers send it: standard or URL-safe alphabet,
    padded or not, line breaks allowed, optionally a ``data:`` URL."""
    if not isinstance(text, str) or not text:
        raise UnreadableImage("no image data")
    if text.startswith("data:"):
        text = text.partition(",")[2]
    text = "".join(text.split()).rstrip("=").replace("-", "+").replace("_", "/")
    if _NOT_BASE64.search(text):
        raise UnreadableImage("not base64")
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise UnreadableImage("not base64") from None
    return open_image(data)


def finish(image: Image.Image, request: EngineRequest, size: tuple[int, int] | None) -> Image.Image:
    """A provider's answer as the engine contract wants it: RGBA at the job's output size.

    Providers choose their own output sizes (1024², 1536×1024, multiples of 8, …); the
    result must cover the region exactly so inpaint results can be pasted back through the
    mask. Upscalers work in RGB, so an upscale gets the source's transparency back.
    """
    image = image.convert("RGBA")
    if size is not None and image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    if request.mode == Mode.UPSCALE and request.source is not None:
        alpha = request.source.getchannel("A")
        if alpha.getextrema() != (255, 255):
            image.putalpha(alpha.resize(image.size, Image.Resampling.LANCZOS))
    return image
