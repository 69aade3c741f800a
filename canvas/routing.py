"""Websocket routes. One socket per open board: /ws/boards/<board id>/; guests of a share
link: /ws/share/<token>/ (canvas.share_consumer)."""

from django.urls import path

from canvas.consumers import BoardConsumer
from canvas.share_consumer import GuestShareConsumer

websocket_urlpatterns = [
    path("ws/boards/<uuid:board_id>/", BoardConsumer.as_asgi()),
    path("ws/share/<str:token>/", GuestShareConsumer.as_asgi()),
]
