"""Brand kit endpoints: the contract (docs/api.md "Brand kits") and who may do what."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client

from canvas.governance.kits import services
from canvas.models import Board, BrandKitVersion, Job
from tests import factories
from tests.governance.kits.conftest import SPRING
from tests.jobs.conftest import REGION, add_image

pytestmark = pytest.mark.django_db

PEOPLE = ("admin", "kit_manager", "editor", "viewer", "stranger")


def as_(kit_team, name) -> Client:
    client = Client()
    client.force_login(kit_team.people[name])
    return client


def send(client, method, url, body=None):
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def kit(kit_team):
    return services.create_kit(kit_team.team, kit_team.people["admin"], "Spring", SPRING)


def test_create_read_list_and_the_version_reply(kit_team):
    client = as_(kit_team, "kit_manager")
    created = send(
        client, "post", f"/api/v1/teams/{kit_team.team.pk}/brand-kits", {"name": "Spring", **SPRING}
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["name"], body["latest_version"], body["version"]["number"]) == ("Spring", 1, 1)
    assert body["version"]["content"]["locks"] == ["engine", "prompt"]
    assert body["version"]["created_by"] == kit_team.people["kit_manager"].pk
    listed = client.get(f"/api/v1/teams/{kit_team.team.pk}/brand-kits").json()
    assert [k["id"] for k in listed["items"]] == [body["id"]]
    assert client.get(f"/api/v1/brand-kits/{body['id']}").json() == body


def test_patch_makes_a_new_version_and_old_versions_stay_readable(kit_team, kit):
    client = as_(kit_team, "kit_manager")
    url = f"/api/v1/brand-kits/{kit.pk}"
    patched = send(client, "patch", url, {"locks": [], "negative_prompt": "blur"})
    assert patched.status_code == 200, patched.json()
    assert patched.json()["version"]["number"] == 2
    assert patched.json()["version"]["content"]["locks"] == []
    first = client.get(url, {"version": 1}).json()
    assert first["version"]["content"]["locks"] == ["engine", "prompt"]
    missing = client.get(url, {"version": 9})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "brand_kit_not_found")


def test_invalid_content_is_a_sentence_in_the_error_shape(kit_team, kit):
    reply = send(
        as_(kit_team, "admin"), "patch", f"/api/v1/brand-kits/{kit.pk}", {"engine": "nope"}
    )
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "invalid_brand_kit"
    assert "There is no engine called 'nope'" in reply.json()["error"]["message"]


def test_a_reference_upload_adds_it_in_a_new_version_and_serves_it(kit_team, kit):
    client = as_(kit_team, "kit_manager")
    upload = factories.png_bytes((30, 20), (230, 160, 180))
    from django.core.files.uploadedfile import SimpleUploadedFile

    reply = client.post(
        f"/api/v1/brand-kits/{kit.pk}/references",
        {"role": "palette", "file": SimpleUploadedFile("petal.png", upload, "image/png")},
    )
    assert reply.status_code == 201, reply.json()
    body = reply.json()
    ref = body["reference"]
    assert (ref["role"], ref["filename"], ref["width"], ref["height"]) == (
        "palette",
        "petal.png",
        30,
        20,
    )
    assert body["kit"]["version"]["content"]["references"] == [
        {"id": ref["id"], "role": "palette", "filename": "petal.png"}
    ]
    served = as_(kit_team, "viewer").get(f"/api/v1/brand-kits/{kit.pk}/references/{ref['id']}/file")
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == upload
    bad = client.post(
        f"/api/v1/brand-kits/{kit.pk}/references",
        {"role": "palette", "file": SimpleUploadedFile("x.png", b"not png", "image/png")},
    )
    assert bad.status_code in (400, 415) and bad.json()["error"]["code"]
    assert kit.versions.count() == 2


def test_a_board_takes_a_kit_pins_a_version_and_drops_it(kit_team, kit):
    client = as_(kit_team, "kit_manager")
    url = f"/api/v1/boards/{kit_team.board.pk}/brand-kit"
    assert client.get(url).json() == {"brand_kit": None}
    reply = send(client, "put", url, {"kit": str(kit.pk)})
    assert reply.status_code == 200, reply.json()
    assert reply.json()["brand_kit"] == {
        "id": str(kit.pk),
        "name": "Spring",
        "version": 1,
        "pinned": False,
        "locks": ["engine", "prompt"],
        "engine": "local",
        "strength": 0.5,
        "variables": ["product", "season"],
        "url": f"/brand-kits/{kit.pk}/",
    }
    services.edit_kit(kit, None, changes={"negative_prompt": "blur"})
    assert as_(kit_team, "viewer").get(url).json()["brand_kit"]["version"] == 2
    pinned = send(client, "put", url, {"kit": str(kit.pk), "version": 1}).json()["brand_kit"]
    assert (pinned["version"], pinned["pinned"]) == (1, True)
    assert send(client, "put", url, {"kit": None}).json() == {"brand_kit": None}
    other = services.create_kit(factories.make_team("Other"), None, "Theirs")
    foreign = send(client, "put", url, {"kit": str(other.pk)})
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (404, "brand_kit_not_found")


def test_delete_detaches_boards_and_keeps_versions(kit_team, kit):
    services.set_board_kit(kit_team.board, kit)
    reply = as_(kit_team, "kit_manager").delete(f"/api/v1/brand-kits/{kit.pk}")
    assert reply.status_code == 204
    assert Board.objects.get(pk=kit_team.board.pk).brand_kit_id is None
    assert BrandKitVersion.objects.filter(kit=kit).exists()
    assert as_(kit_team, "admin").get(f"/api/v1/brand-kits/{kit.pk}").status_code == 404


# --- Who may do what ---------------------------------------------------------------------

# Every kit operation; tests/test_permission_matrix.py leaves these to the matrix below.
KIT_OPERATIONS = {
    ("get", "/api/v1/teams/{team_id}/brand-kits"),
    ("post", "/api/v1/teams/{team_id}/brand-kits"),
    ("get", "/api/v1/brand-kits/{kit_id}"),
    ("patch", "/api/v1/brand-kits/{kit_id}"),
    ("delete", "/api/v1/brand-kits/{kit_id}"),
    ("post", "/api/v1/brand-kits/{kit_id}/references"),
    ("get", "/api/v1/brand-kits/{kit_id}/references/{reference_id}/file"),
    ("get", "/api/v1/boards/{board_id}/brand-kit"),
    ("put", "/api/v1/boards/{board_id}/brand-kit"),
}

MATRIX = {
    # action: expected status for admin, kit_manager, editor, viewer, stranger
    "list": (200, 200, 200, 200, 404),
    "read": (200, 200, 200, 200, 404),
    "reference_file": (200, 200, 200, 200, 404),
    "board_kit": (200, 200, 200, 200, 404),
    "create": (201, 201, 403, 403, 404),
    "unlock": (200, 200, 403, 403, 404),
    "upload": (201, 201, 403, 403, 404),
    "attach": (200, 200, 403, 403, 404),
    "delete": (204, 204, 403, 403, 404),
}


def act(client, action, kit_team, kit):
    team, board = kit_team.team, kit_team.board
    if action == "list":
        return client.get(f"/api/v1/teams/{team.pk}/brand-kits")
    if action == "read":
        return client.get(f"/api/v1/brand-kits/{kit.pk}")
    if action == "reference_file":
        reference, _ = services.add_reference(
            kit, kit_team.people["admin"], io.BytesIO(factories.png_bytes()), "r.png", "style"
        )
        return client.get(f"/api/v1/brand-kits/{kit.pk}/references/{reference.pk}/file")
    if action == "board_kit":
        services.set_board_kit(board, kit)
        return client.get(f"/api/v1/boards/{board.pk}/brand-kit")
    if action == "create":
        return send(client, "post", f"/api/v1/teams/{team.pk}/brand-kits", {"name": "New"})
    if action == "unlock":
        return send(client, "patch", f"/api/v1/brand-kits/{kit.pk}", {"locks": []})
    if action == "upload":
        from django.core.files.uploadedfile import SimpleUploadedFile

        image = SimpleUploadedFile("r.png", factories.png_bytes(), "image/png")
        return client.post(
            f"/api/v1/brand-kits/{kit.pk}/references", {"role": "style", "file": image}
        )
    if action == "attach":
        return send(client, "put", f"/api/v1/boards/{board.pk}/brand-kit", {"kit": str(kit.pk)})
    return client.delete(f"/api/v1/brand-kits/{kit.pk}")


@pytest.mark.parametrize("action", MATRIX)
def test_permission_matrix(kit_team, action):
    got = []
    for who in PEOPLE:
        kit = services.create_kit(kit_team.team, None, f"Kit for {who}", SPRING)
        got.append(act(as_(kit_team, who), action, kit_team, kit).status_code)
        if action in ("unlock", "upload"):
            assert (kit.versions.count() == 2) == (got[-1] in (200, 201)), who
        if action == "delete":
            alive = services.team_kits(kit_team.team).filter(pk=kit.pk).exists()
            assert alive == (got[-1] != 204), who
    assert tuple(got) == MATRIX[action]


def test_an_editor_cannot_unlock_by_running_a_job_either(kit_team, kit):
    add_image(kit_team.board, kit_team.people["admin"])
    services.set_board_kit(kit_team.board, kit)
    refused = send(
        as_(kit_team, "editor"),
        "post",
        f"/api/v1/boards/{kit_team.board.pk}/jobs",
        {"mode": "img2img", "engine": "test-echo", "region": REGION},
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "brand_kit_locked"
    assert Job.objects.count() == 0
