"""POST /api/v1/boards/{id}/consistency: contract, roles, stored scores (docs/governance.md)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from canvas.governance import services
from canvas.models import ConsistencyScore
from tests import factories
from tests.governance import images
from tests.governance.conftest import add_anchor, add_asset

pytestmark = pytest.mark.django_db


def post(client: Client, board_id, body) -> tuple[int, dict]:
    response = client.post(
        f"/api/v1/boards/{board_id}/consistency", json.dumps(body), content_type="application/json"
    )
    return response.status_code, response.json()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_scores_every_image_and_flags_the_one_lit_from_the_other_side(campaign):
    status, body = post(
        signed_in(campaign.owner), campaign.board.pk, {"assets": campaign.asset_ids}
    )
    assert status == 200, body
    results = body["results"]
    assert [r["asset"] for r in results] == campaign.asset_ids
    for result in results[:-1]:
        assert result["drift"] is False, result
        assert set(result["scores"]) == {"palette", "lighting", "composition"}
        assert all(0 <= value <= 1 for value in result["scores"].values())
    drifted = results[-1]
    assert drifted["drift"] is True
    flag = drifted["flags"][0]
    assert (flag["metric"], flag["component"]) == ("lighting", "direction")
    assert flag["value"] > flag["threshold"]
    assert (
        flag["message"]
        == "Lighting comes from the upper right; the anchor is lit from the upper left."
    )
    assert body["references"]["anchors"].keys() == {"palette", "lighting", "composition"}
    assert body["thresholds"]["lighting.direction"] == pytest.approx(flag["threshold"], abs=1e-3)
    # One stored row per image and metric, against this reference set.
    rows = ConsistencyScore.objects.filter(fingerprint=body["references"]["fingerprint"])
    assert rows.count() == 11 * 3
    assert rows.get(asset=campaign.drifted, metric="lighting").flag["component"] == "direction"


def test_a_second_check_reuses_stored_scores(campaign, monkeypatch):
    client = signed_in(campaign.owner)
    first = post(client, campaign.board.pk, {"assets": campaign.asset_ids})[1]
    read = services.read_pixels
    anchor_ids = {a for ids in first["references"]["anchors"].values() for a in ids}

    def only_anchors(asset):
        assert str(asset.pk) in anchor_ids, "a scored image was read again"
        return read(asset)

    monkeypatch.setattr(services, "read_pixels", only_anchors)
    status, second = post(client, campaign.board.pk, {"assets": campaign.asset_ids})
    assert status == 200
    assert second["results"] == first["results"]


def test_explicit_anchors_replace_the_boards(campaign):
    other = add_asset(campaign.board, campaign.owner, images.ball(albedo=(0.2, 0.3, 0.8), size=128))
    body = {"assets": [str(campaign.drifted.pk)], "anchors": {"palette": [str(other.pk)]}}
    status, reply = post(signed_in(campaign.owner), campaign.board.pk, body)
    assert status == 200, reply
    assert reply["references"]["anchors"] == {"palette": [str(other.pk)]}
    assert set(reply["results"][0]["scores"]) == {"palette"}


def test_a_single_image_is_calibrated_on_the_boards_earlier_scores(campaign):
    client = signed_in(campaign.owner)
    post(client, campaign.board.pk, {"assets": campaign.asset_ids[:-1]})
    status, body = post(client, campaign.board.pk, {"assets": [str(campaign.drifted.pk)]})
    assert status == 200
    assert body["references"]["batch_size"] == 11
    assert body["results"][0]["drift"] is True


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"assets": ["not-a-uuid"]}, 404, "asset_not_found"),
        ({"assets": []}, 422, None),
        ({"assets": ["00000000-0000-0000-0000-000000000000"] * 501}, 422, None),
    ],
)
def test_bad_requests_get_clear_errors(campaign, body, status, code):
    got, reply = post(signed_in(campaign.owner), campaign.board.pk, body)
    assert got == status, reply
    assert reply["error"]["message"]
    if code:
        assert reply["error"]["code"] == code


def test_an_image_of_another_board_is_not_found(campaign):
    elsewhere = factories.make_board(owner=campaign.owner, name="Elsewhere")
    foreign = add_asset(elsewhere, campaign.owner, images.ball(size=64))
    status, reply = post(
        signed_in(campaign.owner), campaign.board.pk, {"assets": [str(foreign.pk)]}
    )
    assert (status, reply["error"]["code"]) == (404, "asset_not_found")


def test_a_board_without_anchors_says_what_to_do(db, media_root):
    owner = factories.make_user("solo")
    board = factories.make_board(owner=owner)
    asset = add_asset(board, owner, images.ball(size=64))
    status, reply = post(signed_in(owner), board.pk, {"assets": [str(asset.pk)]})
    assert (status, reply["error"]["code"]) == (422, "no_references")
    assert "anchor" in reply["error"]["message"]


@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 200), ("editor", 200), ("reviewer", 200), ("viewer", 403), ("stranger", 404)],
)
def test_roles(campaign, role, status):
    user = campaign.owner if role == "owner" else campaign.users[role]
    got, reply = post(signed_in(user), campaign.board.pk, {"assets": campaign.asset_ids[:2]})
    assert got == status, reply
    if status == 403:
        assert "viewer" in reply["error"]["message"]
    if status == 404:
        assert "Board" not in reply["error"]["message"]


def test_anonymous_callers_must_sign_in(campaign):
    got, reply = post(Client(), campaign.board.pk, {"assets": campaign.asset_ids[:1]})
    assert (got, reply["error"]["code"]) == (401, "not_authenticated")


def test_an_anchor_on_a_deleted_item_no_longer_counts(campaign):
    fresh = add_anchor(campaign.board, campaign.owner, images.ball(size=96), "style")
    fresh.deleted = True
    fresh.save()
    anchors = services.board_anchors(campaign.board)
    assert set(anchors) == {"palette", "lighting", "composition"}
