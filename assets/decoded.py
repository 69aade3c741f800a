"""Decoded originals kept in memory per process, keyed by their content (SHA-256).

A blob's bytes never change (the key is their hash), so its decoded pixels can be reused
by every job, export and composite of this process that needs them: a batch of 500 jobs
over one board image decodes it once per worker process instead of reading it from
object storage 500 times. Bounded by ``ANCHORBOARD_DECODED_CACHE_MB`` of pixels, least
recently used first out; an image above a quarter of the budget is never kept.

Callers get their own copy: what they do to it never reaches the cache. This module
decodes nothing itself (canvas.compositing.open_original does) and never imports canvas.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from PIL import Image

from foundation import config, knobs

_lock = threading.Lock()
_images: OrderedDict[str, Image.Image] = OrderedDict()
_bytes = 0


def _size(image: Image.Image) -> int:
    return image.width * image.height * len(image.getbands())


def _budget() -> int:
    return int(config.read(knobs.DECODED_CACHE_MB) * 1024 * 1024)


def get_or_decode(sha256: str, decode: Callable[[], Image.Image]) -> Image.Image:
    """A copy of the decoded image of blob ``sha256``, calling ``decode`` only when it is
    not cached. Two threads missing together both decode (correct, merely wasted work)."""
    global _bytes
    with _lock:
        cached = _images.get(sha256)
        if cached is not None:
            _images.move_to_end(sha256)
    if cached is not None:
        return cached.copy()
    image = decode()
    size, budget = _size(image), _budget()
    if 0 < size <= budget // 4:
        kept = image.copy()
        with _lock:
            if sha256 not in _images:
                _images[sha256] = kept
                _bytes += size
            while _bytes > budget and _images:
                _, dropped = _images.popitem(last=False)
                _bytes -= _size(dropped)
    return image


def clear() -> None:
    """Forget every cached image (tests; a process that wants its memory back)."""
    global _bytes
    with _lock:
        _images.clear()
        _bytes = 0
