"""Routes of the HTML pages: sign-in, the board list and its actions, the board page.

Sign-in and password change are throttled (foundation/password_pages.py).
"""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from canvas.boards import board_list, board_page
from canvas.governance.kits import pages as kit_pages
from canvas.ops import pages as ops_pages
from canvas.pilot import pages as pilot_pages
from canvas.review import pages as review_pages
from canvas.sharing import views as share
from canvas.views import providers
from foundation import password_pages

urlpatterns = [
    path("login/", password_pages.LoginPage.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", password_pages.PasswordChangePage.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("", board_list.board_list, name="board-list"),
    path("boards/new/", board_list.board_create, name="board-create"),
    path("boards/<uuid:board_id>/", board_page.board_page, name="board"),
    path("boards/<uuid:board_id>/review/", review_pages.review_page, name="board-review"),
    path("boards/<uuid:board_id>/rename/", board_list.board_rename, name="board-rename"),
    path("boards/<uuid:board_id>/duplicate/", board_list.board_duplicate, name="board-duplicate"),
    path("boards/<uuid:board_id>/archive/", board_list.board_archive, name="board-archive"),
    path("boards/<uuid:board_id>/restore/", board_list.board_restore, name="board-restore"),
    path("boards/<uuid:board_id>/delete/", board_list.board_delete, name="board-delete"),
    path("providers/", providers.providers_page, name="providers"),
    # The operations dashboard (canvas.ops.pages, docs/dashboard.md "The page").
    path("dashboard/", ops_pages.dashboard_page, name="dashboard"),
    # Pilot runs, their reports (page, PDF, raw JSON) and comparisons (docs/pilot.md).
    path("pilots/", pilot_pages.pilots_page, name="pilots"),
    path("pilots/compare/", pilot_pages.compare_page, name="pilot-compare"),
    path("pilots/<uuid:run_id>/", pilot_pages.pilot_page, name="pilot"),
    path("pilots/<uuid:run_id>/cancel/", pilot_pages.pilot_cancel, name="pilot-cancel"),
    path("pilots/<uuid:run_id>/report.pdf", pilot_pages.pilot_pdf, name="pilot-pdf"),
    path("pilots/<uuid:run_id>/report.json", pilot_pages.pilot_json, name="pilot-json"),
    # Teams, board members, invitation links and sign-up (canvas.members, docs/members.md).
    path("", include("canvas.members.urls")),
    # A team's webhooks and their delivery log (canvas.webhooks, docs/webhooks.md).
    path("", include("canvas.webhooks.urls")),
    # A board's exports and their download links (canvas.exports, docs/exports.md).
    path("", include("canvas.exports.urls")),
    # A board's batches page and its pause/resume/cancel forms (docs/batches.md).
    path("", include("canvas.batches.urls")),
    path("teams/<uuid:team_id>/brand-kits/", kit_pages.kit_list, name="brand-kits"),
    path("brand-kits/<uuid:kit_id>/", kit_pages.kit_editor, name="brand-kit"),
    path(
        "brand-kits/<uuid:kit_id>/references/", kit_pages.kit_reference, name="brand-kit-reference"
    ),
    path("brand-kits/<uuid:kit_id>/boards/", kit_pages.kit_board, name="brand-kit-board"),
    path("brand-kits/<uuid:kit_id>/delete/", kit_pages.kit_delete, name="brand-kit-delete"),
    # Review and share links (canvas.sharing.views, docs/review.md).
    path("inbox/", review_pages.inbox_page, name="inbox"),
    path("s/<str:token>/", share.share_page, name="share-page"),
    path("s/<str:token>/unlock/", share.share_unlock, name="share-unlock"),
    path("s/<str:token>/guest/", share.share_identify, name="share-identify"),
    path("s/<str:token>/atlas.json", share.share_atlas, name="share-atlas"),
    path(
        "s/<str:token>/atlas/<str:digest>.webp", share.share_atlas_sheet, name="share-atlas-sheet"
    ),
    path(
        "s/<str:token>/files/<uuid:asset_id>/original",
        share.share_original,
        name="share-original",
    ),
    path(
        "s/<str:token>/files/<uuid:asset_id>/view.webp",
        share.share_view,
        name="share-view",
    ),
    path(
        "s/<str:token>/files/<uuid:asset_id>/clip.mp4",
        share.share_clip,
        name="share-clip",
    ),
    path(
        "s/<str:token>/files/<uuid:asset_id>/<int:level>.webp",
        share.share_level,
        name="share-level",
    ),
]
