"""Routes of the exports page and the download links (included by canvas.urls)."""

from django.urls import path

from canvas.exports import views

urlpatterns = [
    path("boards/<uuid:board_id>/exports/", views.exports_page, name="board-exports"),
    path("boards/<uuid:board_id>/exports/new/", views.export_frame, name="board-export-new"),
    path(
        "boards/<uuid:board_id>/exports/<uuid:export_id>/again/",
        views.export_again,
        name="board-export-again",
    ),
    path(
        "boards/<uuid:board_id>/exports/<uuid:export_id>/cancel/",
        views.cancel,
        name="board-export-cancel",
    ),
    path("exports/<uuid:export_id>/download", views.member_download, name="export-download"),
    path(
        "s/<str:token>/exports/<uuid:export_id>/download",
        views.guest_download,
        name="share-export-download",
    ),
]
