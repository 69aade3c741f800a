"""Kit pages: pinning a board to a version (and following the latest again), and deleting
a kit — asked first on a page naming the boards that lose it — with who may do each."""

from __future__ import annotations

import pytest
from django.test import Client

from canvas.governance.kits import services
from canvas.models import Board
from tests import factories
from tests.governance.kits.conftest import SPRING

pytestmark = pytest.mark.django_db


def as_(kit_team, name) -> Client:
    client = Client()
    client.force_login(kit_team.people[name])
    return client


def kit_in_use(kit_team):
    """Spring at version 2, followed by the team's board."""
    kit = services.create_kit(kit_team.team, None, "Spring", SPRING)
    services.edit_kit(kit, None, changes={"negative_prompt": "blur"})
    services.set_board_kit(kit_team.board, kit)
    return kit


def test_a_kit_manager_pins_a_board_to_a_version_and_lets_it_follow_again(kit_team):
    kit = kit_in_use(kit_team)
    board = kit_team.board
    url = f"/brand-kits/{kit.pk}/boards/"
    manager = as_(kit_team, "kit_manager")
    editor_page = manager.get(f"/brand-kits/{kit.pk}/").content.decode()
    assert "follows the latest" in editor_page
    assert 'name="version"' in editor_page and '<option value="1">Pin version 1</option>' in (
        editor_page
    )

    pinned = manager.post(
        url, {"board": str(board.pk), "action": "pin", "version": "1"}, follow=True
    )
    assert services.board_kit(Board.objects.get(pk=board.pk)).number == 1
    page = pinned.content.decode()
    assert "is pinned to version 1 of “Spring”" in page
    assert "pinned to version 1" in page
    # A new version does not move the pinned board.
    services.edit_kit(kit, None, changes={"negative_prompt": "grain"})
    assert services.board_kit(Board.objects.get(pk=board.pk)).number == 1

    manager.post(url, {"board": str(board.pk), "action": "pin", "version": ""})
    again = Board.objects.get(pk=board.pk)
    assert again.brand_kit_version_id is None and services.board_kit(again).number == 3

    missing = manager.post(
        url, {"board": str(board.pk), "action": "pin", "version": "9"}, follow=True
    )
    assert "has no version 9" in missing.content.decode()
    assert Board.objects.get(pk=board.pk).brand_kit_version_id is None


def test_an_editor_sees_no_pin_form_and_cannot_pin(kit_team):
    kit = kit_in_use(kit_team)
    editor = as_(kit_team, "editor")
    page = editor.get(f"/brand-kits/{kit.pk}/").content.decode()
    assert "follows the latest" in page and 'data-testid="kit-pin-version"' not in page
    refused = editor.post(
        f"/brand-kits/{kit.pk}/boards/",
        {"board": str(kit_team.board.pk), "action": "pin", "version": "1"},
    )
    assert refused.status_code == 403
    assert Board.objects.get(pk=kit_team.board.pk).brand_kit_version_id is None


def test_deleting_a_kit_in_use_asks_first_naming_the_boards(kit_team):
    kit = kit_in_use(kit_team)
    other = factories.make_board(kit_team.team, "Autumn shoot")
    services.set_board_kit(other, kit, 1)
    admin = as_(kit_team, "admin")
    assert (
        f'href="/brand-kits/{kit.pk}/delete/"'
        in admin.get(f"/brand-kits/{kit.pk}/").content.decode()
    )

    confirm = admin.get(f"/brand-kits/{kit.pk}/delete/")
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "2 boards use this kit" in page
    assert "Autumn shoot" in page and "Spring shoot" in page and "(pinned to a version)" in page
    assert "their next jobs run without its locks" in page
    assert "Delete “Spring” and take it from 2 boards" in page
    # Asking deleted nothing.
    assert services.team_kits(kit_team.team).count() == 1

    done = admin.post(f"/brand-kits/{kit.pk}/delete/", follow=True)
    assert done.redirect_chain[-1][0] == f"/teams/{kit_team.team.pk}/brand-kits/"
    assert "Deleted the brand kit “Spring”. 2 boards no longer have a brand kit." in (
        done.content.decode()
    )
    assert services.team_kits(kit_team.team).count() == 0
    assert not Board.objects.filter(brand_kit=kit).exists()
    # The versions stay on record for the results made with them.
    assert kit.versions.count() == 2


def test_a_kit_no_board_uses_says_so(kit_team):
    kit = services.create_kit(kit_team.team, None, "Spring", SPRING)
    page = as_(kit_team, "kit_manager").get(f"/brand-kits/{kit.pk}/delete/").content.decode()
    assert "No board uses this kit." in page and "Delete “Spring”</button>" in page


@pytest.mark.parametrize("who", ["editor", "viewer", "stranger"])
def test_only_kit_managers_and_admins_delete(kit_team, who):
    kit = kit_in_use(kit_team)
    client = as_(kit_team, who)
    assert client.get(f"/brand-kits/{kit.pk}/delete/").status_code in (403, 404)
    assert client.post(f"/brand-kits/{kit.pk}/delete/").status_code in (403, 404)
    assert services.team_kits(kit_team.team).count() == 1
    if who != "stranger":
        page = client.get(f"/brand-kits/{kit.pk}/").content.decode()
        assert 'data-testid="kit-delete"' not in page
