"""Websocket routes. One socket per open board: /ws/boards/<board id>/; guests of a share
link: /ws/share/<token>/ (canvas.sharing.consumer).

Every websocket path is answered by a consumer, so no URL can make the server answer the
handshake with HTTP 500: a malformed board id is an unknown board (close 4403, checked by
the consumer), anything else under /ws/ closes with 4404 (docs/protocol.md "Close codes").
"""

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path, re_path

from canvas.boardsocket.consumer import BoardConsumer
from canvas.protocol.limits import CLOSE_NOT_FOUND
from canvas.sharing.consumer import GuestShareConsumer


class NoSuchSocket(AsyncWebsocketConsumer):
    """A websocket URL that names no board and no share link: accept, then close 4404, so the
    client sees a close code instead of a failed handshake."""

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)


websocket_urlpatterns = [
    path("ws/boards/<str:board_id>/", BoardConsumer.as_asgi()),
    path("ws/share/<str:token>/", GuestShareConsumer.as_asgi()),
    re_path(r"", NoSuchSocket.as_asgi()),
]
