"""Drift flags in the share view: a guest sees a candidate's consistency (scores and flags)
only through a link that shares the team's decisions, only for candidates the link shows,
and never through another board's or an unknown token — in the guest API and live."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from canvas.sharing import links
from tests import factories
from tests.review.conftest import make_drift_job, make_link, score_results
from tests.sharing.test_share_ws import GuestSocket


def guest_board(token: str):
    return Client().get(f"/api/v1/share/{token}/board")


@pytest.mark.django_db
def test_a_link_sharing_decisions_shows_flags(people, drift_scored):
    ok, bad = drift_scored
    _, token = make_link(
        people["board"], people["owner"], visibility="all_candidates", show_decisions=True
    )
    response = guest_board(token)
    assert response.status_code == 200
    shown = {c["id"]: c for c in response.json()["candidates"]}
    assert set(shown) == {str(it.pk) for it in [*ok, *bad.values()]}
    lighting = shown[str(bad["lighting"].pk)]["consistency"]
    assert lighting["drift"] is True
    assert lighting["flags"][0]["metric"] == "lighting"
    assert shown[str(ok[0].pk)]["consistency"]["drift"] is False


@pytest.mark.django_db
@pytest.mark.parametrize("permissions", [[], ["comment", "approve", "download"]])
def test_a_link_without_decisions_shows_no_scores_whatever_else_it_allows(
    people, drift_scored, permissions
):
    _, token = make_link(
        people["board"], people["owner"], visibility="all_candidates", permissions=permissions
    )
    response = guest_board(token)
    assert response.status_code == 200
    assert response.json()["candidates"]
    assert "consistency" not in response.content.decode()
    assert "drift" not in response.content.decode()


@pytest.mark.django_db
def test_a_strangers_token_shows_nothing_of_this_board(people, drift_scored):
    stranger = people["stranger"]
    elsewhere = factories.make_board(owner=stranger, name="Elsewhere")
    _, token = links.create_link(
        elsewhere, stranger, visibility="all_candidates", show_decisions=True
    )
    response = guest_board(token)
    assert response.status_code == 200
    assert response.json()["candidates"] == []
    assert guest_board("not-a-token").status_code == 404


@pytest.mark.django_db(transaction=True)
async def test_guest_sockets_hear_flags_only_through_a_link_sharing_decisions(people):
    board, owner = people["board"], people["owner"]
    ok, bad = await sync_to_async(make_drift_job)(board, owner)
    flagged = bad["lighting"]
    sharing_link, sharing_token = await sync_to_async(make_link)(
        board,
        owner,
        scope="selection",
        iteration_ids=[str(flagged.pk)],
        visibility="all_candidates",
        show_decisions=True,
    )
    quiet_link, quiet_token = await sync_to_async(make_link)(
        board, owner, visibility="all_candidates", permissions=["comment", "approve"]
    )
    sharing, quiet = GuestSocket(sharing_token), GuestSocket(quiet_token)
    await sharing.open()
    await quiet.open()
    await sync_to_async(score_results)(board, [*ok, *bad.values()])
    # The selection link shows one candidate: exactly its consistency arrives, nothing else.
    message = await sharing.recv()
    assert message["type"] == "consistency"
    assert [r["iteration"] for r in message["results"]] == [str(flagged.pk)]
    assert message["results"][0]["consistency"]["flags"][0]["metric"] == "lighting"
    # Revokes travel through the same channel queue after the scores, so anything relayed
    # to either socket before them would arrive first.
    await sync_to_async(links.revoke_link)(sharing_link, owner)
    assert (await sharing.recv())["code"] == "share_link_revoked"
    await sync_to_async(links.revoke_link)(quiet_link, owner)
    assert (await quiet.recv())["code"] == "share_link_revoked"
