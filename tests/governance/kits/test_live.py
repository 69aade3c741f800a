"""An open board follows its brand kit: the ``brand_kit`` message reaches the sockets of
exactly the boards whose kit changed, after commit, for any member's role, never a guest's,
and only when someone allowed to change the kit did."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from canvas.governance.kits import services
from canvas.sharing import links
from tests import factories
from tests.governance.kits.conftest import SPRING
from tests.sharing.test_share_ws import GuestSocket
from tests.wsclient import open_socket

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def boards(kit_team):
    """A follows the kit's latest, B is pinned to version 1, C uses another kit; a guest
    link on A."""
    manager = kit_team.people["kit_manager"]
    kit = services.create_kit(kit_team.team, manager, "Spring", SPRING)
    other = services.create_kit(kit_team.team, manager, "Autumn", {})
    follows = kit_team.board
    pinned = factories.make_board(kit_team.team, "Pinned")
    elsewhere = factories.make_board(kit_team.team, "Elsewhere")
    services.set_board_kit(follows, kit)
    services.set_board_kit(pinned, kit, 1)
    services.set_board_kit(elsewhere, other)
    link, token = links.create_link(follows, kit_team.people["admin"], visibility="all_candidates")
    return kit, follows, pinned, elsewhere, (link, token)


def api(kit_team, who: str, method: str, path: str, body: dict):
    client = Client()
    client.force_login(kit_team.people[who])
    return getattr(client, method)(
        f"/api/v1{path}", json.dumps(body), content_type="application/json"
    )


async def quiet(*sockets) -> None:
    """Nothing was sent to these sockets: a ping's pong is the next message."""
    for sock in sockets:
        await sock.ping()


async def test_an_edited_kit_reaches_the_boards_that_follow_it_and_no_others(kit_team):
    kit, follows, pinned, elsewhere, (link, token) = await boards(kit_team)
    people = kit_team.people
    viewer, _ = await open_socket(follows, people["viewer"])
    editor, _ = await open_socket(follows, people["editor"])
    on_pinned, _ = await open_socket(pinned, people["editor"])
    on_other, _ = await open_socket(elsewhere, people["editor"])
    guest = GuestSocket(token)
    await guest.open()

    # An editor may not change the kit: refused, and nothing is sent to anyone.
    refused = await sync_to_async(api)(
        kit_team, "editor", "patch", f"/brand-kits/{kit.pk}", {"locks": []}
    )
    assert refused.status_code == 403
    await quiet(viewer, editor, on_pinned, on_other)

    edited = await sync_to_async(api)(
        kit_team, "kit_manager", "patch", f"/brand-kits/{kit.pk}", {"locks": ["engine"]}
    )
    assert edited.status_code == 200, edited.json()
    for sock in (viewer, editor):  # every member of the board, whatever their role
        message = await sock.recv()
        assert message["type"] == "brand_kit"
        assert message["brand_kit"] == {
            "id": str(kit.pk),
            "name": "Spring",
            "version": 2,
            "pinned": False,
            "locks": ["engine"],
            "engine": "local",
            "strength": 0.5,
            "variables": ["product", "season"],
            "url": f"/brand-kits/{kit.pk}/",
        }
    # The pinned board keeps version 1 and the other kit's board is untouched.
    await quiet(viewer, editor, on_pinned, on_other)
    # A guest never hears of the kit: the revoke is the next thing its socket gets.
    await sync_to_async(links.revoke_link)(link, people["admin"])
    assert (await guest.recv())["code"] == "share_link_revoked"
    for sock in (viewer, editor, on_pinned, on_other):
        await sock.close()


async def test_choosing_pinning_and_deleting_a_kit_tell_that_board(kit_team):
    kit, _follows, pinned, elsewhere, _ = await boards(kit_team)
    people = kit_team.people
    on_pinned, _ = await open_socket(pinned, people["viewer"])
    on_other, _ = await open_socket(elsewhere, people["editor"])
    path = f"/boards/{pinned.pk}/brand-kit"

    # Editors may not choose a board's kit: refused, nothing sent.
    refused = await sync_to_async(api)(kit_team, "editor", "put", path, {"kit": None})
    assert refused.status_code == 403
    await quiet(on_pinned, on_other)

    unpinned = await sync_to_async(api)(kit_team, "admin", "put", path, {"kit": str(kit.pk)})
    assert unpinned.status_code == 200
    message = await on_pinned.recv()
    assert message["type"] == "brand_kit"
    assert (message["brand_kit"]["version"], message["brand_kit"]["pinned"]) == (1, False)

    await sync_to_async(services.delete_kit)(kit)
    assert await on_pinned.recv() == {"type": "brand_kit", "brand_kit": None}
    await quiet(on_pinned, on_other)
    await on_pinned.close()
    await on_other.close()
