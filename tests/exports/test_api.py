"""The exports API: the request check (400s that say what is wrong), 202 and polling, the
signed download link (streamed, expiring, re-checked against the caller's access)."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from django.test import Client

from canvas.exports.models import Export, ExportState
from canvas.models import BoardMember
from tests import factories
from tests.exports.conftest import FAKE, client_for, expected_bytes

pytestmark = pytest.mark.django_db


def post(client, board, body):
    return client.post(
        f"/api/v1/boards/{board.pk}/exports", json.dumps(body), content_type="application/json"
    )


def error_of(response):
    return response.json()["error"]


def test_an_unknown_kind_is_a_400_naming_the_kinds(board, owner, images):
    response = post(client_for(owner), board, {"kind": "gif", "items": [str(images[0].pk)]})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_export"
    assert "'gif'" in error["message"] and "psd, png, tiff16, zip, pdf" in error["message"]


def test_a_kind_whose_writer_has_not_landed_is_a_400_not_a_stand_in(
    board, owner, images, monkeypatch
):
    from canvas.exports import kinds

    missing = "psd"
    monkeypatch.delitem(kinds._KINDS, missing)  # a server without that writer
    response = post(client_for(owner), board, {"kind": missing, "items": [str(images[0].pk)]})
    assert response.status_code == 400
    assert error_of(response)["code"] == "export_kind_not_available"
    assert "not available on this server yet" in error_of(response)["message"]
    assert not Export.objects.exists()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "Say what to export"),
        ({"items": []}, "The selection is empty"),
        ({"items": "abc"}, "must be a list"),
        ({"items": ["nope"]}, "is not an id"),
        ({"frame": "x", "items": []}, "not items and frame"),
        ({"batch": str(uuid.uuid4())}, "is not a batch of this board"),
        ({"items": [], "options": []}, '"options" must be an object'),
    ],
)
def test_a_bad_selection_is_a_400_that_says_why(board, owner, images, fake_kind, body, words):
    response = post(client_for(owner), board, {"kind": FAKE, **body})
    assert response.status_code == 400, response.content
    assert words in error_of(response)["message"]
    assert not Export.objects.exists()


def test_items_of_another_board_or_deleted_ones_are_refused(board, owner, images, fake_kind):
    other = factories.make_board(name="Elsewhere", owner=owner)
    stranger_item = factories_item(other, owner)
    images[1].deleted = True
    images[1].save()
    client = client_for(owner)
    for item in (stranger_item, images[1]):
        response = post(client, board, {"kind": FAKE, "items": [str(images[0].pk), str(item.pk)]})
        assert response.status_code == 400
        assert f"Item {item.pk} is not on this board" in error_of(response)["message"]
    response = post(client, board, {"kind": FAKE, "frame": str(images[0].pk)})
    assert (
        response.status_code == 400
        and "is not a frame on this board" in error_of(response)["message"]
    )


def factories_item(board, user):
    from tests.jobs.conftest import add_image

    return add_image(board, user)


def test_the_kind_checks_what_only_it_knows(board, owner, images, fake_kind):
    body = {"kind": FAKE, "items": [str(images[0].pk)], "options": {"refuse": True}}
    response = post(client_for(owner), board, body)
    assert (
        response.status_code == 400 and "refuses this on purpose" in error_of(response)["message"]
    )


def test_accepted_then_ready_with_a_download_link_that_streams_the_file(
    board, owner, images, fake_kind, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, board, {"kind": FAKE, "items": [str(i.pk) for i in images]})
    assert response.status_code == 202
    export_id = response.json()["export"]
    body = client.get(f"/api/v1/exports/{export_id}").json()
    assert body["state"] == "ready" and body["progress"] == 1.0
    assert body["size"] == fake_kind.size and body["requested_by"] == "owner"
    assert body["download_url"].startswith(f"/exports/{export_id}/download?t=")
    export = Export.objects.get(pk=export_id)
    assert export.selection == {"items": [str(i.pk) for i in images]}
    data = expected_bytes(fake_kind.size)
    assert export.sha256 == hashlib.sha256(data).hexdigest()

    # No session needed: the link is the credential (a script hands it to curl).
    download = Client().get(body["download_url"])
    assert download.status_code == 200
    assert download.streaming  # chunk by chunk from storage, not one body in memory
    assert download["Content-Length"] == str(fake_kind.size)
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == data


def test_the_list_shows_the_boards_exports_newest_first(
    board, owner, viewer, images, fake_kind, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, board, {"kind": FAKE, "items": [str(images[0].pk)]}).json()["export"]
        second = post(client, board, {"kind": FAKE, "items": [str(images[1].pk)]}).json()["export"]
    page = client_for(viewer).get(f"/api/v1/boards/{board.pk}/exports").json()
    assert [e["id"] for e in page["items"]] == [second, first]
    assert all(e["download_url"] for e in page["items"])


def test_a_forged_or_foreign_token_is_a_404_and_an_old_one_a_410(
    board, owner, images, fake_kind, django_capture_on_commit_callbacks, settings
):
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        export_id = post(client, board, {"kind": FAKE, "items": [str(images[0].pk)]}).json()[
            "export"
        ]
        other_id = post(client, board, {"kind": FAKE, "items": [str(images[1].pk)]}).json()[
            "export"
        ]
    url = client.get(f"/api/v1/exports/{export_id}").json()["download_url"]
    token = url.split("?t=", 1)[1]
    forged = Client().get(f"/exports/{export_id}/download?t={token[:-2]}xx")
    assert forged.status_code == 404 and error_of(forged)["code"] == "export_not_found"
    # A link made for one export does not open another.
    foreign = Client().get(f"/exports/{other_id}/download?t={token}")
    assert foreign.status_code == 404
    settings.ANCHORBOARD_EXPORT_LINK_SECONDS = 1
    from canvas.exports import links

    signed_long_ago = links.member_url(export_id, owner.pk)
    import time as real_time
    from unittest import mock

    with mock.patch("django.core.signing.time.time", return_value=real_time.time() + 5):
        expired = Client().get(signed_long_ago)
    assert expired.status_code == 410
    assert error_of(expired)["code"] == "download_link_expired"
    assert "fresh link" in error_of(expired)["message"]


def test_a_link_stops_working_when_its_user_loses_access(
    board, owner, viewer, images, fake_kind, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export_id = post(
            client_for(owner), board, {"kind": FAKE, "items": [str(images[0].pk)]}
        ).json()["export"]
    url = client_for(viewer).get(f"/api/v1/exports/{export_id}").json()["download_url"]
    assert Client().get(url).status_code == 200
    BoardMember.objects.filter(board=board, user=viewer).delete()
    gone = Client().get(url)
    assert gone.status_code == 404 and error_of(gone)["code"] == "export_not_found"


def test_an_expired_export_has_no_link_and_its_old_link_says_so(
    board, owner, images, fake_kind, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from canvas.exports import recovery

    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        export_id = post(client, board, {"kind": FAKE, "items": [str(images[0].pk)]}).json()[
            "export"
        ]
    url = client.get(f"/api/v1/exports/{export_id}").json()["download_url"]
    export = Export.objects.get(pk=export_id)
    key = export.file_key
    Export.objects.filter(pk=export_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = Client().get(url)
    assert answer.status_code == 410 and error_of(answer)["code"] == "export_expired"
    assert "Export it again" in error_of(answer)["message"]
    assert client.get(f"/api/v1/exports/{export_id}").json()["download_url"] is None
    # The upkeep deletes the file; the row stays for the exports page.
    from assets import storage

    assert storage.exists(key)
    assert recovery.purge_expired() == 1
    assert not storage.exists(key)
    export.refresh_from_db()
    assert export.state == ExportState.READY and export.file_key == "" and export.is_expired()


def test_someone_without_a_role_gets_the_same_404_as_for_a_missing_export(
    board, owner, images, fake_kind, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export_id = post(
            client_for(owner), board, {"kind": FAKE, "items": [str(images[0].pk)]}
        ).json()["export"]
    stranger = client_for(factories.make_user("stranger"))
    real = stranger.get(f"/api/v1/exports/{export_id}")
    missing = stranger.get(f"/api/v1/exports/{uuid.uuid4()}")
    assert real.status_code == missing.status_code == 404
    assert real.json() == missing.json()
    assert "Campaign" not in real.content.decode()
