"""Routes of the members pages, the invitation page and sign-up (included by canvas.urls)."""

from django.urls import path

from canvas.members import join, views

BOARD = "boards/<uuid:target_id>/"
TEAM = "teams/<uuid:target_id>/"


def actions(prefix: str, kind: str, bound: dict) -> list:
    """The same five member actions for boards and teams: board-add, team-add, …"""
    return [
        path(f"{prefix}members/add/", bound["add"], name=f"{kind}-add"),
        path(f"{prefix}members/<int:user_id>/role/", bound["role"], name=f"{kind}-role"),
        path(f"{prefix}members/<int:user_id>/remove/", bound["remove"], name=f"{kind}-remove"),
        path(f"{prefix}invitations/", bound["invite"], name=f"{kind}-invite"),
        path(
            f"{prefix}invitations/<uuid:invitation_id>/revoke/",
            bound["revoke"],
            name=f"{kind}-revoke",
        ),
    ]


urlpatterns = [
    path("teams/", views.team_list, name="team-list"),
    path("teams/<uuid:team_id>/", views.team_page, name="team-page"),
    path("teams/<uuid:team_id>/default-role/", views.team_default_role, name="team-default-role"),
    path("boards/<uuid:board_id>/members/", views.board_members_page, name="board-members"),
    *actions(BOARD, "board", views.BOARD_ACTIONS),
    *actions(TEAM, "team", views.TEAM_ACTIONS),
    path("invite/<str:token>/", join.invitation_page, name="invitation"),
    path("signup/", join.signup_page, name="signup"),
    path("signup/settings/", views.signup_settings, name="signup-settings"),
]
