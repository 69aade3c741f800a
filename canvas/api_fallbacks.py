"""A board's provider fallback chain in the JSON API: ``/boards/{id}/engine-fallbacks``.

GET (view) says which engines a job tries, in order, while its own provider is down; PUT
(manage: owners) replaces the chain. Shapes and rules live in
canvas.boards.engine_fallbacks; this module only parses, checks the role and answers.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from canvas.boards import engine_fallbacks
from canvas.members.api_auth import api_user
from canvas.permissions import Perm, get_board_for
from foundation.api_errors import ErrorOut

router = Router(tags=["engines"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class FallbacksIn(Schema):
    chain: list[str] = Field(
        ...,
        description="Engine names in order of preference, e.g. "
        '["gemini-3-pro-image-preview", "comfyui"]; [] switches fallbacks off.',
    )


class FallbacksOut(Schema):
    chain: list[str]
    enabled: bool = Field(..., description="Whether the board opted in to fallbacks.")


@router.get(
    "/boards/{board_id}/engine-fallbacks",
    response={200: FallbacksOut, **ERRORS},
    summary="Engine fallback chain",
)
def get_engine_fallbacks(request: HttpRequest, board_id: str) -> dict[str, Any]:
    board, _ = get_board_for(api_user(request), board_id, Perm.VIEW)
    return engine_fallbacks.read_chain(board)


@router.put(
    "/boards/{board_id}/engine-fallbacks",
    response={200: FallbacksOut, **ERRORS},
    summary="Set the engine fallback chain",
)
def set_engine_fallbacks(request: HttpRequest, board_id: str, body: FallbacksIn) -> dict[str, Any]:
    """While an engine's provider is down, its jobs run on the next engine of the chain."""
    board, _ = get_board_for(api_user(request), board_id, Perm.MANAGE)
    return engine_fallbacks.save_chain(board, body.chain)
