"""Decisions: who and when, history, broadcast after commit, filters, tiers, grouping by job."""

from __future__ import annotations

import pytest
from django.db import transaction

from canvas.models import DecisionEvent, JobMode
from canvas.permissions import Principal
from canvas.review import decisions
from tests.review.conftest import api, make_candidate, make_variations, member_client

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
        decisions.set_decision(candidate, Principal(user=people["owner"]), status="rejected")
        raise RuntimeError("rolled back")
    assert sent == []
    with transaction.atomic():
        decisions.set_decision(candidate, Principal(user=people["owner"]), status="approved")
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
        decisions.set_decision(
            candidate, Principal(user=people["owner"]), status="approved", rating=3
        )
    assert sent == []
    for callback in callbacks:
        callback()
    groups = {group: event for group, event in sent}
    team = groups[f"board.{people['board'].pk}"]
    assert team["message"]["type"] == "decision"
    assert team["message"]["decision"]["rating"] == 3
    guest = groups[f"shareboard.{people['board'].pk}"]
    assert "rating" not in guest["message"]["decision"]  # guests see the verdict only
    # Guest sockets filter by the link the decision came through (None: by the team).
    assert guest["about"] == {"kind": "decision", "iteration": str(candidate.pk), "link": None}


def test_review_list_groups_by_job_and_filters(people):
    board, owner = people["board"], people["owner"]
    root = make_candidate(board, owner)
    child = make_candidate(board, owner, parent=root)
    other = make_candidate(board, owner, region={"x": 500, "y": 0, "width": 40, "height": 30})
    make_candidate(board, owner, status="discarded")
    who = Principal(user=owner)
    decisions.set_decision(root, who, status="approved", rating=5, starred=True)
    decisions.set_decision(child, who, status="rejected", rating=2)
    client = member_client(people["viewer"])
    listing = api(client, "GET", f"/boards/{board.pk}/review").json()
    # One group per job, newest job first; the refinement is its own job, linked to its parent.
    groups = [(g["job"], [c["id"] for c in g["candidates"]]) for g in listing["groups"]]
    assert groups == [
        (str(other.job_id), [str(other.pk)]),
        (str(child.job_id), [str(child.pk)]),
        (str(root.job_id), [str(root.pk)]),
    ]
    refinement = listing["groups"][1]
    assert (refinement["kind"], refinement["parent"]) == ("refinement", str(root.pk))
    assert refinement["root"] == str(root.pk)  # the lineage is still named
    assert refinement["parent_label"] == "Result 1 of misty cliffs"
    assert listing["groups"][2]["source_asset"]["id"] == str(root.source_asset_id)
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


def test_review_list_says_which_batch_made_each_candidate_and_names_it(people):
    """The board's filmstrip groups a batch's candidates under its name
    (frontend/src/review/filmstripRows.ts): each candidate says its batch, the list names them."""
    from canvas.models import Batch

    board, owner = people["board"], people["owner"]
    batch = Batch.objects.create(board=board, created_by=owner, name="Spring hero", seed=1)
    made = make_candidate(board, owner)
    made.job.batch = batch
    made.job.save(update_fields=["batch"])
    own = make_candidate(board, owner)
    client = member_client(people["viewer"])
    listing = api(client, "GET", f"/boards/{board.pk}/review").json()
    of = {c["id"]: c["batch"] for g in listing["groups"] for c in g["candidates"]}
    assert of == {str(made.pk): str(batch.pk), str(own.pk): None}
    assert listing["batches"] == {str(batch.pk): "Spring hero"}
    made.job.batch = None
    made.job.save(update_fields=["batch"])
    assert api(client, "GET", f"/boards/{board.pk}/review").json()["batches"] == {}


def test_variations_of_one_job_are_one_group_titled_by_their_frame(people):
    from canvas.models import Item, ItemKind

    board, owner = people["board"], people["owner"]
    region = {"x": 10, "y": 10, "width": 200, "height": 150}
    Item.objects.create(
        board=board, kind=ItemKind.FRAME, name="Hero shot", x=0, y=0, width=400, height=300
    )
    four = make_variations(board, owner, 4, region=region, prompt="a lighthouse at dusk")
    listing = api(member_client(people["viewer"]), "GET", f"/boards/{board.pk}/review").json()
    [group] = listing["groups"]
    assert group["title"] == "Hero shot"
    assert (group["kind"], group["total"], group["prompt"]) == (
        "variations",
        4,
        "a lighthouse at dusk",
    )
    assert [c["id"] for c in group["candidates"]] == [str(it.pk) for it in four]
    assert [c["number"] for c in group["candidates"]] == [1, 2, 3, 4]
    # A filter shows part of the group; "total" still says how many the job made.
    decisions.set_decision(four[1], Principal(user=owner), status="approved")
    filtered = api(
        member_client(people["viewer"]), "GET", f"/boards/{board.pk}/review?status=approved"
    ).json()
    assert [(g["total"], len(g["candidates"])) for g in filtered["groups"]] == [(4, 1)]


def test_tier_counts_add_up_to_the_candidates_shown(people):
    """Undecided candidates count in their tier (no more "generation 0" above four cards);
    discarded results and filters do not change the counts."""
    board, owner = people["board"], people["owner"]
    four = make_variations(board, owner, 4)
    refined = make_candidate(board, owner, parent=four[0])
    make_candidate(board, owner, status="discarded")
    gone = make_candidate(board, owner)
    decisions.set_decision(four[0], Principal(user=owner), tier="final")
    decisions.set_decision(gone, Principal(user=owner), status="approved")
    gone.status = "discarded"
    gone.save()
    client = member_client(people["viewer"])
    listing = api(client, "GET", f"/boards/{board.pk}/review").json()
    assert listing["tiers"] == {"generation": 3, "refinement": 1, "upres": 0, "final": 1}
    assert listing["total"] == 5 == sum(listing["tiers"].values())
    assert sum(len(g["candidates"]) for g in listing["groups"]) == 5
    filtered = api(client, "GET", f"/boards/{board.pk}/review?tier=refinement").json()
    assert filtered["tiers"] == listing["tiers"]
    assert [c["id"] for g in filtered["groups"] for c in g["candidates"]] == [str(refined.pk)]


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
    decisions.set_decision(parent, Principal(user=owner), tier="upres")
    upscaled = make_candidate(board, owner, parent=parent, mode=JobMode.UPSCALE)
    assert decisions.default_tier(upscaled) == "upres"
    decision = decisions.set_decision(upscaled, Principal(user=owner), status="needs_changes")
    assert decision.tier == "upres"
    decision = decisions.set_decision(upscaled, Principal(user=owner), status="approved")
    assert decision.tier == "final"
    # An ordinary (non-upscale) approval does not skip tiers.
    plain = make_candidate(board, owner)
    assert (
        decisions.set_decision(plain, Principal(user=owner), status="approved").tier == "generation"
    )
