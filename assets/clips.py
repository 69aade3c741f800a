"""Adding video files (generated clips) to a board's library.

A clip is stored like an image: one ``Blob`` per content hash (the bytes untouched in
storage, under the same key scheme), one ``Asset`` per board, so the same access rules,
file URLs (``/files/<asset>/<sha256>/original``, with HTTP Range for seeking) and board
deletion apply. What differs: the facts come from probing the file
(``assets.video.probe``) instead of Pillow, and no WebP previews are made — a clip's
poster is an ordinary image asset of its own.

Share-link guests are sent ``clean_copy``: the browser MP4 re-muxed without any metadata
(``assets.video.clean``), made on first demand and kept by the clip's hash.

Callers check permissions first and pass a probe they already made. Files are read from
a path in chunks, never whole into memory. This module knows boards only as the row the
asset points to (assets never imports canvas).
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from django.db import transaction

from assets import storage
from assets.models import Asset, AssetSource, Blob, DerivativeState
from assets.services import sanitize_filename
from assets.video.clean import clean_mp4

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
MIME = {"mp4": "video/mp4", "mov": "video/quicktime"}
VIDEO_FORMATS = ("MP4", "MOV")  # Blob.format of video files (images use Pillow's names)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fp:
        while chunk := fp.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def ingest_clip(
    board: Any,  # a canvas Board
    user: Any,
    path: str | Path,
    filename: str,
    *,
    width: int,
    height: int,
    frame_count: int,
    has_alpha: bool = False,
    source: str = AssetSource.GENERATED,
) -> Asset:
    """Store the video at ``path`` (``.mp4`` or ``.mov``) as an asset of ``board``."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in MIME:
        raise ValueError(f"not a video file this library keeps: {path.name}")
    sha = sha256_of(path)
    key = storage.original_key(sha)
    size = path.stat().st_size
    wrote = False
    if not Blob.objects.filter(pk=sha).exists() or not storage.exists(key):
        with path.open("rb") as fp:
            storage.write(key, fp, expected_size=size)
        wrote = True
    try:
        with transaction.atomic():
            blob, _ = Blob.objects.get_or_create(
                sha256=sha,
                defaults={
                    "storage_key": key,
                    "format": suffix.upper(),
                    "mime_type": MIME[suffix],
                    "size_bytes": size,
                    "width": width,
                    "height": height,
                    "stored_width": width,
                    "stored_height": height,
                    "mode": "RGBA" if has_alpha else "RGB",
                    "has_alpha": has_alpha,
                    "frame_count": frame_count,
                    # No WebP levels for a clip: nothing to make, nothing pending.
                    "derivative_state": DerivativeState.READY,
                },
            )
            asset = Asset.objects.create(
                board=board,
                blob=blob,
                filename=sanitize_filename(filename, suffix.upper()),
                source=source,
                created_by=user if getattr(user, "is_authenticated", False) else None,
            )
    except Exception:
        if wrote and not Blob.objects.filter(pk=sha).exists():
            storage.delete_quietly(key)
        raise
    logger.info("clip %s added to board %s (%s, %d bytes)", asset.pk, board.pk, suffix, size)
    return asset


@dataclass(frozen=True)
class StoredClip:
    key: str
    size: int


def clean_copy(blob: Blob) -> StoredClip:
    """The clip of ``blob`` without metadata (``assets.video.clean``), for guests: made once
    and kept at ``storage.clean_clip_key``; the same bytes every time, so two guests making
    it at once write the same file. Raises ``OSError`` when the stored clip is missing and
    ``VideoUnreadable`` when it cannot be re-muxed."""
    key = storage.clean_clip_key(blob.sha256)
    store = storage.get_storage()
    if storage.exists(key):
        return StoredClip(key, store.size(key))
    with tempfile.TemporaryDirectory(prefix="clip-") as folder:
        out = Path(folder) / "clean.mp4"
        with storage.open_file(blob.storage_key) as handle:
            clean_mp4(cast(BinaryIO, handle), out)  # a storage File: read/seek/tell
        size = out.stat().st_size
        with out.open("rb") as fp:
            storage.write(key, fp, expected_size=size)
    logger.info("clean copy of clip %s made (%d bytes)", blob.sha256[:12], size)
    return StoredClip(key, size)
