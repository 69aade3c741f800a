"""Promote the top X% by rating: which candidates, which jobs, which tier."""

from __future__ import annotations

import pytest

from canvas.models import Decision, Job, JobMode, JobPriority
from canvas.permissions import Principal
from canvas.review import decisions, promotion
from tests.review.conftest import api, make_candidate, member_client

pytestmark = pytest.mark.django_db


def rated_board(people, ratings):
    """Candidates with the given (rating, starred) in creation order; None = unrated."""
    board, owner = people["board"], people["owner"]
    out = []
    for rating, starred in ratings:
        candidate = make_candidate(board, owner)
        if rating is not None:
            decisions.set_decision(candidate, Principal(user=owner), rating=rating, starred=starred)
        out.append(candidate)
    return out


def test_top_ten_percent_by_rating_queues_bulk_upscales(people):
    # 20 rated candidates: the top 10% are the two rated 5.
    ratings = [(3, False)] * 9 + [(5, False)] + [(2, False)] * 8 + [(5, False), (4, True)]
    candidates = rated_board(people, [*ratings, (None, False)])
    client = member_client(people["reviewer"])
    response = api(client, "POST", f"/boards/{people['board'].pk}/promote", {})
    assert response.status_code == 201
    promoted = {p["iteration"] for p in response.json()["promoted"]}
    assert promoted == {str(candidates[9].pk), str(candidates[18].pk)}
    jobs = Job.objects.filter(mode=JobMode.UPSCALE)
    assert {str(j.parent_iteration_id) for j in jobs} == promoted
    assert all(j.priority == JobPriority.BULK and j.state == "queued" for j in jobs)
    # The upscale works on the candidate's own image.
    for job in jobs:
        assert job.spec["layers"][0]["asset_id"] == str(job.parent_iteration.asset_id)
    tiers = dict(Decision.objects.values_list("iteration_id", "tier"))
    assert {str(k) for k, v in tiers.items() if v == "upres"} == promoted


def test_ties_broken_by_star_then_recency(people):
    _older, starred, newer = rated_board(people, [(4, False), (4, True), (4, False)])
    rated_board(people, [(1, False)] * 7)  # ten rated: 10% is one
    [first] = promotion.promote(people["board"], people["owner"])
    assert first[0].pk == starred.pk
    [second] = promotion.promote(people["board"], people["owner"], percent=10)
    assert second[0].pk == newer.pk  # the starred one is in upres now; newest 4 wins


def test_at_least_one_is_promoted_and_unrated_never(people):
    rated_board(people, [(2, False), (None, False), (None, False)])
    promoted = promotion.promote(people["board"], people["owner"], percent=1)
    assert len(promoted) == 1


def test_nothing_rated_is_a_clear_error(people):
    rated_board(people, [(None, False)])
    response = api(
        member_client(people["owner"]),
        "POST",
        f"/boards/{people['board'].pk}/promote",
        {"percent": 10},
    )
    assert response.status_code == 400
    assert "Rate some candidates" in response.json()["error"]["message"]
    assert not Job.objects.filter(mode=JobMode.UPSCALE).exists()


def test_from_tier_limits_the_pool(people):
    board, owner = people["board"], people["owner"]
    gen = make_candidate(board, owner)
    ref = make_candidate(board, owner, parent=gen)
    decisions.set_decision(gen, Principal(user=owner), rating=5)
    decisions.set_decision(ref, Principal(user=owner), rating=3)
    [(it, _job)] = promotion.promote(board, owner, percent=100, from_tier="refinement")
    assert it.pk == ref.pk


def test_rejected_candidates_are_not_promoted(people):
    board, owner = people["board"], people["owner"]
    best = make_candidate(board, owner)
    ok = make_candidate(board, owner)
    decisions.set_decision(best, Principal(user=owner), rating=5, status="rejected")
    decisions.set_decision(ok, Principal(user=owner), rating=3)
    [(it, _job)] = promotion.promote(board, owner, percent=10)
    assert it.pk == ok.pk


@pytest.mark.parametrize("percent", [0, -5, 101])
def test_percent_out_of_range(people, percent):
    rated_board(people, [(3, False)])
    response = api(
        member_client(people["owner"]),
        "POST",
        f"/boards/{people['board'].pk}/promote",
        {"percent": percent},
    )
    assert response.status_code == 400
