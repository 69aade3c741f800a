"""The board page (``/boards/<id>/``): the shell the canvas app boots from.

It checks that the caller may view the board and hands the browser everything it needs to
connect, in one ``json_script`` element ("board-bootstrap"). It must not embed the board
document itself: the canvas gets that over the websocket (snapshot / catchup).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from canvas.batches.spec import max_jobs
from canvas.engines import available_engines
from canvas.governance.kits.payloads import board_kit_payload
from canvas.governance.kits.services import board_kit
from canvas.members.services import board_members, display_name
from canvas.permissions import Perm, get_board_for, role_allows
from canvas.views.errors import app_error_response
from foundation.errors import AppError

API_BASE = "/api/v1"


def board_bootstrap(request: HttpRequest, board, role) -> dict:
    user = request.user
    can_edit = role_allows(role, Perm.EDIT)
    return {
        "board_id": str(board.pk),
        "board_name": board.name,
        "ws_url": f"/ws/boards/{board.pk}/",
        "api_base": API_BASE,
        "role": role.value,
        "can_edit": can_edit,
        "user": {"id": user.pk, "name": display_name(user)},
        # The generation panel offers only what these can do (docs/jobs.md "Using region jobs").
        "engines": [{"name": name, **caps.as_dict()} for name, caps in available_engines().items()],
        # Whom a comment may @mention (docs/review.md "Comments").
        "members": [
            {"username": u.get_username(), "name": display_name(u)}
            for u in board_members(board).values()
        ],
        # The board's brand kit for its badge and the generation panel (docs/governance.md).
        "brand_kit": _brand_kit(board),
        # The Batch… dialog says "over the limit" before the server does (docs/batches.md).
        "batch_max_jobs": max_jobs(),
        # The board's atlas sheets: the zoomed-out board in a handful of requests.
        "atlas_url": reverse("board-atlas", args=[board.pk]),
    }


def _brand_kit(board) -> dict | None:
    return board_kit_payload(board_kit(board), board.brand_kit_version_id is not None)


@login_required
def board_page(request: HttpRequest, board_id) -> HttpResponse:
    try:
        board, role = get_board_for(request.user, board_id, Perm.VIEW)
    except AppError as exc:
        return app_error_response(request, exc)
    bootstrap = board_bootstrap(request, board, role)
    return render(
        request,
        "canvas/board.html",
        {
            "board": board,
            "role": role,
            "can_edit": bootstrap["can_edit"],
            "bootstrap": bootstrap,
        },
    )
