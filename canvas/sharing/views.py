"""Guest pages of a share link (``/s/<token>/``) and its file routes, plus the inbox page.

Every view here starts with canvas.sharing.auth (token, expiry, revocation, password) and
asks canvas.permissions what the link shows; none of them trusts an earlier request. All
responses carry ``Referrer-Policy: no-referrer`` (the token is in the URL),
``X-Robots-Tag: noindex`` and private caching. Files are served only if the link shows
the asset; originals also need the link's download permission and, unless the link shows
metadata, are rebuilt from their pixels (assets.clean_copy: ICC profile kept, every other
kind of metadata dropped) and named neutrally. Clips (the browser MP4 of a video item or
result the link shows) are sent as a copy without metadata (assets.clips.clean_copy) and
answer HTTP Range requests, so a guest's player can seek.

This module parses, checks and renders; it must not write rows itself (the services do).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_protect

from assets import storage
from assets.clean_copy import CleanCopy, clean_copy
from assets.clips import VIDEO_FORMATS
from assets.clips import clean_copy as clean_clip
from assets.derivatives import full_size_webp
from assets.errors import DerivativeNotReady, FileNotAvailable
from assets.models import Asset
from canvas.atlas import index as atlas_index
from canvas.boards.board_page import API_BASE
from canvas.library import ranges
from canvas.library.views import atlas_json
from canvas.permissions import (
    DOWNLOAD,
    Perm,
    link_allows,
    link_asset_ids,
    link_clip_ids,
    require_link,
)
from canvas.sharing import auth as sharing_auth
from foundation.errors import AppError, Forbidden

logger = logging.getLogger(__name__)

GUEST_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "private, no-cache",
}


def guest_headers(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Put the share-page headers on every response of ``view``, errors included."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        for name, value in GUEST_HEADERS.items():
            response[name] = value
        return response

    return wrapper


def _unavailable(request: HttpRequest, exc: AppError) -> HttpResponse:
    logger.info("%s %s -> %s %s", request.method, "/s/…", exc.status, exc.code)
    return render(
        request,
        "canvas/share_unavailable.html",
        {"message": exc.message, "code": exc.code},
        status=exc.status,
    )


# --- Pages ----------------------------------------------------------------------------------


@guest_headers
@csrf_protect
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    """The read-only board, or the password form first."""
    try:
        principal = sharing_auth.authorize(request, token)
    except sharing_auth.PasswordRequired:
        return render(request, "canvas/share_password.html", {"token": token}, status=401)
    except AppError as exc:
        return _unavailable(request, exc)
    link = principal.link
    bootstrap = {
        "board_id": str(link.board_id),
        "board_name": link.board.name,
        "ws_url": f"/ws/share/{token}/",
        "api_base": API_BASE,
        "role": "guest",
        "can_edit": False,
        "user": {"id": None, "name": principal.guest_name or "Guest"},
        "atlas_url": f"/s/{token}/atlas.json",
        "share": {
            "api": f"{API_BASE}/share/{token}",
            "label": link.label,
            "permissions": list(link.permissions),
            "visibility": link.visibility,
            "show_metadata": link.show_metadata,
            "show_presence": link.show_presence,
            "show_decisions": link.show_decisions,
            "guest_name": principal.guest_name,
        },
    }
    return render(
        request,
        "canvas/share_board.html",
        {"link": link, "board": link.board, "bootstrap": bootstrap, "token": token},
    )


@guest_headers
@csrf_protect
def share_unlock(request: HttpRequest, token: str) -> HttpResponse:
    """The password form posts here; a right password sets the signed cookie."""
    if request.method != "POST":
        return redirect("share-page", token=token)
    response = redirect("share-page", token=token)
    try:
        sharing_auth.unlock(request, token, request.POST.get("password", ""), response)
    except (sharing_auth.WrongPassword, sharing_auth.TooManyAttempts) as exc:
        page = render(
            request,
            "canvas/share_password.html",
            {"token": token, "error": exc.message},
            status=exc.status,
        )
        if isinstance(exc, sharing_auth.TooManyAttempts):
            page["Retry-After"] = str(exc.retry_after)
        return page
    except AppError as exc:
        return _unavailable(request, exc)
    return response


@guest_headers
@csrf_protect
def share_identify(request: HttpRequest, token: str) -> HttpResponse:
    """Name (and e-mail) form, asked before a guest's first comment."""
    try:
        principal = sharing_auth.authorize(request, token)
        require_link(principal.link, Perm.COMMENT)
    except sharing_auth.PasswordRequired:
        return redirect("share-page", token=token)
    except AppError as exc:
        return _unavailable(request, exc)
    error = ""
    if request.method == "POST":
        name = request.POST.get("name", "").strip()[:100]
        email = request.POST.get("email", "").strip()[:254]
        if name:
            sharing_auth.remember_guest(request, principal.link, name, email)
            return redirect("share-page", token=token)
        error = "Tell us your name so the team knows who is commenting."
    return render(
        request,
        "canvas/share_identify.html",
        {"token": token, "error": error, "name": principal.guest_name},
        status=400 if error else 200,
    )


# --- Files ----------------------------------------------------------------------------------


def _file_error(exc: AppError) -> JsonResponse:
    response = JsonResponse(exc.as_dict(), status=exc.status)
    response["X-Content-Type-Options"] = "nosniff"
    if exc.status == 405:
        response["Allow"] = "GET, HEAD"
    return response


def _guest_asset(request: HttpRequest, token: str, asset_id: uuid.UUID) -> tuple[Any, Asset]:
    if request.method not in ("GET", "HEAD"):
        raise AppError("Files can only be fetched (GET).", code="method_not_allowed", status=405)
    principal = sharing_auth.authorize(request, token)
    link = principal.link
    # Same 404 for another board's asset, an asset the link does not show and no asset.
    if asset_id not in link_asset_ids(link):
        raise FileNotAvailable()
    asset = Asset.objects.select_related("blob").filter(pk=asset_id, board_id=link.board_id).first()
    if asset is None:
        raise FileNotAvailable()
    return link, asset


def neutral_name(asset: Asset, ext: str) -> str:
    return f"anchorboard-{asset.pk.hex[:8]}.{ext}"


def stripped_original(asset: Asset) -> CleanCopy:
    """The original rebuilt from its pixels: no metadata but the ICC profile (assets.clean_copy)."""
    with storage.open_file(asset.blob.storage_key) as handle:
        return clean_copy(handle, asset.blob.format)


@guest_headers
def share_original(request: HttpRequest, token: str, asset_id: uuid.UUID) -> HttpResponseBase:
    try:
        link, asset = _guest_asset(request, token, asset_id)
        if not link_allows(link, DOWNLOAD):
            raise Forbidden(
                "This share link does not allow downloads. Ask the person who sent it for "
                "a link that does."
            )
    except AppError as exc:
        return _file_error(exc)
    response: HttpResponseBase
    if link.show_metadata:
        try:
            handle, size = storage.open_stream(asset.blob.storage_key)
        except OSError:
            logger.error("stored file of asset %s is missing", asset.pk)
            return _file_error(FileNotAvailable())
        response = FileResponse(
            handle, content_type=asset.blob.mime_type, as_attachment=True, filename=asset.filename
        )
        if size is not None:
            response["Content-Length"] = str(size)
    else:
        try:
            copy = stripped_original(asset)
        except OSError:
            logger.error("stored file of asset %s is missing or unreadable", asset.pk)
            return _file_error(FileNotAvailable())
        response = FileResponse(
            copy.file,
            content_type=copy.mime_type,
            as_attachment=True,
            filename=neutral_name(asset, copy.extension),
        )
        response["Content-Length"] = str(copy.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@guest_headers
def share_view(request: HttpRequest, token: str, asset_id: uuid.UUID) -> HttpResponseBase:
    """Full-size pixels of an image the link shows (view is enough; no download).

    Guests without the download permission still need full resolution to look closely
    (the preview pyramid stops below the image's size), so the canvas draws this where it
    would draw the original: re-rendered pixels, shown inline, no file name, no metadata.
    """
    try:
        _link, asset = _guest_asset(request, token, asset_id)
    except AppError as exc:
        return _file_error(exc)
    try:
        data = full_size_webp(asset.blob)
    except OSError:
        logger.error("stored file of asset %s is missing or unreadable", asset.pk)
        return _file_error(FileNotAvailable())
    response = HttpResponse(data, content_type="image/webp")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@guest_headers
def share_level(
    request: HttpRequest, token: str, asset_id: uuid.UUID, level: int
) -> HttpResponseBase:
    """A WebP preview (previews carry no EXIF: they are re-rendered pixels)."""
    try:
        link, asset = _guest_asset(request, token, asset_id)
        if level not in (asset.blob.derivative_levels or []):
            raise DerivativeNotReady()
    except AppError as exc:
        return _file_error(exc)
    try:
        handle, size = storage.open_stream(storage.derivative_key(asset.blob.sha256, level))
    except OSError:
        return _file_error(FileNotAvailable())
    name = (
        f"{asset.filename.rsplit('.', 1)[0]}-{level}.webp"
        if link.show_metadata
        else neutral_name(asset, "webp")
    )
    response = FileResponse(handle, content_type="image/webp", filename=name)
    if size is not None:
        response["Content-Length"] = str(size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@guest_headers
def share_clip(request: HttpRequest, token: str, asset_id: uuid.UUID) -> HttpResponseBase:
    """A clip the link shows, to play (view is enough): the browser MP4 re-muxed without
    metadata, whatever the link's metadata setting (as the full-size view of an image is
    re-rendered pixels), with HTTP Range (206, or 416 past the end)."""
    try:
        if request.method not in ("GET", "HEAD"):
            raise AppError(
                "Files can only be fetched (GET).", code="method_not_allowed", status=405
            )
        link = sharing_auth.authorize(request, token).link
        # Same 404 for another board's clip, a clip the link does not show and no clip.
        if asset_id not in link_clip_ids(link):
            raise FileNotAvailable()
        asset = (
            Asset.objects.select_related("blob")
            .filter(pk=asset_id, board_id=link.board_id, blob__format__in=VIDEO_FORMATS)
            .first()
        )
        if asset is None:
            raise FileNotAvailable()
        stored = clean_clip(asset.blob)
    except AppError as exc:
        return _file_error(exc)
    except OSError:
        logger.error("stored clip of asset %s is missing or unreadable", asset_id)
        return _file_error(FileNotAvailable())
    window = None
    if request.method == "GET":
        window = ranges.parse_range(request.headers.get("Range", ""), stored.size)
        if window is False:
            return _clip_headers(ranges.unsatisfiable(stored.size))
    ranged = window if isinstance(window, tuple) else None
    try:  # a range is read as a range (on S3 a ranged GET), not skipped to
        handle, _size = storage.open_stream(stored.key, byte_range=ranged)
    except OSError:
        return _file_error(FileNotAvailable())
    if ranged is not None:
        return _clip_headers(ranges.ranged_response(handle, ranged, stored.size, "video/mp4"))
    response = FileResponse(handle, content_type="video/mp4")
    response["Content-Length"] = str(stored.size)
    return _clip_headers(response)


def _clip_headers(response: HttpResponseBase) -> HttpResponseBase:
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _guest_atlas_assets(request: HttpRequest, token: str) -> tuple[Any, set[str]]:
    if request.method not in ("GET", "HEAD"):
        raise AppError("Files can only be fetched (GET).", code="method_not_allowed", status=405)
    link = sharing_auth.authorize(request, token).link
    return link, {str(asset_id) for asset_id in link_asset_ids(link)}


@guest_headers
def share_atlas(request: HttpRequest, token: str) -> HttpResponseBase:
    """The board's atlas index, only the sheets whose every image the link shows."""
    try:
        link, allowed = _guest_atlas_assets(request, token)
    except AppError as exc:
        return _file_error(exc)
    payload = atlas_index.index_payload(
        link.board_id, lambda digest: f"/s/{token}/atlas/{digest}.webp", allowed
    )
    response = atlas_json(request, payload)
    response["Cache-Control"] = "private, no-cache"
    return response


@guest_headers
def share_atlas_sheet(request: HttpRequest, token: str, digest: str) -> HttpResponseBase:
    """One atlas sheet, if every image in it is one the link shows (previews carry no
    metadata: sheets are re-rendered pixels)."""
    try:
        link, allowed = _guest_atlas_assets(request, token)
        if len(digest) != 64 or not atlas_index.sheet_belongs(link.board_id, digest, allowed):
            raise FileNotAvailable()
    except AppError as exc:
        return _file_error(exc)
    etag = f'"{digest}"'
    if etag in request.headers.get("If-None-Match", ""):
        # Guests revalidate everything (a link can be revoked); the sheet itself never changes.
        not_modified = HttpResponse(status=304)
        not_modified["ETag"] = etag
        return not_modified
    try:
        handle, size = storage.open_stream(storage.atlas_key(digest))
    except OSError:
        return _file_error(FileNotAvailable())
    response = FileResponse(handle, content_type="image/webp")
    response["ETag"] = etag
    if size is not None:
        response["Content-Length"] = str(size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
