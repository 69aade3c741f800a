"""A lock is refused with the same sentence on the board socket and the JSON API."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from canvas.governance.kits import services
from canvas.models import Job
from tests.jobs.conftest import REGION, add_image
from tests.wsclient import open_socket

MESSAGE = (
    "This board's brand kit “Spring” locks the engine to test-echo; ask a kit manager to unlock it."
)


def locked_board(kit_team):
    add_image(kit_team.board, kit_team.people["admin"])
    kit = services.create_kit(
        kit_team.team,
        kit_team.people["kit_manager"],
        "Spring",
        {"engine": "test-echo", "locks": ["engine"]},
    )
    services.set_board_kit(kit_team.board, kit)
    return kit_team.board


@pytest.mark.django_db
def test_the_api_refuses_a_job_that_breaks_a_lock(kit_team):
    board = locked_board(kit_team)
    client = Client()
    client.force_login(kit_team.people["editor"])
    body = {"mode": "img2img", "engine": "local", "region": REGION}
    response = client.post(f"/api/v1/boards/{board.pk}/jobs", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "brand_kit_locked", "message": MESSAGE}}
    assert Job.objects.count() == 0
    body["engine"] = "test-echo"
    accepted = client.post(f"/api/v1/boards/{board.pk}/jobs", body, content_type="application/json")
    assert accepted.status_code == 201, accepted.json()
    assert accepted.json()["spec"]["brand_kit"]["name"] == "Spring"


@pytest.mark.django_db(transaction=True)
async def test_the_socket_refuses_a_job_that_breaks_a_lock(kit_team):
    board = await database_sync_to_async(locked_board)(kit_team)
    sock, _ = await open_socket(board, kit_team.people["editor"])
    await sock.send(
        {
            "type": "job_submit",
            "request_id": "r1",
            "mode": "img2img",
            "engine": "local",
            "region": REGION,
        }
    )
    for _ in range(20):
        reply = await sock.recv()
        if reply["type"] == "error":
            break
    assert (reply["code"], reply["message"], reply["request_id"]) == (
        "brand_kit_locked",
        MESSAGE,
        "r1",
    )
    assert await database_sync_to_async(Job.objects.count)() == 0
    await sock.close()
