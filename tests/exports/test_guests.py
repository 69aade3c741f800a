"""Share-link guests and exports: a link that allows downloads lists and downloads the
board's ready exports; one without gets a 403 that says so; a token of another board's
link, or an export of another board, is a 404 that reveals nothing."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from canvas.exports import services
from canvas.sharing import links
from tests import factories
from tests.exports.conftest import FAKE, expected_bytes

pytestmark = pytest.mark.django_db

# Guest endpoints of exports: share-link rules, not board roles (the permission matrix
# leaves them to this module).
GUEST_EXPORT_OPERATIONS = {("get", "/api/v1/share/{token}/exports")}


@pytest.fixture
def ready(board, owner, images, fake_kind, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.request_export(board, owner, {"kind": FAKE, "items": [str(images[0].pk)]})
    export.refresh_from_db()
    assert export.state == "ready"
    return export


def guest_list(token):
    return Client().get(f"/api/v1/share/{token}/exports")


def test_a_guest_whose_link_allows_downloads_gets_the_file(board, owner, ready, fake_kind):
    _, token = links.create_link(board, owner, permissions=["view", "download"])
    listed = guest_list(token)
    assert listed.status_code == 200
    (item,) = listed.json()
    assert item["id"] == str(ready.pk)
    assert item["download_url"] == f"/s/{token}/exports/{ready.pk}/download"
    response = Client().get(item["download_url"])
    assert response.status_code == 200 and response.streaming
    assert response["Referrer-Policy"] == "no-referrer"  # the token is in the URL
    assert b"".join(response.streaming_content) == expected_bytes(fake_kind.size)


def test_a_guest_without_the_download_permission_is_told_so(board, owner, ready):
    _, token = links.create_link(board, owner, permissions=["view", "comment"])
    listed = guest_list(token)
    assert listed.status_code == 403
    assert "does not allow you to download files" in listed.json()["error"]["message"]
    response = Client().get(f"/s/{token}/exports/{ready.pk}/download")
    assert response.status_code == 403
    assert "download" in json.loads(response.content)["error"]["message"]


def test_another_boards_token_is_a_404_for_this_boards_export(board, owner, ready):
    stranger = factories.make_user("stranger")
    theirs = factories.make_board(name="Theirs", owner=stranger)
    _, token = links.create_link(theirs, stranger, permissions=["view", "download"])
    assert guest_list(token).json() == []
    response = Client().get(f"/s/{token}/exports/{ready.pk}/download")
    assert response.status_code == 404
    body = json.loads(response.content)["error"]
    assert body["code"] == "export_not_found" and "Campaign" not in body["message"]


def test_an_unknown_or_revoked_token_says_what_is_wrong(board, owner, ready):
    unknown = Client().get(f"/s/{'x' * 40}/exports/{ready.pk}/download")
    assert unknown.status_code == 404
    assert json.loads(unknown.content)["error"]["code"] == "share_link_not_found"
    link, token = links.create_link(board, owner, permissions=["view", "download"])
    links.revoke_link(link, owner)
    revoked = Client().get(f"/s/{token}/exports/{ready.pk}/download")
    assert revoked.status_code == 410
    assert "turned off" in json.loads(revoked.content)["error"]["message"]


def test_a_frame_link_covers_only_that_frames_exports(
    board, owner, frame, ready, fake_kind, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        of_frame = services.request_export(board, owner, {"kind": FAKE, "frame": str(frame.pk)})
    _, token = links.create_link(
        board, owner, scope="frame", frame_id=str(frame.pk), permissions=["view", "download"]
    )
    assert [e["id"] for e in guest_list(token).json()] == [str(of_frame.pk)]
    assert Client().get(f"/s/{token}/exports/{ready.pk}/download").status_code == 404
    assert Client().get(f"/s/{token}/exports/{of_frame.pk}/download").status_code == 200
