"""Decisions: who and when, history, broadcast after commit, filters, tiers, grouping."""

from __future__ import annotations

import pytest
from django.db import transaction

from canvas.models import DecisionEvent, JobMode
from canvas.permissions import Principal
from canvas.services import review
from tests.review.conftest import api, make_candidate, member_client

pytestmark = pytest.mark.django_db


def test_decision_records_who_and_when_and_keeps_history(people, candidate):
    client = member_client(people["reviewer"])
    first = api(client, "PUT", f"/iterations/{candidate.pk}/decision", {"status": "approved"})
    assert first.status_code == 200
    assert first.json()["decided_by"]["name"] == "rita"
    second = api(client, "PUT", f"/iterations/{candidate.pk}/decision", {"rating": 4})
    body = second.json()
    # Only the rating changed: the earlier approval is kept.
    assert (body["status"], body["rating"], body["starred"]) == ("approved", 4, False)
    api(
        member_client(people["owner"]),
        "PUT",
        f"/iterations/{candidate.pk}/decision",
        {"status": "needs_changes", "starred": True},
    )
    history = api(client, "GET", f"/iterations/{candidate.pk}/decision/history").json()
    assert [h["status"] for h in history] == ["approved", "approved", "needs_changes"]
    assert [h["by"]["name"] for h in history] == ["rita", "rita", "olive"]
    assert history[1]["changes"] == {"rating": [None, 4]}
    assert history[2]["changes"] == {
        "status": ["approved", "needs_changes"],
        "starred": [False, True],
    }
    assert DecisionEvent.objects.filter(iteration=candidate).count() == 3


def test_clear_rating_and_invalid_values(people, candidate):
    client = member_client(people["reviewer"])
    api(client, "PUT", f"/iterations/{candidate.pk}/decision", {"rating": 5})
    cleared = api(client, "PUT", f"/iterations/{candidate.pk}/decision", {"clear_rating": True})
    assert cleared.json()["rating"] is None
    for bad in ({"rating": 6}, {"rating": 0}, {"status": "maybe"}, {"tier": "gold"}, {}):
        response = api(client, "PUT", f"/iterations/{candidate.pk}/decision", bad)
        assert response.status_code in (400, 422), bad
        assert "error" in response.json()


def test_decision_broadcast_only_after_commit(people, candidate, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "canvas.realtime.send_group_now", lambda group, event: sent.append((group, event))
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        review.set_decision(candidate, Principal(user=people["owner"]), status="rejected")
        raise RuntimeError("rolled back")
    assert sent == []
    with transaction.atomic():
        review.set_decision(candidate, Principal(user=people["owner"]), status="approved")
        assert sent == []  # still inside the transaction
    # Captured by the django_db test transaction: run the on_commit callbacks explicitly.


def test_decision_message_reaches_board_group_after_commit(
    people, candidate, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        "canvas.realtime.send_group_now", lambda group, event: sent.append((group, event))
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        review.set_decision(candidate, Principal(user=people["owner"]), status="approved", rating=3)
    assert sent == []
    for callback in callbacks:
        callback()
    groups = {group: event for group, event in sent}
    team = groups[f"board.{people['board'].pk}"]
    assert team["message"]["type"] == "decision"
    assert team["message"]["decision"]["rating"] == 3
    guest = groups[f"shareboard.{people['board'].pk}"]
    assert "rating" not in guest["message"]["decision"]  # guests see the verdict only
    assert guest["about"] == {"kind": "decision", "iteration": str(candidate.pk)}


def test_review_list_groups_by_lineage_and_filters(people):
    board, owner = people["board"], people["owner"]
    root = make_candidate(board, owner)
    child = make_candidate(board, owner, parent=root)
    other = make_candidate(board, owner, region={"x": 500, "y": 0, "width": 40, "height": 30})
    make_candidate(board, owner, status="discarded")
    who = Principal(user=owner)
    review.set_decision(root, who, status="approved", rating=5, starred=True)
    review.set_decision(child, who, status="rejected", rating=2)
    client = member_client(people["viewer"])
    listing = api(client, "GET", f"/boards/{board.pk}/review").json()
    groups = {g["root"]: [c["id"] for c in g["candidates"]] for g in listing["groups"]}
    assert groups == {str(root.pk): [str(child.pk), str(root.pk)], str(other.pk): [str(other.pk)]}
    lineage = next(g for g in listing["groups"] if g["root"] == str(root.pk))
    assert lineage["source_asset"]["id"] == str(root.source_asset_id)  # for before/after
    tiers = {c["id"]: c["tier"] for g in listing["groups"] for c in g["candidates"]}
    assert tiers[str(child.pk)] == "refinement" and tiers[str(root.pk)] == "generation"

    def ids(query):
        data = api(client, "GET", f"/boards/{board.pk}/review?{query}").json()
        return {c["id"] for g in data["groups"] for c in g["candidates"]}

    assert ids("status=approved") == {str(root.pk)}
    assert ids("status=undecided") == {str(other.pk)}
    assert ids("rating_gte=3") == {str(root.pk)}
    assert ids("starred=true") == {str(root.pk)}
    assert ids("starred=false") == {str(child.pk), str(other.pk)}
    assert ids("tier=refinement") == {str(child.pk)}


def test_discarded_results_cannot_be_decided(people):
    gone = make_candidate(people["board"], people["owner"], status="discarded")
    response = api(
        member_client(people["owner"]),
        "PUT",
        f"/iterations/{gone.pk}/decision",
        {"status": "approved"},
    )
    assert response.status_code == 400
    assert "restore" in response.json()["error"]["message"]


def test_approving_an_upscale_of_a_promoted_candidate_makes_it_final(people):
    board, owner = people["board"], people["owner"]
    parent = make_candidate(board, owner)
    review.set_decision(parent, Principal(user=owner), tier="upres")
    upscaled = make_candidate(board, owner, parent=parent, mode=JobMode.UPSCALE)
    assert review.default_tier(upscaled) == "upres"
    decision = review.set_decision(upscaled, Principal(user=owner), status="needs_changes")
    assert decision.tier == "upres"
    decision = review.set_decision(upscaled, Principal(user=owner), status="approved")
    assert decision.tier == "final"
    # An ordinary (non-upscale) approval does not skip tiers.
    plain = make_candidate(board, owner)
    assert review.set_decision(plain, Principal(user=owner), status="approved").tier == "generation"
