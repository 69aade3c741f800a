"""The review pages: ``/boards/<id>/review/`` (the shell the review grid boots from) and
``/inbox/`` (candidates awaiting the member, and unread comments).

The review page checks that the caller may view the board (deciding needs the reviewer
role; the page says so instead of failing) and hands the browser what it needs in one
``json_script`` element ("review-bootstrap"). It must not embed candidates or decisions:
the page reads them from ``GET /api/v1/boards/{id}/review`` and the board socket
(docs/review.md).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from canvas.boards.board_page import API_BASE
from canvas.members.services import display_name
from canvas.permissions import Perm, get_board_for, role_allows
from canvas.review import inbox
from canvas.views.errors import app_error_response
from foundation.errors import AppError


@login_required
def review_page(request: HttpRequest, board_id) -> HttpResponse:
    try:
        board, role = get_board_for(request.user, board_id, Perm.VIEW)
    except AppError as exc:
        return app_error_response(request, exc)
    bootstrap = {
        "board_id": str(board.pk),
        "board_name": board.name,
        "ws_url": f"/ws/boards/{board.pk}/",
        "api_base": API_BASE,
        "role": role.value,
        "can_review": role_allows(role, Perm.REVIEW),
        "can_edit": role_allows(role, Perm.EDIT),  # the batch matrix's re-runs make jobs
        "can_manage": role_allows(role, Perm.MANAGE),
        "drift_triage": board.drift_triage,
        "user": {"id": request.user.pk, "name": display_name(request.user)},
    }
    return render(
        request,
        "canvas/review.html",
        {"board": board, "role": role, "bootstrap": bootstrap},
    )


# --- Inbox (members) ------------------------------------------------------------------------


@login_required
def inbox_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "canvas/inbox.html",
        {"entries": inbox.inbox(request.user), "unread": inbox.unread_counts(request.user)},
    )
