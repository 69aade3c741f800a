"""The board list (``/``) and the actions on its cards.

Every action is a POST with CSRF. The role is checked with canvas.permissions before the
service call; a stranger's board is a 404 page, any other AppError is shown as a message
on the list, answered with its 4xx status so nothing looks like a success.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from canvas.boards import lifecycle as board_services
from canvas.boards.cards import board_cards
from canvas.forms import NewBoardForm, RenameBoardForm, first_error
from canvas.members.services import personal_team
from canvas.models import Team
from canvas.permissions import Perm, get_board_for, visible_boards
from canvas.views.errors import app_error_response
from foundation.errors import AppError, BoardNotFound

logger = logging.getLogger(__name__)


def user_teams(user):
    return (
        Team.objects.filter(memberships__user=user).distinct().order_by("name", "created_at", "pk")
    )


def _board_list_context(request: HttpRequest, new_board_form: NewBoardForm | None = None):
    boards = (
        visible_boards(request.user)
        .select_related("team", "cover__blob")
        .order_by("-last_activity_at", "pk")
    )
    cards = board_cards(request.user, list(boards))
    teams = user_teams(request.user)
    return {
        "active_cards": [c for c in cards if not c.board.is_archived],
        "archived_cards": [c for c in cards if c.board.is_archived],
        "new_board_form": new_board_form or NewBoardForm(teams=teams),
        "teams": teams,
    }


def _list_with_error(request: HttpRequest, message: str, status: int, form=None) -> HttpResponse:
    messages.error(request, message)
    return render(
        request, "canvas/board_list.html", _board_list_context(request, form), status=status
    )


def _handle(request: HttpRequest, exc: AppError) -> HttpResponse:
    if isinstance(exc, BoardNotFound):
        return app_error_response(request, exc)
    logger.info("board action %s refused: %s %s", request.path, exc.code, exc.message)
    return _list_with_error(request, exc.message, exc.status)


@login_required
def board_list(request: HttpRequest) -> HttpResponse:
    return render(request, "canvas/board_list.html", _board_list_context(request))


@login_required
@require_POST
def board_create(request: HttpRequest) -> HttpResponse:
    teams = user_teams(request.user)
    form = NewBoardForm(request.POST, teams=teams)
    if not form.is_valid():
        return _list_with_error(request, first_error(form), 400, form)
    try:
        team = form.cleaned_data["team"] or personal_team(request.user)
        board = board_services.create_board(request.user, team, form.cleaned_data["name"])
    except AppError as exc:
        return _handle(request, exc)
    # No flash message: the canvas page does not show messages, so it would surface later
    # on the board list, out of context. Landing on the new board is the confirmation.
    return redirect("board", board_id=board.pk)


@login_required
@require_POST
def board_rename(request: HttpRequest, board_id) -> HttpResponse:
    try:
        board, _ = get_board_for(request.user, board_id, Perm.EDIT)
        form = RenameBoardForm(request.POST)
        if not form.is_valid():
            return _list_with_error(request, first_error(form), 400)
        old = board.name
        board_services.rename_board(board, form.cleaned_data["name"])
    except AppError as exc:
        return _handle(request, exc)
    messages.success(request, f"Renamed “{old}” to “{board.name}”.")
    return redirect("board-list")


@login_required
@require_POST
def board_duplicate(request: HttpRequest, board_id) -> HttpResponse:
    try:
        board, _ = get_board_for(request.user, board_id, Perm.EDIT)
        # The copy lives in the same team, so the caller must be allowed to create boards
        # there, not only to edit this one (the same rule as the API's).
        copy = board_services.duplicate_board_for(board, request.user)
    except AppError as exc:
        return _handle(request, exc)
    messages.success(request, f"Duplicated “{board.name}” as “{copy.name}”.")
    return redirect("board-list")


@login_required
@require_POST
def board_archive(request: HttpRequest, board_id) -> HttpResponse:
    try:
        board, _ = get_board_for(request.user, board_id, Perm.MANAGE)
        board_services.archive_board(board)
    except AppError as exc:
        return _handle(request, exc)
    messages.success(request, f"Archived “{board.name}”. Find it under Archived boards.")
    return redirect("board-list")


@login_required
@require_POST
def board_restore(request: HttpRequest, board_id) -> HttpResponse:
    try:
        board, _ = get_board_for(request.user, board_id, Perm.MANAGE)
        board_services.restore_board(board)
    except AppError as exc:
        return _handle(request, exc)
    messages.success(request, f"Restored “{board.name}”.")
    return redirect("board-list")


@login_required
@require_http_methods(["GET", "POST"])
def board_delete(request: HttpRequest, board_id) -> HttpResponse:
    """GET shows the confirmation page; only the POST from that page deletes."""
    try:
        board, _ = get_board_for(request.user, board_id, Perm.DELETE)
        if request.method == "GET":
            return render(
                request,
                "canvas/board_confirm_delete.html",
                {
                    "board": board,
                    "item_count": board.items.filter(deleted=False).count(),
                    "asset_count": board.assets.count(),
                    "cancel_url": reverse("board-list"),
                },
            )
        name = board.name
        board_services.delete_board(board)
    except AppError as exc:
        return _handle(request, exc)
    messages.success(request, f"Deleted “{name}”.")
    return redirect("board-list")
