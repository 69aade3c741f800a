"""The file routes: originals and WebP previews, only for people who may see the board.

``/files/<asset id>/<sha256>/original`` and ``/files/<asset id>/<sha256>/<level>.webp``.
A URL names both the asset (which board, hence who may see it) and the content hash, so a
URL never changes meaning and can be cached forever by the browser (privately). Unknown
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
    HttpResponseNotModified,
    JsonResponse,
)
from django.http.response import HttpResponseBase

from assets import storage
from assets.derivatives import plan_levels
from assets.errors import DerivativeNotReady, FileNotAvailable
from assets.models import Asset, DerivativeState
from canvas.permissions import Perm, require
from foundation.errors import AppError, BoardNotFound, Forbidden

logger = logging.getLogger(__name__)

IMMUTABLE = "private, max-age=31536000, immutable"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


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
    request: HttpRequest, key: str, *, etag: str, content_type: str, filename: str
) -> HttpResponseBase:
    if _etag_matches(request, etag):
        return _headers(HttpResponseNotModified(), etag)
    try:
        handle, size = storage.open_stream(key)
    except OSError:  # FileNotFoundError included
        logger.error("stored file %s is missing", key)
        return _error(FileNotAvailable())
    download = request.GET.get("download", "") in ("1", "true", "yes")
    response = FileResponse(
        handle, content_type=content_type, as_attachment=download, filename=filename
    )
    if size is not None and not response.has_header("Content-Length"):
        response["Content-Length"] = str(size)
    return _headers(response, etag)


def _check_method(request: HttpRequest) -> None:
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed()


def original(request: HttpRequest, asset_id: uuid.UUID, sha256: str) -> HttpResponseBase:
    """The uploaded bytes, untouched, with their real image Content-Type."""
    try:
        _check_method(request)
        asset = _visible_asset(request, asset_id, sha256)
    except AppError as exc:
        return _error(exc)
    blob = asset.blob
    return _stream(
        request,
        blob.storage_key,
        etag=f'"{blob.sha256}"',
        content_type=blob.mime_type,
        filename=asset.filename,
    )


def level(request: HttpRequest, asset_id: uuid.UUID, sha256: str, level: int) -> HttpResponseBase:
    """One WebP preview; 404 ``derivative_not_ready`` while it is still being made."""
    try:
        _check_method(request)
        asset = _visible_asset(request, asset_id, sha256)
    except AppError as exc:
        return _error(exc)
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
