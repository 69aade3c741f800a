"""Adding images to a board: validate, store once, record, schedule previews.

``ingest_upload`` is the single way bytes become an ``Asset``: uploads from the API, results
of generation jobs and demo data all pass through it, so every stored file has been
validated by assets.inspection and is deduplicated by content hash.

Callers check permissions first (canvas.permissions.require(..., Perm.EDIT)); these
functions assume the caller may add to the board. They must not build HTTP responses, and
they know boards only as the model the ``Asset`` row points to: what a new asset means for
its board is for the board's owner to decide, told through ``assets.signals.asset_added``.

Failure guarantees: a rejected file stores nothing and creates no rows. If storing or
recording fails, a file this call wrote is removed again unless a committed ``Blob`` row
already points at it; rows and files of earlier uploads are never changed.
"""

from __future__ import annotations

import io
import logging
import tempfile
import unicodedata
from collections.abc import Sequence
from datetime import timedelta
from typing import IO, Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from assets import storage
from assets.errors import FileTooLarge, UploadRejected
from assets.generated import EncodedImage
from assets.inspection import ImageFacts, inspect_image
from assets.models import Asset, AssetSource, Blob, DerivativeState
from assets.signals import asset_added
from foundation import config, knobs
from foundation.background import dispatch_now, run_after_commit

logger = logging.getLogger(__name__)

DERIVATIVES_TASK = "assets.derivatives"
MAX_FILENAME = 200
EXTENSIONS = {
    "PNG": "png",
    "JPEG": "jpg",
    "WEBP": "webp",
    "TIFF": "tif",
    "GIF": "gif",
    "AVIF": "avif",
    "HEIF": "heic",
}


def sanitize_filename(name: str | None, fmt: str) -> str:
    """A display/download name: no directories, NFC, no control characters, capped length.

    Non-ASCII letters are kept (designers name files in their own language); the name is
    never used as a storage path, so this is about clean display and safe downloads.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Category C covers control characters and invisible format characters such as the
    # right-to-left override that can disguise "gnp.exe" as "exe.png".
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = name.strip().lstrip(".").strip()
    if not name:
        name = f"image.{EXTENSIONS.get(fmt, 'img')}"
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 10:
            name = stem[: MAX_FILENAME - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_FILENAME].rstrip()
    return name


def _seekable(fileobj: IO[bytes] | File) -> IO[bytes]:
    """A seekable view of the upload; non-seekable streams are spooled, up to the limit."""
    seekable = getattr(fileobj, "seekable", None)
    if callable(seekable) and seekable():
        fileobj.seek(0)
        return fileobj
    limit = config.read(knobs.MAX_UPLOAD_BYTES)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    copied = 0
    while chunk := fileobj.read(1024 * 1024):
        copied += len(chunk)
        if copied > limit:
            spool.close()
            raise FileTooLarge(
                f"This file is larger than the upload limit of {limit // (1024 * 1024)} MB. "
                "Export it at a smaller size or with more compression and upload it again."
            )
        spool.write(chunk)
    spool.seek(0)
    return spool


def _store_blob(facts: ImageFacts, fp: IO[bytes]) -> tuple[Blob | None, bool]:
    """Make sure the original bytes are stored; return (existing blob or None, wrote_file)."""
    blob = Blob.objects.filter(pk=facts.sha256).first()
    if blob is not None:
        if not storage.exists(blob.storage_key):
            # The row says the file exists but it is gone: repair it from these same bytes.
            logger.warning("original of blob %s was missing; rewriting it", blob.sha256)
            storage.write(blob.storage_key, fp, expected_size=facts.size_bytes)
        return blob, False
    storage.write(storage.original_key(facts.sha256), fp, expected_size=facts.size_bytes)
    return None, True


def _validated(
    fileobj: IO[bytes] | File, filename: str | None, where: str
) -> tuple[IO[bytes], ImageFacts]:
    """(seekable file, ImageFacts), or UploadRejected (logged) if the file is unfit."""
    fp = _seekable(fileobj)
    try:
        return fp, inspect_image(fp)
    except UploadRejected as exc:
        logger.info("upload %r rejected%s: %s (%s)", filename, where, exc.code, exc.message)
        raise


def _record_blob(facts: ImageFacts, blob: Blob | None, key: str, previews: bool = True) -> Blob:
    """The Blob row for stored bytes (inside the caller's transaction); previews scheduled
    after commit unless ``previews`` is False (the caller then calls ``schedule_previews``)."""
    if blob is None:
        blob, created = Blob.objects.get_or_create(
            sha256=facts.sha256, defaults={**facts.blob_fields(), "storage_key": key}
        )
        if created and previews:
            run_after_commit(DERIVATIVES_TASK, blob.sha256)
    elif blob.derivative_state == DerivativeState.FAILED and previews:
        # A re-upload is a natural moment to retry previews that failed before.
        run_after_commit(DERIVATIVES_TASK, blob.sha256)
    return blob


def schedule_previews(blobs: list[Blob]) -> None:
    """Build the previews of these blobs once the surrounding transaction commits, unless
    they are ready: what ``ingest_encoded(..., previews=False)`` left to its caller, who
    schedules them after what must not wait for them (a job's final state)."""
    due = {blob.sha256 for blob in blobs if blob.derivative_state != DerivativeState.READY}
    for sha256 in sorted(due):
        run_after_commit(DERIVATIVES_TASK, sha256)


def ingest_blob(fileobj: IO[bytes] | File, filename: str | None) -> tuple[Blob, str]:
    """Validate and store bytes that belong to no board (a team's brand-kit references).

    The same checks, limits and deduplication as ``ingest_upload``; returns the Blob and the
    sanitised file name. The caller records who may see it (assets knows no teams).
    """
    fp, facts = _validated(fileobj, filename, "")
    blob, wrote = _store_blob(facts, fp)
    key = storage.original_key(facts.sha256)
    try:
        with transaction.atomic():
            blob = _record_blob(facts, blob, key)
    except Exception:
        if wrote and not Blob.objects.filter(pk=facts.sha256).exists():
            storage.delete_quietly(key)
        raise
    return blob, sanitize_filename(filename, facts.format)


def ingest_upload(
    board: Any,  # a canvas Board: assets never imports canvas (see assets.signals)
    user,
    fileobj: IO[bytes] | File,
    filename: str | None,
    *,
    source: str = AssetSource.UPLOAD,
) -> Asset:
    """Validate ``fileobj`` and add it to ``board``'s library; raise UploadRejected if unfit."""
    fp, facts = _validated(fileobj, filename, f" on board {board.pk}")
    blob, wrote = _store_blob(facts, fp)
    return _add_asset(board, user, facts, blob, wrote, filename, source)


def ingest_encoded(
    board: Any,
    user,
    encoded: EncodedImage,
    filename: str | None,
    *,
    source: str = AssetSource.GENERATED,
    written: bool = False,
    previews: bool = True,
) -> Asset:
    """``ingest_upload`` for an image this server encoded (assets.generated): its facts are
    known, so nothing is decoded again. ``written``: the bytes are already stored
    (``store_encoded``, or ``generated.write_file`` on another thread); ``previews`` False:
    the caller schedules them (``schedule_previews``) after what must not wait for them."""
    if written:
        blob, wrote = Blob.objects.filter(pk=encoded.facts.sha256).first(), False
    else:
        blob, wrote = _store_blob(encoded.facts, io.BytesIO(encoded.data))
    return _add_asset(board, user, encoded.facts, blob, wrote, filename, source, previews)


def ingest_encoded_files(
    board: Any,
    user,
    files: Sequence[tuple[EncodedImage, str | None]],
    *,
    source: str = AssetSource.GENERATED,
) -> list[Asset]:
    """The rows of several images this server encoded and already stored
    (``generated.write_file``): one Asset per ``(encoded, filename)``, in order, on the
    blobs they name (one read for all of them; a missing Blob row is made). Inside the
    caller's transaction; previews are the caller's (``schedule_previews``).

    What ``ingest_encoded(..., written=True, previews=False)`` does for one image, for a
    job's source and results at once: the files are stored, so a failure here leaves only
    files that a later upload of the same bytes would reuse, as a crash would."""
    if not files:
        return []
    shas = {encoded.facts.sha256 for encoded, _ in files}
    blobs = Blob.objects.in_bulk(list(shas))
    assets = []
    with transaction.atomic(savepoint=False):
        for encoded, filename in files:
            facts = encoded.facts
            blob = blobs.get(facts.sha256)
            if blob is None:
                blob = _record_blob(facts, None, encoded.key, previews=False)
                blobs[facts.sha256] = blob
            asset = Asset.objects.create(
                board=board,
                blob=blob,
                filename=sanitize_filename(filename, facts.format),
                source=source,
                created_by=user if getattr(user, "is_authenticated", False) else None,
            )
            asset_added.send(sender=Asset, asset=asset)
            assets.append(asset)
    return assets


def store_encoded(encoded: EncodedImage) -> None:
    """Make sure the bytes of an image this server encoded are stored (before any
    transaction that records them: a slow write must not hold the database's write lock);
    then ``ingest_encoded(..., written=True)``."""
    _store_blob(encoded.facts, io.BytesIO(encoded.data))


def _add_asset(
    board: Any,
    user,
    facts: ImageFacts,
    blob: Blob | None,
    wrote: bool,
    filename: str | None,
    source: str,
    previews: bool = True,
) -> Asset:
    """The Blob (if new) and Asset rows for stored bytes, announced by ``asset_added``."""
    key = storage.original_key(facts.sha256)
    try:
        with transaction.atomic():
            blob = _record_blob(facts, blob, key, previews)
            asset = Asset.objects.create(
                board=board,
                blob=blob,
                filename=sanitize_filename(filename, facts.format),
                source=source,
                created_by=user if getattr(user, "is_authenticated", False) else None,
            )
            asset_added.send(sender=Asset, asset=asset)
    except Exception:
        if wrote and not Blob.objects.filter(pk=facts.sha256).exists():
            storage.delete_quietly(key)
        raise
    logger.info(
        "asset %s added to board %s (%s %s, %d bytes, sha %s)",
        asset.pk,
        board.pk,
        facts.format,
        f"{facts.width}x{facts.height}",
        facts.size_bytes,
        facts.sha256[:12],
    )
    return asset


def ingest_bytes(
    board: Any,  # a canvas Board: assets never imports canvas (see assets.signals)
    user,
    data: bytes,
    filename: str | None,
    source: str = AssetSource.GENERATED,
) -> Asset:
    """``ingest_upload`` for bytes already in memory (generated results, demo data)."""
    return ingest_upload(board, user, io.BytesIO(data), filename, source=source)


def requeue_pending_derivatives() -> int:
    """Schedule previews for every blob still pending (e.g. after a crash); returns the count.

    Call once at startup, outside any transaction; the task is idempotent.
    """
    pending = list(
        Blob.objects.filter(derivative_state=DerivativeState.PENDING).values_list(
            "sha256", flat=True
        )
    )
    for sha256 in pending:
        dispatch_now(DERIVATIVES_TASK, sha256)
    if pending:
        logger.info("requeued previews for %d pending blobs", len(pending))
    return len(pending)


STALE_DERIVATIVES_SECONDS = 120.0  # a preview still pending this long lost its task
STALE_DERIVATIVES_BATCH = 50


def requeue_stale_derivatives(
    older_than: float = STALE_DERIVATIVES_SECONDS, limit: int = STALE_DERIVATIVES_BATCH
) -> int:
    """Schedule previews again for blobs still pending ``older_than`` seconds after they
    were stored: their task was lost with the process that was to run it (killed after
    the job that stored them succeeded). The task is idempotent, so one that was merely
    slow costs a repeated check, never a second set of files. Returns the count."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    stale = list(
        Blob.objects.filter(derivative_state=DerivativeState.PENDING, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("sha256", flat=True)[:limit]
    )
    for sha256 in stale:
        dispatch_now(DERIVATIVES_TASK, sha256)
    if stale:
        logger.warning("previews of %d blob(s) were still pending; scheduled again", len(stale))
    return len(stale)


def open_original(asset: Asset) -> File:
    """The untouched uploaded bytes, opened for streaming; the caller closes it."""
    return storage.open_file(asset.blob.storage_key)
