"""The Django admin for canvas models, and creating the first admin account."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from canvas.models import ApiToken, Board, BoardMember, Item, ItemKind, Team
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(
        get_user_model().objects.create_superuser("root", "root@example.test", "pw-root-123")
    )
    return client


def test_every_canvas_model_is_in_the_admin():
    for model in apps.get_app_config("canvas").get_models():
        assert admin.site.is_registered(model), model.__name__


def test_changelists_and_change_pages_open(admin_client, cast):
    item = Item.objects.create(board=cast.board, kind=ItemKind.FRAME, name="Hero shot")
    objects = {
        Team: cast.team,
        Board: cast.board,
        BoardMember: BoardMember.objects.first(),
        Item: item,
    }
    for model, obj in objects.items():
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert admin_client.get(changelist).status_code == 200, meta.model_name
        change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        assert admin_client.get(change).status_code == 200, meta.model_name


def test_board_admin_has_member_inline_and_team_has_membership_inline(admin_client, cast):
    board_page = admin_client.get(reverse("admin:canvas_board_change", args=[cast.board.pk]))
    assert "memberships-TOTAL_FORMS" in board_page.content.decode()
    team_page = admin_client.get(reverse("admin:canvas_team_change", args=[cast.team.pk]))
    assert "memberships-TOTAL_FORMS" in team_page.content.decode()


def test_api_token_admin_never_shows_the_hash(admin_client):
    token, _plain = ApiToken.issue(factories.make_user(), name="ci script")
    for page in (
        reverse("admin:canvas_apitoken_changelist"),
        reverse("admin:canvas_apitoken_change", args=[token.pk]),
    ):
        response = admin_client.get(page)
        assert response.status_code == 200
        body = response.content.decode()
        assert "ci script" in body
        assert token.key_hash not in body
    assert admin_client.get(reverse("admin:canvas_apitoken_add")).status_code == 403


def test_createsuperuser_noinput_from_environment(monkeypatch, client):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "boss")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long admin secret 7")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "boss@example.test")
    call_command("createsuperuser", interactive=False, verbosity=0)
    user = get_user_model().objects.get(username="boss")
    assert user.is_superuser and user.is_staff
    assert user.check_password("a long admin secret 7")
    assert client.login(username="boss", password="a long admin secret 7")
    assert client.get(reverse("admin:index")).status_code == 200
    # The new admin, who has no team yet, sees the board list's empty state.
    assert "No boards yet" in client.get(reverse("board-list")).content.decode()


def test_admin_is_titled_anchorboard_and_model_names_read_well(admin_client):
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "Anchorboard administration" in index
    assert "Django administration" not in index
    assert "Board engine fallback chains" in index and "fallbackss" not in index
    assert "API tokens" in index and "Provider health" in index and "healths" not in index
    for model in apps.get_app_config("canvas").get_models():
        plural = str(model._meta.verbose_name_plural)
        assert not plural.endswith("ss"), model.__name__


def test_invitation_admin_never_shows_the_token_hash(admin_client, cast):
    from canvas.members import invitations

    made = invitations.create_board_invitation(cast.board, cast.owner, "viewer")
    for page in (
        reverse("admin:canvas_invitation_changelist"),
        reverse("admin:canvas_invitation_change", args=[made.invitation.pk]),
    ):
        response = admin_client.get(page)
        assert response.status_code == 200
        assert made.invitation.token_hash not in response.content.decode()
    assert admin_client.get(reverse("admin:canvas_invitation_add")).status_code == 403
