"""Unread comment counts and the inbox: boards where someone may review, with the
candidates nobody has decided on yet.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import Q
from django.utils import timezone

from canvas.governance import readings
from canvas.models import Board, Iteration
from canvas.models.review import (
    Comment,
    CommentRead,
)
from canvas.permissions import Perm, role_allows, roles_for, visible_boards
from canvas.review.candidates import candidate_payload
from canvas.review.decisions import CANDIDATE_STATUSES

logger = logging.getLogger(__name__)


def mark_read(board: Board, user: Any) -> None:
    CommentRead.objects.update_or_create(
        user=user, board=board, defaults={"read_at": timezone.now()}
    )


def unread_counts(user: Any, boards: list[Board] | None = None) -> dict[str, int]:
    """Comments by others since the user last read each board, for boards with any."""
    boards = boards if boards is not None else list(visible_boards(user))
    reads = dict(
        CommentRead.objects.filter(user=user, board__in=boards).values_list("board_id", "read_at")
    )
    counts: dict[str, int] = {}
    for board in boards:
        qs = Comment.objects.filter(board=board).exclude(author=user)
        if board.pk in reads:
            qs = qs.filter(created_at__gt=reads[board.pk])
        n = qs.count()
        if n:
            counts[str(board.pk)] = n
    return counts


def inbox(user: Any) -> list[dict[str, Any]]:
    """Boards where the user may review, with the candidates nobody has decided on yet
    (each with its ``consistency``) and how many of them the drift check flagged."""
    boards = list(visible_boards(user).filter(archived_at__isnull=True).select_related("team"))
    roles = roles_for(user, boards)
    out = []
    for board in boards:
        if not role_allows(roles.get(board.pk), Perm.REVIEW):
            continue
        waiting = list(
            Iteration.objects.filter(board=board, status__in=CANDIDATE_STATUSES)
            .filter(Q(decision__isnull=True) | Q(decision__status=""))
            .select_related("job", "asset__blob", "source_asset__blob")
            .order_by("-created_at")[:200]
        )
        if waiting:
            consistency = readings.consistency_by_asset(it.asset_id for it in waiting)
            out.append(
                {
                    "board": {"id": str(board.pk), "name": board.name},
                    "role": roles[board.pk].value,
                    "waiting": len(waiting),
                    "drifted": sum(1 for found in consistency.values() if found and found["drift"]),
                    "candidates": [
                        candidate_payload(it, None, consistency.get(it.asset_id)) for it in waiting
                    ],
                }
            )
    return out
