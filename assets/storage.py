"""Where image bytes live: content-addressed keys on Django's default storage.

Keys depend only on the content hash, so the same bytes always land at the same key:

- ``originals/ab/cd/<sha256>``          the uploaded file, byte for byte
- ``derivatives/<sha256>/<level>.webp`` WebP previews, ``level`` = long edge in pixels
- ``atlases/ab/<digest>.webp``          atlas sheets (assets.atlas), ``digest`` names the
                                        thumbnails in the sheet and where they sit
- ``clips/<sha256>/clean.mp4``          a clip without metadata, for share-link guests
                                        (assets.clips.clean_copy)

Works with FileSystemStorage (the embedded default) and S3 through django-storages. A
file existing at a key proves nothing: the ``Blob`` row is the commit point, and a key
without its row is simply written again. Local writes go to a temporary file that is
fsynced and renamed into place; an S3 PUT is atomic by itself. Either way a reader never
sees half a file at a key.

This module moves bytes only. It must not decide whether a file is acceptable
(assets.inspection) or touch the database (assets.services).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import IO

from django.core.files import File
from django.core.files.storage import Storage, storages

from foundation.errors import AppError

logger = logging.getLogger(__name__)

COPY_CHUNK = 1024 * 1024


class StorageWriteFailed(AppError):
    status = 503
    code = "storage_unavailable"
    default_message = (
        "The file could not be saved because storage is unavailable. "
        "Nothing was changed; try the upload again in a minute."
    )


def get_storage() -> Storage:
    """The default storage, looked up per call so settings overrides take effect."""
    return storages["default"]


def original_key(sha256: str) -> str:
    return f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def derivative_key(sha256: str, level: int) -> str:
    return f"derivatives/{sha256}/{int(level)}.webp"


ATLAS_PREFIX = "atlases/"
# What a local write names its file until it is whole (``_write_local``).
PARTIAL_PREFIX = ".partial-"
_ATLAS_KEY = re.compile(r"atlases/([0-9a-f]{2})/(\1[0-9a-f]{62})\.webp")


def atlas_key(digest: str) -> str:
    return f"{ATLAS_PREFIX}{digest[:2]}/{digest}.webp"


def atlas_digest(key: str) -> str | None:
    """The digest of the sheet stored at ``key`` (``atlas_key``'s inverse); None for any
    other key."""
    match = _ATLAS_KEY.fullmatch(key)
    return match.group(2) if match else None


def is_partial(key: str) -> bool:
    """A local write's temporary file (left behind only if its process died mid-write)."""
    return key.rpartition("/")[2].startswith(PARTIAL_PREFIX)


def clean_clip_key(sha256: str) -> str:
    return f"clips/{sha256}/clean.mp4"


def _local_path(storage: Storage, key: str) -> Path | None:
    try:
        return Path(storage.path(key))
    except NotImplementedError:
        return None


def write(key: str, fp: IO[bytes], *, expected_size: int | None = None) -> None:
    """Store the bytes of ``fp`` at exactly ``key``, replacing whatever is there.

    Raises StorageWriteFailed if the bytes could not be stored completely; in that case
    nothing new is left at ``key``.
    """
    storage = get_storage()
    fp.seek(0)
    try:
        path = _local_path(storage, key)
        if path is not None:
            _write_local(storage, path, fp)
        else:
            _write_remote(storage, key, fp)
        if expected_size is not None and storage.size(key) != expected_size:
            raise OSError(f"stored size of {key} differs from {expected_size}")
    except StorageWriteFailed:
        raise
    except Exception as exc:
        logger.exception("could not write %s to storage", key)
        raise StorageWriteFailed() from exc
    finally:
        fp.seek(0)


def _write_local(storage: Storage, path: Path, fp: IO[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=PARTIAL_PREFIX)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := fp.read(COPY_CHUNK):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        mode = getattr(storage, "file_permissions_mode", None) or 0o644
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)  # atomic: readers see the old file or the whole new one
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def _write_remote(storage: Storage, key: str, fp: IO[bytes]) -> None:
    # With file_overwrite=False, django-storages would pick another name; clear the way so
    # the content-addressed key is the one written.
    if not getattr(storage, "file_overwrite", False) and storage.exists(key):
        storage.delete(key)
    name = storage.save(key, File(fp, name=key))
    if name != key:
        delete_quietly(name)
        raise OSError(f"storage wrote {name!r} instead of {key!r}")


def write_bytes(key: str, data: bytes) -> None:
    write(key, io.BytesIO(data), expected_size=len(data))


def exists(key: str) -> bool:
    return get_storage().exists(key)


def open_file(key: str) -> File:
    """Open stored bytes as a seekable file (for decoding). On S3 this downloads the object."""
    return get_storage().open(key, "rb")


class _S3Stream:
    """A read-only, forward-only view of an S3 object body, for streaming responses.

    ``tell`` counts from ``offset``, where a ranged GET started, so a reader can see that
    the stream already stands at the window it wants (canvas.library.ranges)."""

    def __init__(self, body, size: int | None, offset: int = 0) -> None:
        self._body = body
        self.size = size
        self._position = offset

    def read(self, amount: int = -1) -> bytes:
        chunk = self._body.read(None if amount is None or amount < 0 else amount)
        self._position += len(chunk)
        return chunk

    def tell(self) -> int:
        return self._position

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self._body.close()


def _object_size(response: dict, fallback: int | None) -> int | None:
    """The whole object's size from a (ranged) GET: ``Content-Range: bytes a-b/size``."""
    content_range = response.get("ContentRange") or ""
    total = content_range.rpartition("/")[2]
    return int(total) if total.isdigit() else fallback


def open_stream(
    key: str, byte_range: tuple[int, int] | None = None
) -> tuple[IO[bytes], int | None]:
    """Open stored bytes for sending to a client, chunk by chunk; returns (file, size of the
    whole file when known).

    django-storages' S3 file object downloads the whole object before the first read
    (into memory unless AWS_S3_MAX_MEMORY_SIZE is set), so S3 objects are read straight
    from the GET response body instead. With ``byte_range`` (inclusive, already checked
    against the size) the file stands at its start: on S3 a ranged GET (``Range:
    bytes=a-b``) so only those bytes leave the bucket, locally a seek. Raises
    FileNotFoundError for a missing key.
    """
    storage = get_storage()
    bucket = getattr(storage, "bucket", None)
    normalise = getattr(storage, "_normalize_name", None)
    if bucket is None or normalise is None:
        handle = storage.open(key, "rb")
        if byte_range is not None:
            handle.seek(byte_range[0])
        return handle, None
    from botocore.exceptions import ClientError

    extra = {"Range": f"bytes={byte_range[0]}-{byte_range[1]}"} if byte_range else {}
    try:
        response = bucket.Object(normalise(key)).get(**extra)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise FileNotFoundError(key) from exc
        raise
    size = response.get("ContentLength")
    if byte_range is not None:
        size = _object_size(response, None)
    offset = byte_range[0] if byte_range else 0
    return _S3Stream(response["Body"], size, offset), size  # type: ignore[return-value]


def delete(key: str) -> None:
    """Remove a key if present; a storage error is raised (the caller keeps its record and
    tries again later). Deleting a missing key is not an error, locally or on S3."""
    get_storage().delete(key)


def delete_quietly(key: str) -> None:
    """Remove a key if present; storage errors are logged, not raised (used in cleanup)."""
    try:
        get_storage().delete(key)
    except Exception:
        logger.warning("could not delete %s from storage", key, exc_info=True)


@dataclass(frozen=True)
class StoredFile:
    """A key found in storage, and when it was last written where storage says
    (``None`` where it cannot)."""

    key: str
    modified: datetime | None


def list_files(prefix: str, *, start_after: str = "", limit: int = 1000) -> list[StoredFile]:
    """Up to ``limit`` keys under the folder ``prefix`` (ending in "/"), in key order, each
    after ``start_after``, with their modified times: for sweeps that look at every file a
    page at a time (canvas.atlas.orphans).

    Local storage: a sorted walk that skips folders wholly before ``start_after``, times
    from the file system. S3: one listing request per 1,000 keys from ``start_after`` on
    (``Marker``), times from the listing itself (no request per object). Any other
    storage: ``listdir`` and ``get_modified_time``.
    """
    storage = get_storage()
    bucket = getattr(storage, "bucket", None)
    normalise = getattr(storage, "_normalize_name", None)
    if bucket is not None and normalise is not None:
        found: Iterator[StoredFile] = _s3_files(bucket, normalise, prefix, start_after)
    else:
        found = _walk(storage, prefix, start_after)
    return list(islice(found, max(0, limit)))


def _s3_files(bucket, normalise, prefix: str, start_after: str) -> Iterator[StoredFile]:
    full = normalise(prefix)
    location = full[: len(full) - len(prefix)]  # the storage's own folder in the bucket
    listing = {"Prefix": full}
    if start_after:
        listing["Marker"] = normalise(start_after)  # ListObjects: keys after it
    for item in bucket.objects.filter(**listing):
        yield StoredFile(item.key[len(location) :], item.last_modified)


def _walk(storage: Storage, folder: str, start_after: str) -> Iterator[StoredFile]:
    try:
        folders, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    entries = [(folder + name + "/", True) for name in folders]
    entries += [(folder + name, False) for name in files]
    for key, is_folder in sorted(entries):
        if is_folder:
            # Skip a folder every key of which sorts before the marker.
            if key < start_after and not start_after.startswith(key):
                continue
            yield from _walk(storage, key, start_after)
        elif key > start_after:
            yield StoredFile(key, _modified(storage, key))


def _modified(storage: Storage, key: str) -> datetime | None:
    path = _local_path(storage, key)
    try:
        if path is not None:
            return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        return storage.get_modified_time(key)
    except (NotImplementedError, FileNotFoundError):
        return None
