"""Asset endpoints of the JSON API: upload to a board, list, read metadata, download bytes.

Uploading needs edit on the board; everything else needs view. An asset on a board the
caller has no role on is a 404 that reads exactly like an unknown id. The work is done by
assets.services (ingest, open) and the payload by assets.presenters; this module parses,
checks roles through canvas.permissions, and shapes replies.

Several files in one upload are independent: each is validated and stored on its own, so
one bad file never loses the good ones. The reply is 201 when at least one file was
stored (rejections listed under ``errors``), otherwise the first rejection's 4xx.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest, JsonResponse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from assets import storage
from assets.derivatives import plan_levels
from assets.errors import DerivativeNotReady, FileNotAvailable
from assets.models import Asset, DerivativeState
from assets.presenters import asset_payload
from assets.services import ingest_upload, open_original
from canvas.members.api_auth import api_user
from canvas.permissions import Perm, get_board_for, require, visible_boards
from foundation.api_errors import ErrorOut
from foundation.api_pagination import Page, PageParams, paginate
from foundation.errors import AppError, BoardNotFound, NotFound

logger = logging.getLogger(__name__)

router = Router(tags=["assets"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class AssetNotFound(NotFound):
    code = "asset_not_found"
    default_message = (
        "This asset does not exist, or you have not been given access to the board it is on."
    )


class NoFiles(AppError):
    code = "no_files"
    default_message = (
        "No file was attached. Send the images as multipart/form-data in the field “file” "
        "(repeat the field to upload several at once)."
    )


class LevelNotAvailable(NotFound):
    code = "level_not_available"


class UploadResult(Schema):
    items: list[dict[str, Any]]
    errors: list[dict[str, Any]] = Field(
        description='Files that were not stored: {"filename", "error": {"code", "message"}}.'
    )


class AssetFilters(Schema):
    board: uuid.UUID | None = Field(None, description="Only assets of this board.")


class FileParams(Schema):
    level: int | None = Field(
        None, ge=1, description="Long edge of a WebP preview (e.g. 256); omit for the original."
    )


def get_asset_for(user: Any, asset_id: str, perm: Perm) -> Asset:
    """Load an asset whose board allows ``perm``; unknown and invisible look the same."""
    try:
        key = uuid.UUID(str(asset_id))
    except ValueError:
        raise AssetNotFound() from None
    asset = Asset.objects.select_related("blob", "board__team").filter(pk=key).first()
    if asset is None:
        raise AssetNotFound()
    try:
        require(user, asset.board, perm)
    except BoardNotFound:
        raise AssetNotFound() from None
    return asset


def assets_page(request: HttpRequest, assets: Any, paging: PageParams) -> dict[str, Any]:
    assets = assets.select_related("blob").order_by("-created_at", "pk")
    return paginate(request, assets, paging, lambda rows: [asset_payload(a) for a in rows])


@router.post(
    "/boards/{board_id}/assets",
    response={201: UploadResult, 413: ErrorOut, 415: ErrorOut, **ERRORS},
    summary="Upload one or more images to a board",
)
def upload_assets(
    request: HttpRequest,
    board_id: str,
    file: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    """Multipart field ``file``, repeatable. See the module docstring for the status rule."""
    user = api_user(request)
    board, _ = get_board_for(user, board_id, Perm.EDIT)
    uploads = list(file or [])
    if not uploads:
        raise NoFiles()
    items: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    first_rejection: AppError | None = None
    for upload in uploads:
        try:
            asset = ingest_upload(board, user, upload, upload.name)
        except AppError as exc:  # UploadRejected, or storage trouble for this file
            first_rejection = first_rejection or exc
            errors.append({"filename": upload.name, **exc.as_dict()})
            continue
        items.append(asset_payload(asset))
    if items:
        return Status(201, {"items": items, "errors": errors})
    assert first_rejection is not None
    return rejection_response(first_rejection, errors)


def rejection_response(first: AppError, errors: list[dict[str, Any]]) -> JsonResponse:
    """Nothing was stored: the first rejection is the error, every file is listed."""
    message = first.message
    if len(errors) > 1:
        message = (
            f"None of the {len(errors)} files was added. “{errors[0]['filename']}”: {message} "
            "See “errors” for each file."
        )
    body = {"error": {"code": first.code, "message": message}, "errors": errors}
    logger.info("upload refused: %s files rejected, first %s", len(errors), first.code)
    return JsonResponse(body, status=first.status)


@router.get(
    "/boards/{board_id}/assets",
    response={200: Page[dict[str, Any]], **ERRORS},
    summary="A board's asset library, newest first",
)
def list_board_assets(
    request: HttpRequest, board_id: str, paging: Query[PageParams]
) -> dict[str, Any]:
    board, _ = get_board_for(api_user(request), board_id, Perm.VIEW)
    return assets_page(request, Asset.objects.filter(board=board), paging)


@router.get(
    "/assets",
    response={200: Page[dict[str, Any]], **ERRORS},
    summary="Assets on every board you can see (or one board)",
)
def list_assets(
    request: HttpRequest, filters: Query[AssetFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    user = api_user(request)
    if filters.board is not None:
        board, _ = get_board_for(user, filters.board, Perm.VIEW)
        assets = Asset.objects.filter(board=board)
    else:
        assets = Asset.objects.filter(board__in=visible_boards(user).values("pk"))
    return assets_page(request, assets, paging)


@router.get(
    "/assets/{asset_id}",
    response={200: dict[str, Any], **ERRORS},
    summary="One asset: metadata and preview URLs",
)
def get_asset(request: HttpRequest, asset_id: str) -> dict[str, Any]:
    return asset_payload(get_asset_for(api_user(request), asset_id, Perm.VIEW))


@router.get(
    "/assets/{asset_id}/file",
    response={200: None, **ERRORS},
    summary="The original bytes, or a WebP preview with ?level=",
    openapi_extra={
        "responses": {
            200: {
                "description": "The image bytes",
                "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_asset(request: HttpRequest, asset_id: str, params: Query[FileParams]) -> FileResponse:
    asset = get_asset_for(api_user(request), asset_id, Perm.VIEW)
    blob = asset.blob
    if params.level is None:
        handle = open_file_or_404(lambda: open_original(asset), blob.storage_key)
        return file_response(handle, blob.mime_type, asset.filename)
    level = params.level
    if level not in (blob.derivative_levels or []):
        raise missing_level(asset, level)
    handle = open_file_or_404(
        lambda: storage.open_file(storage.derivative_key(blob.sha256, level)),
        storage.derivative_key(blob.sha256, level),
    )
    stem = asset.filename.rsplit(".", 1)[0] or "image"
    return file_response(handle, "image/webp", f"{stem}-{level}.webp")


def missing_level(asset: Asset, level: int) -> AppError:
    blob = asset.blob
    planned = plan_levels(blob.width, blob.height, settings.ANCHORBOARD_DERIVATIVE_SIZES)
    if level in planned and blob.derivative_state != DerivativeState.FAILED:
        return DerivativeNotReady()
    if level in planned:
        return DerivativeNotReady(
            "Previews of this image could not be generated; the original is still "
            "available. Upload the image again to retry."
        )
    sizes = ", ".join(str(n) for n in planned) or "none"
    return LevelNotAvailable(
        f"This image has no {level}px preview. Preview sizes for it: {sizes}; "
        "omit “level” for the original."
    )


def open_file_or_404(opener: Any, key: str) -> Any:
    try:
        return opener()
    except OSError:  # FileNotFoundError included: the row exists but the bytes are gone
        logger.error("stored file %s is missing", key)
        raise FileNotAvailable() from None


def file_response(handle: Any, content_type: str, filename: str) -> FileResponse:
    response = FileResponse(
        handle, content_type=content_type, as_attachment=True, filename=filename
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    # Bytes a user uploaded must never run as a document if opened directly.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
