"""Errors a person can act on, with a stable code, rendered the same way everywhere.

Domain code raises an ``AppError`` subclass; the API, the HTML views and the websocket
consumer turn it into ``{"error": {"code": ..., "message": ...}}`` with ``status``.
"""

from __future__ import annotations


class AppError(Exception):
    status = 400
    code = "bad_request"
    default_message = "The request could not be processed."

    def __init__(
        self, message: str | None = None, *, code: str | None = None, status: int | None = None
    ) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        if status:
            self.status = status
        super().__init__(self.message)

    def as_dict(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


class NotAuthenticated(AppError):
    status = 401
    code = "not_authenticated"
    default_message = "Log in or send an API token (Authorization: Bearer <token>)."


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    default_message = "You do not have permission to do that."


class NotFound(AppError):
    status = 404
    code = "not_found"
    default_message = "Not found."


class BoardNotFound(NotFound):
    code = "board_not_found"
    default_message = "This board does not exist, or you have not been given access to it."


class TeamNotFound(NotFound):
    code = "team_not_found"
    default_message = "This team does not exist, or you are not a member of it."


class BrandKitNotFound(NotFound):
    code = "brand_kit_not_found"
    default_message = "This brand kit does not exist, or you are not a member of its team."


class Conflict(AppError):
    status = 409
    code = "conflict"
    default_message = "That conflicts with the current state."
