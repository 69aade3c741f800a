"""Websocket routes. One socket per open board: /ws/boards/<board id>/."""

from django.urls import path

from canvas.consumers import BoardConsumer

websocket_urlpatterns = [
    path("ws/boards/<uuid:board_id>/", BoardConsumer.as_asgi()),
]
