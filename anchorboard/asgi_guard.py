"""The ASGI guard in front of Django: no body is read before its request is admitted.

Django's ASGI handler reads a whole request body (to a temporary file) before any
middleware or view can look at the request, so limits and the upload route's
authentication have to be enforced in front of it. For every HTTP request this guard:

1. asks anchorboard.request_admission whether the body may be sent at all (size declared
   in ``Content-Length``; for the upload route also who is asking and their board role)
   and, if not, answers with that refusal without calling ``receive`` even once;
2. otherwise counts the body bytes as Django receives them and, past the limit (a chunked
   body declares no length), answers 413 and tells Django the client went away, so the
   view never runs on a partial body.

Behind Anchorboard's Daphne (anchorboard.daphne_server) the server has already admitted
the request before reading its body and says so in the scope extension
``anchorboard.admission``; the guard then trusts that decision and only streams. Behind
any other ASGI server (uvicorn, test clients) the guard does the work itself.
"""

from __future__ import annotations

import logging
from typing import Any

from anchorboard.request_admission import Admission, Refusal, admit, too_large

logger = logging.getLogger(__name__)

ADMISSION_EXTENSION = "anchorboard.admission"
BODY_FILE_EXTENSION = "anchorboard.body_file"
STREAM_CHUNK = 256 * 1024

Scope = dict[str, Any]


async def send_refusal(send: Any, refusal: Refusal) -> None:
    await send(
        {"type": "http.response.start", "status": refusal.status, "headers": list(refusal.headers)}
    )
    await send({"type": "http.response.body", "body": refusal.body})


def file_receive(body_file: Any, receive: Any) -> Any:
    """``receive`` that hands out a body the server spooled to a file, chunk by chunk.

    The server queued one empty ``http.request`` message in its place; it is skipped, and
    everything after it (``http.disconnect``) comes from the server as usual.
    """
    state = {"done": False}

    async def _receive() -> dict[str, Any]:
        if state["done"]:
            return await receive()
        try:
            chunk = body_file.read(STREAM_CHUNK)
        except ValueError:  # closed: the connection went away
            state["done"] = True
            return {"type": "http.disconnect"}
        if len(chunk) < STREAM_CHUNK:
            state["done"] = True
            body_file.close()
            placeholder = await receive()
            if placeholder.get("type") != "http.request":
                return placeholder  # disconnected meanwhile
        return {"type": "http.request", "body": chunk, "more_body": not state["done"]}

    return _receive


class RequestBodyGuard:
    """Wrap Django's HTTP application; see the module docstring."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extensions = scope.get("extensions") or {}
        admission: Admission | None = extensions.get(ADMISSION_EXTENSION)
        body_file = extensions.get(BODY_FILE_EXTENSION)
        if body_file is not None:
            receive = file_receive(body_file, receive)
        if admission is None:
            admission = await admit(
                scope["method"], scope["path"], list(scope.get("headers", [])), scope.get("client")
            )
        if admission.refusal is not None:
            await send_refusal(send, admission.refusal)
            return
        await self.app(scope, *self._limited(scope, receive, send, admission.limit))

    @staticmethod
    def _limited(scope: Scope, receive: Any, send: Any, limit: int) -> tuple[Any, Any]:
        """(receive, send) that cut a body off at ``limit`` with a 413 of our own."""
        state = {"received": 0, "refused": False}

        async def limited_receive() -> dict[str, Any]:
            if state["refused"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message.get("type") == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["refused"] = True
                    await send_refusal(send, too_large(scope["method"], scope["path"], None))
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: dict[str, Any]) -> None:
            if not state["refused"]:  # our 413 is the answer; Django has nothing to add
                await send(message)

        return limited_receive, guarded_send
