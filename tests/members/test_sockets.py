"""Removing someone or changing their role through the members API acts on their open
board sockets at once: removed people are cut off (4403) without sending anything; a
changed role is sent to them as a new ``welcome`` (so the open canvas turns read-only or
editable without a reload) and is what their next message is checked against; nobody else
on the board hears about it. (canvas.realtime's model signals do the work; these tests
prove the new endpoints trigger them.)"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from canvas.models import Role, TeamMembership
from tests import factories
from tests.members.conftest import send
from tests.wsclient import create, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def synced(board, user):
    sock, welcome = await open_socket(board, user)
    assert welcome["type"] == "welcome"
    assert (await sock.sync(None))["type"] == "snapshot"
    return sock


def api_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@database_sync_to_async
def call(user, method: str, url: str, body=None):
    return send(api_as(user), method, url, body)


@pytest.fixture
def crew():
    owner = factories.make_user("olga")
    editor = factories.make_user("eve")
    member = factories.make_user("tom")
    team = factories.make_team("Studio", admin=owner, members=[member], default_board_role="editor")
    board = factories.make_board(team, "Poster", owner=owner, editor=editor)
    return {"board": board, "team": team, "owner": owner, "editor": editor, "member": member}


async def test_removing_a_member_closes_their_socket_at_once(crew):
    board = crew["board"]
    owner = await synced(board, crew["owner"])
    editor = await synced(board, crew["editor"])
    response = await call(
        crew["owner"], "delete", f"/api/v1/boards/{board.pk}/members/{crew['editor'].pk}"
    )
    assert response.status_code == 204
    assert (await editor.recv())["code"] == "forbidden"
    assert await editor.recv_output() == {"type": "websocket.close", "code": 4403}
    await owner.send({"type": "ops", "batch_id": "after", "ops": [create()]})
    assert (await owner.recv())["type"] == "ack"
    await owner.close()


async def test_a_changed_role_is_pushed_at_once_and_checked_on_the_next_message(crew):
    board = crew["board"]
    owner = await synced(board, crew["owner"])
    editor = await synced(board, crew["editor"])
    await editor.send({"type": "ops", "batch_id": "before", "ops": [create()]})
    assert (await editor.recv())["type"] == "ack"
    assert (await owner.recv())["type"] == "applied"
    url = f"/api/v1/boards/{board.pk}/members/{crew['editor'].pk}"
    response = await call(crew["owner"], "patch", url, {"role": Role.VIEWER})
    assert response.status_code == 200
    # Pushed without the editor sending anything: the canvas switches to read-only now.
    welcome = await editor.recv()
    assert (welcome["type"], welcome["role"], welcome["can_edit"]) == ("welcome", "viewer", False)
    assert welcome["revision"] == 1
    await editor.send({"type": "ops", "batch_id": "after", "ops": [create()]})
    reply = await editor.recv()
    assert (reply["type"], reply["code"], reply["batch_id"]) == ("error", "forbidden", "after")
    await editor.ping()  # still connected: a viewer may keep watching
    await owner.ping()  # the owner's role did not change: no welcome for them

    # Raised again: editable again, at once.
    response = await call(crew["owner"], "patch", url, {"role": Role.EDITOR})
    assert response.status_code == 200
    welcome = await editor.recv()
    assert (welcome["type"], welcome["role"], welcome["can_edit"]) == ("welcome", "editor", True)
    await editor.send({"type": "ops", "batch_id": "again", "ops": [create()]})
    assert (await editor.recv())["type"] == "ack"
    await editor.close()
    await owner.close()


async def test_removing_someone_from_the_team_closes_their_team_board_sockets(crew):
    board, team = crew["board"], crew["team"]
    member = await synced(board, crew["member"])
    response = await call(
        crew["owner"], "delete", f"/api/v1/teams/{team.pk}/members/{crew['member'].pk}"
    )
    assert response.status_code == 204
    assert (await member.recv())["code"] == "forbidden"
    assert await member.recv_output() == {"type": "websocket.close", "code": 4403}
    gone = await database_sync_to_async(
        TeamMembership.objects.filter(team=team, user=crew["member"]).exists
    )()
    assert not gone


async def test_leaving_through_the_page_closes_the_socket(crew):
    board = crew["board"]
    editor = await synced(board, crew["editor"])
    client = await database_sync_to_async(api_as)(crew["editor"])
    url = f"/boards/{board.pk}/members/{crew['editor'].pk}/remove/"
    response = await database_sync_to_async(client.post)(url)
    assert response.status_code == 302
    assert (await editor.recv())["code"] == "forbidden"
    assert await editor.recv_output() == {"type": "websocket.close", "code": 4403}
