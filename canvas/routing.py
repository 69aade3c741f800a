"""Websocket routes. One socket per open board: /ws/boards/<board id>/."""

from django.urls import path  # noqa: F401

websocket_urlpatterns: list = []
