"""Long consistency checks: more than ``SYNC_LIMIT`` images are answered 202 with a check to
poll, which runs in the background and ends with the same reply a 200 would have given, or
with the error it would have been (canvas/governance/checks.py, docs/governance.md)."""

from __future__ import annotations

import pytest
from django.test import TestCase

from canvas.governance import checks
from canvas.models import ConsistencyCheck
from tests import factories
from tests.governance import images
from tests.governance.conftest import add_asset
from tests.governance.test_api import post, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def short_limit(monkeypatch):
    """Ten images count as a long list (the real limit is 100; the campaign has eleven)."""
    monkeypatch.setattr(checks, "SYNC_LIMIT", 10)


def poll(client, reply) -> tuple[int, dict]:
    response = client.get(reply["poll"])
    return response.status_code, response.json()


def test_a_long_list_is_answered_202_and_polled_to_the_same_results(campaign, short_limit):
    client = signed_in(campaign.owner)
    with TestCase.captureOnCommitCallbacks(execute=False) as scheduled:
        status, reply = post(client, campaign.board.pk, {"assets": campaign.asset_ids})
    assert status == 202, reply
    assert reply["status"] == "queued" and reply["result"] is None
    assert reply["poll"] == f"/api/v1/consistency-checks/{reply['check']}"
    assert poll(client, reply) == (200, reply)  # not run yet: still queued
    for callback in scheduled:  # the background dispatcher runs the check
        callback()
    status, done = poll(client, reply)
    assert status == 200
    assert (done["status"], done["error"]) == ("done", None)
    results = done["result"]["results"]
    assert [r["asset"] for r in results] == campaign.asset_ids
    assert [r["asset"] for r in results if r["drift"]] == [str(campaign.drifted.pk)]
    # The same reply a short list gets (scores are stored now, so this one is quick).
    sync = post(client, campaign.board.pk, {"assets": campaign.asset_ids[:10]})[1]
    assert sync["results"] == results[:10]


def test_a_long_check_that_cannot_run_says_why_when_polled(campaign, short_limit):
    elsewhere = factories.make_board(owner=campaign.owner, name="Elsewhere")
    foreign = add_asset(elsewhere, campaign.owner, images.ball(size=64))
    client = signed_in(campaign.owner)
    with TestCase.captureOnCommitCallbacks(execute=True):
        status, reply = post(
            client, campaign.board.pk, {"assets": [*campaign.asset_ids, str(foreign.pk)]}
        )
    assert status == 202
    done = poll(client, reply)[1]
    assert done["status"] == "failed" and done["result"] is None
    assert done["error"]["code"] == "asset_not_found"


def test_only_reviewers_of_the_board_may_poll(campaign, short_limit):
    with TestCase.captureOnCommitCallbacks(execute=True):
        _, reply = post(
            signed_in(campaign.owner), campaign.board.pk, {"assets": campaign.asset_ids}
        )
    assert poll(signed_in(campaign.users["reviewer"]), reply)[0] == 200
    assert poll(signed_in(campaign.users["viewer"]), reply)[0] == 403
    assert poll(signed_in(campaign.users["stranger"]), reply)[0] == 404
    missing = {"poll": "/api/v1/consistency-checks/00000000-0000-0000-0000-000000000000"}
    status, body = poll(signed_in(campaign.owner), missing)
    assert (status, body["error"]["code"]) == (404, "check_not_found")
    assert ConsistencyCheck.objects.count() == 1


def test_a_short_list_is_answered_at_once(campaign):
    status, reply = post(
        signed_in(campaign.owner), campaign.board.pk, {"assets": campaign.asset_ids}
    )
    assert status == 200 and "results" in reply
    assert not ConsistencyCheck.objects.exists()
