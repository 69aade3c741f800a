"""Routes of the batches pages (a board's, the team's and its live rows) and the steering forms
(included by canvas.urls)."""

from django.urls import path

from canvas.batches import pages, team_live, team_page

urlpatterns = [
    path("batches/", team_page.team_batches_page, name="team-batches"),
    path("batches/live/", team_live.team_batches_live, name="team-batches-live"),
    path("boards/<uuid:board_id>/batches/", pages.batches_page, name="board-batches"),
    path(
        "batches/<uuid:batch_id>/<str:action>/",
        pages.steer_batch,
        name="batch-steer",
    ),
]
