"""The file routes: originals and WebP previews, only for people who may see the board.

``/files/<asset id>/<sha256>/original`` and ``/files/<asset id>/<sha256>/<level>.webp``;
a board's atlas (docs/assets.md "Atlas sheets") at ``/files/boards/<board id>/atlas.json``
and ``/files/boards/<board id>/atlas/<digest>.webp``.
A URL names both the asset (which board, hence who may see it) and the content hash, so a
URL never changes meaning and can be cached forever by the browser (privately). Originals
answer HTTP Range requests (canvas.library.ranges), so a clip can be seeked. Unknown
ids, wrong hashes and boards the caller cannot see all get the same 404, so nothing can
be probed. Files are streamed from storage, never read into memory.

This module parses, checks access and shapes responses; it must not decide roles itself
(canvas.permissions) or read storage keys other than through assets.storage/services.
"""

from __future__ import annotations

import logging
import re
import uuid

from django.conf import settings
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    JsonResponse,
)
from django.http.response import HttpResponseBase

from assets import storage
from assets.derivatives import plan_levels
from assets.errors import DerivativeNotReady, FileNotAvailable
from assets.models import Asset, DerivativeState
from canvas.atlas import index as atlas_index
from canvas.atlas.requests import ensure_requested
from canvas.library import ranges
from canvas.permissions import Perm, get_board_for, require
from foundation.errors import AppError, BoardNotFound, Forbidden

logger = logging.getLogger(__name__)

IMMUTABLE = "private, max-age=31536000, immutable"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# The index changes as the board does: revalidated on every read (cheap: 304 by ETag).
REVALIDATE = "private, no-cache"


class MethodNotAllowed(AppError):
    status = 405
    code = "method_not_allowed"
    default_message = "Files can only be fetched here (GET or HEAD); upload through the API."


def _error(exc: AppError) -> JsonResponse:
    response = JsonResponse(exc.as_dict(), status=exc.status)
    if exc.status == 405:
        response["Allow"] = "GET, HEAD"
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _visible_asset(request: HttpRequest, asset_id: uuid.UUID, sha256: str) -> Asset:
    if not _SHA256.match(sha256):
        raise FileNotAvailable()
    asset = Asset.objects.select_related("blob", "board__team").filter(pk=asset_id).first()
    if asset is None or asset.blob_id != sha256:
        raise FileNotAvailable()
    try:
        require(request.user, asset.board, Perm.VIEW)
    except (BoardNotFound, Forbidden):
        raise FileNotAvailable() from None
    return asset


def _etag_matches(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    return header.strip() == "*" or etag in [part.strip() for part in header.split(",")]


def _headers(response: HttpResponseBase, etag: str) -> HttpResponseBase:
    response["ETag"] = etag
    response["Cache-Control"] = IMMUTABLE
    response["X-Content-Type-Options"] = "nosniff"
    # An image opened directly must never run as a document, whatever it contains.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _stream(
    request: HttpRequest,
    key: str,
    *,
    etag: str,
    content_type: str,
    filename: str,
    known_size: int | None = None,
) -> HttpResponseBase:
    """The stored file at ``key``; with ``known_size`` (originals) a ``Range`` header is
    honoured (206, or 416 past the end)."""
    if _etag_matches(request, etag):
        return _headers(HttpResponseNotModified(), etag)
    window = None
    if known_size is not None and request.method == "GET":
        window = ranges.parse_range(request.headers.get("Range", ""), known_size)
        if window is False:
            return _headers(ranges.unsatisfiable(known_size), etag)
    ranged = window if isinstance(window, tuple) else None
    try:
        # A range is read as a range (on S3 a ranged GET), not skipped to.
        handle, size = storage.open_stream(key, byte_range=ranged)
    except OSError:  # FileNotFoundError included
        logger.error("stored file %s is missing", key)
        return _error(FileNotAvailable())
    if ranged is not None and known_size is not None:
        return _headers(ranges.ranged_response(handle, ranged, known_size, content_type), etag)
    download = request.GET.get("download", "") in ("1", "true", "yes")
    response = FileResponse(
        handle, content_type=content_type, as_attachment=download, filename=filename
    )
    if size is not None and not response.has_header("Content-Length"):
        response["Content-Length"] = str(size)
    if known_size is not None:
        response["Accept-Ranges"] = "bytes"
    return _headers(response, etag)


def _check_method(request: HttpRequest) -> None:
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed()


def _asked_asset(
    request: HttpRequest, asset_id: uuid.UUID, sha256: str
) -> Asset | HttpResponseBase:
    """The asset a GET or HEAD asks for, if the caller may see it; else the error answer
    (both file views: the original and a preview level)."""
    try:
        _check_method(request)
        return _visible_asset(request, asset_id, sha256)
    except AppError as exc:
        return _error(exc)


def original(request: HttpRequest, asset_id: uuid.UUID, sha256: str) -> HttpResponseBase:
    """The uploaded bytes, untouched, with their real image Content-Type."""
    asset = _asked_asset(request, asset_id, sha256)
    if not isinstance(asset, Asset):
        return asset  # the refusal, as the error body
    blob = asset.blob
    return _stream(
        request,
        blob.storage_key,
        etag=f'"{blob.sha256}"',
        content_type=blob.mime_type,
        filename=asset.filename,
        known_size=blob.size_bytes,
    )


def level(request: HttpRequest, asset_id: uuid.UUID, sha256: str, level: int) -> HttpResponseBase:
    """One WebP preview; 404 ``derivative_not_ready`` while it is still being made."""
    asset = _asked_asset(request, asset_id, sha256)
    if not isinstance(asset, Asset):
        return asset  # the refusal, as the error body
    blob = asset.blob
    if level not in (blob.derivative_levels or []):
        planned = plan_levels(blob.width, blob.height, settings.ANCHORBOARD_DERIVATIVE_SIZES)
        if level not in planned:
            return _error(FileNotAvailable())
        if blob.derivative_state == DerivativeState.FAILED:
            return _error(
                DerivativeNotReady(
                    "Previews of this image could not be generated; the original is still "
                    "available. Upload the image again to retry."
                )
            )
        return _error(DerivativeNotReady())
    stem = asset.filename.rsplit(".", 1)[0] or "image"
    return _stream(
        request,
        storage.derivative_key(blob.sha256, level),
        etag=f'"{blob.sha256}-{level}"',
        content_type="image/webp",
        filename=f"{stem}-{level}.webp",
    )


def _visible_board_id(request: HttpRequest, board_id: uuid.UUID) -> uuid.UUID:
    _check_method(request)
    try:
        board, _role = get_board_for(request.user, board_id, Perm.VIEW)
    except (BoardNotFound, Forbidden):
        raise FileNotAvailable() from None
    return board.pk


def atlas_sheet_url(board_id: uuid.UUID, digest: str) -> str:
    return f"/files/boards/{board_id}/atlas/{digest}.webp"


def atlas_json(request: HttpRequest, payload: dict) -> HttpResponseBase:
    """An atlas index answer (also the guests'): JSON, revalidated by ETag every time."""
    body, etag = atlas_index.encode(payload)
    response: HttpResponseBase
    if _etag_matches(request, etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = REVALIDATE
    response["X-Content-Type-Options"] = "nosniff"
    return response


def atlas(request: HttpRequest, board_id: uuid.UUID) -> HttpResponseBase:
    """The board's atlas index: which sheet and rectangle shows each asset."""
    try:
        pk = _visible_board_id(request, board_id)
    except AppError as exc:
        return _error(exc)
    ensure_requested(pk)
    return atlas_json(request, atlas_index.index_payload(pk, lambda d: atlas_sheet_url(pk, d)))


def atlas_sheet(request: HttpRequest, board_id: uuid.UUID, digest: str) -> HttpResponseBase:
    """One sheet of the board's atlas; its URL names its content, so it is immutable."""
    try:
        pk = _visible_board_id(request, board_id)
        if not _SHA256.match(digest) or not atlas_index.sheet_belongs(pk, digest):
            raise FileNotAvailable()
    except AppError as exc:
        return _error(exc)
    return _stream(
        request,
        storage.atlas_key(digest),
        etag=f'"{digest}"',
        content_type="image/webp",
        filename="atlas.webp",
    )
