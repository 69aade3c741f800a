"""Download routes of exports and the board's exports page.

- ``/exports/<id>/download?t=<token>``: a member's signed link (canvas.exports.links). The
  token, the user's current role on the board (view) and the export's expiry are checked
  at every request; no session is needed.
- ``/s/<share token>/exports/<id>/download``: a guest's link; the share link must be live,
  allow downloads and cover the export (canvas.exports.guests).

Both stream the file from storage chunk by chunk (assets.storage.open_stream: S3 objects
straight from the GET body), never reading it whole into memory. Errors are JSON with a
sentence (a 404 that reveals nothing, a 403 saying what the link lacks, a 410 saying the
link or the export expired).

- ``/boards/<id>/exports/``: the exports page, 100 a page newest first (``?page=N``):
  state, size, who, when, a download link; expired ones say so and offer "Export again",
  a POST to ``…/exports/<id>/again/``; queued and running ones offer "Cancel" (their
  requester, the board's owner), a POST to ``…/exports/<id>/cancel/``; a "New export"
  form exports one of the board's frames, a POST to ``…/exports/new/``.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from assets import storage
from canvas.exports import links, services
from canvas.exports.guests import guest_may_download
from canvas.exports.links import ExportExpired, ExportNotFound
from canvas.exports.models import Export, ExportKind, ExportState
from canvas.exports.services import may_cancel
from canvas.models import Item, ItemKind
from canvas.permissions import DOWNLOAD, Perm, can, get_board_for, require_link, role_for
from canvas.sharing import auth as sharing_auth
from canvas.sharing.views import guest_headers
from canvas.views.errors import app_error_response
from foundation.errors import AppError

logger = logging.getLogger(__name__)

SHOWN = 100  # a page of the exports page, newest first


def _json_error(exc: AppError) -> JsonResponse:
    response = JsonResponse(exc.as_dict(), status=exc.status)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _stream(export: Export) -> HttpResponseBase:
    if not export.downloadable():
        raise ExportExpired() if export.state == ExportState.READY else ExportNotFound()
    try:
        handle, size = storage.open_stream(export.file_key)
    except OSError:
        logger.error("stored file of export %s is missing", export.pk)
        raise ExportNotFound() from None
    response = FileResponse(
        handle,
        content_type=export.mime_type or "application/octet-stream",
        as_attachment=True,
        filename=export.file_name,
    )
    response["Content-Length"] = str(size if size is not None else export.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _only_get(request: HttpRequest) -> None:
    if request.method not in ("GET", "HEAD"):
        raise AppError(
            "Downloads can only be fetched (GET).", code="method_not_allowed", status=405
        )


def member_download(request: HttpRequest, export_id: uuid.UUID) -> HttpResponseBase:
    try:
        _only_get(request)
        user_id = links.read_member_token(request.GET.get("t", ""), export_id)
        export = services.get_export(export_id)
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if user is None or not can(user, export.board, Perm.VIEW):
            raise ExportNotFound()  # access removed since the link was made
        return _stream(export)
    except AppError as exc:
        return _json_error(exc)


@guest_headers
def guest_download(request: HttpRequest, token: str, export_id: uuid.UUID) -> HttpResponseBase:
    try:
        _only_get(request)
        principal = sharing_auth.authorize(request, token)
        link = principal.link
        export = services.get_export(export_id)
        if export.board_id != link.board_id:
            raise ExportNotFound()  # another board's export: as if it did not exist
        require_link(link, DOWNLOAD)
        if not guest_may_download(link, export):
            raise ExportNotFound()
        return _stream(export)
    except AppError as exc:
        return _json_error(exc)


# --- The exports page -------------------------------------------------------------------------


def _rows(exports: list[Export], user: Any) -> list[dict[str, Any]]:
    rows = []
    for export in exports:
        rows.append(
            {
                "export": export,
                "expired": export.is_expired(),
                "download_url": links.member_url(export.pk, user.pk)
                if export.downloadable()
                else None,
                "cancellable": export.state in services.ACTIVE and may_cancel(user, export),
            }
        )
    return rows


@login_required
def exports_page(request: HttpRequest, board_id: Any) -> HttpResponse:
    try:
        board, role = get_board_for(request.user, board_id, Perm.VIEW)
    except AppError as exc:
        return app_error_response(request, exc)
    page = Paginator(services.board_exports(board), SHOWN).get_page(request.GET.get("page"))
    frames = Item.objects.filter(board=board, deleted=False, kind=ItemKind.FRAME)
    frames = frames.order_by("name", "pk")
    return render(
        request,
        "exports/exports.html",
        {
            "board": board,
            "role": role,
            "rows": _rows(list(page.object_list), request.user),
            "page": page,
            "frames": list(frames.values("pk", "name")),
            "kinds": ExportKind.choices,
        },
    )


@login_required
@require_POST
def export_frame(request: HttpRequest, board_id: Any) -> HttpResponse:
    """The page's "New export" form: one frame in one kind, checked like the API's request
    (its sentence shown on the page when refused)."""
    try:
        board, _ = get_board_for(request.user, board_id, Perm.VIEW)
    except AppError as exc:
        return app_error_response(request, exc)
    payload = {"kind": request.POST.get("kind", ""), "frame": request.POST.get("frame") or None}
    try:
        services.request_export(board, request.user, payload)
    except AppError as exc:
        messages.error(request, exc.message)
        return redirect("board-exports", board_id=board_id)
    messages.success(request, "Exporting; the new export is at the top of the list.")
    return redirect("board-exports", board_id=board_id)


def _row_action(
    request: HttpRequest, board_id: Any, export_id: Any, act: Any, done: str
) -> HttpResponse:
    """A row's button (Cancel, Export again): ``act(export, user)``; a refusal's sentence
    is shown on the page, a missing export is the page's 404."""
    try:
        board, _ = get_board_for(request.user, board_id, Perm.VIEW)
        export = services.get_export(export_id)
        if export.board_id != board.pk or role_for(request.user, board) is None:
            raise ExportNotFound()
        act(export, request.user)
    except AppError as exc:
        if exc.status == 404:
            return app_error_response(request, exc)
        messages.error(request, exc.message)
        return redirect("board-exports", board_id=board_id)
    messages.success(request, done)
    return redirect("board-exports", board_id=board_id)


@login_required
@require_POST
def cancel(request: HttpRequest, board_id: Any, export_id: Any) -> HttpResponse:
    """The page's "Cancel" on a queued or running export (its requester, the board's owner)."""
    return _row_action(request, board_id, export_id, services.cancel_export, "Export cancelled.")


@login_required
@require_POST
def export_again(request: HttpRequest, board_id: Any, export_id: Any) -> HttpResponse:
    return _row_action(
        request,
        board_id,
        export_id,
        services.export_again,
        "Exporting again; the new export is at the top of the list.",
    )
