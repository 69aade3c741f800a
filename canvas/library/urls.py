"""File routes, mounted at /files/ (see canvas.library.views)."""

from django.urls import path

from canvas.library import views

urlpatterns = [
    path("boards/<uuid:board_id>/atlas.json", views.atlas, name="board-atlas"),
    path(
        "boards/<uuid:board_id>/atlas/<str:digest>.webp",
        views.atlas_sheet,
        name="board-atlas-sheet",
    ),
    path(
        "<uuid:asset_id>/<str:sha256>/original",
        views.original,
        name="asset-original",
    ),
    path(
        "<uuid:asset_id>/<str:sha256>/<int:level>.webp",
        views.level,
        name="asset-level",
    ),
]
