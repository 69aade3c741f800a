"""Drift flags where people review (canvas/review/drift.py, canvas/governance/readings.py):
the consistency every result and candidate carries, who sees it, the live ``consistency``
message, and the board's drift triage (off by default; route / reject; undone by a person)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import TestCase

from canvas.models import Board, DriftTriage
from canvas.models.review import Decision, DecisionEvent
from canvas.permissions import Principal
from canvas.review import decisions, drift
from tests.review.conftest import api, make_drift_job, member_client, score_results
from tests.wsclient import open_socket

pytestmark = pytest.mark.django_db

FLAG_KEYS = {"metric", "component", "value", "threshold", "message"}


def candidates_by_id(body) -> dict[str, dict]:
    return {c["id"]: c for g in body["groups"] for c in g["candidates"]}


def test_candidates_carry_null_until_scored_then_scores_and_flags(people):
    ok, bad = make_drift_job(people["board"], people["owner"])
    client = member_client(people["viewer"])
    before = candidates_by_id(api(client, "GET", f"/boards/{people['board'].pk}/review").json())
    assert len(before) == len(ok) + len(bad)
    assert all(c["consistency"] is None for c in before.values())

    score_results(people["board"], [*ok, *bad.values()])
    after = candidates_by_id(api(client, "GET", f"/boards/{people['board'].pk}/review").json())
    for it in ok:
        consistency = after[str(it.pk)]["consistency"]
        assert consistency["drift"] is False
        assert consistency["flags"] == []
        assert set(consistency["scores"]) == {"palette", "lighting", "composition"}
        assert all(0 <= v <= 1 for v in consistency["scores"].values())
    for metric, it in bad.items():
        consistency = after[str(it.pk)]["consistency"]
        assert consistency["drift"] is True, metric
        first = consistency["flags"][0]
        assert set(first) == FLAG_KEYS
        assert first["metric"] == metric
        assert first["value"] > first["threshold"]
        assert first["message"]


def test_results_api_carries_the_same_consistency_and_strangers_see_nothing(people, drift_scored):
    _ok, bad = drift_scored
    board = people["board"]
    review = candidates_by_id(
        api(member_client(people["viewer"]), "GET", f"/boards/{board.pk}/review").json()
    )
    listed = api(member_client(people["viewer"]), "GET", f"/boards/{board.pk}/iterations")
    assert listed.status_code == 200
    results = {r["id"]: r for r in listed.json()["items"]}
    assert set(results) == set(review)
    for result_id, result in results.items():
        assert result["consistency"] == review[result_id]["consistency"]
    assert results[str(bad["lighting"].pk)]["consistency"]["flags"][0]["metric"] == "lighting"
    # One result, as the apply/discard answers and the iteration message carry it.
    from canvas.jobs.payloads import iteration_payload

    assert (
        iteration_payload(bad["palette"])["consistency"]
        == (review[str(bad["palette"].pk)]["consistency"])
    )
    # No role on the board: the same 404 as a missing board, no scores.
    for path in (f"/boards/{board.pk}/review", f"/boards/{board.pk}/iterations"):
        response = api(member_client(people["stranger"]), "GET", path)
        assert response.status_code == 404
        assert "consistency" not in response.content.decode()


def test_triage_is_off_by_default_and_decides_nothing(people, drift_scored):
    assert people["board"].drift_triage == DriftTriage.OFF
    assert not Decision.objects.filter(board=people["board"]).exists()


@pytest.mark.parametrize(("mode", "status"), [("route", "needs_changes"), ("reject", "rejected")])
def test_triage_decides_on_flagged_results_as_the_drift_check(people, mode, status):
    board = people["board"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        bad = triaged(people, mode)
    made = {d.iteration_id: d for d in Decision.objects.filter(board=board)}
    assert set(made) == {it.pk for it in bad.values()}
    client = member_client(people["viewer"])
    review = candidates_by_id(api(client, "GET", f"/boards/{board.pk}/review").json())
    for it in bad.values():
        decision = review[str(it.pk)]["decision"]
        flag = review[str(it.pk)]["consistency"]["flags"][0]
        assert decision["status"] == status
        assert decision["decided_by"] == {
            "id": None,
            "name": "Drift check",
            "guest": False,
            "system": True,
        }
        assert decision["reason"] == flag["message"]
        history = api(client, "GET", f"/iterations/{it.pk}/decision/history").json()
        assert [(h["status"], h["by"]["name"], h["reason"]) for h in history] == [
            (status, "Drift check", flag["message"])
        ]


def triaged(people, mode, *, drifted=("lighting", "palette"), landed=True):
    """A drift job on a board whose triage is ``mode``, scored; its drifted results."""
    board = people["board"]
    drift.set_triage(board, mode)
    ok, bad = make_drift_job(board, people["owner"], drifted=drifted)
    score_results(board, [*ok, *bad.values()], landed=landed)
    return bad


def test_a_check_that_is_not_a_landing_never_triages(people):
    triaged(people, "reject", landed=False)
    assert not Decision.objects.filter(board=people["board"]).exists()


def test_a_person_undoes_an_automatic_decision_and_triage_leaves_it_alone(people):
    board = people["board"]
    flagged = triaged(people, "reject", drifted=("lighting",))["lighting"]
    client = member_client(people["reviewer"])
    response = api(client, "PUT", f"/iterations/{flagged.pk}/decision", {"status": ""})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == ""
    assert body["decided_by"]["name"] == "rita"
    assert "reason" not in body and "system" not in body["decided_by"]
    # Landing again (a re-run of the scoring task) does not overrule the person.
    score_results(board, [flagged])
    decision = Decision.objects.get(iteration=flagged)
    assert (decision.status, decision.automatic, decision.reason) == ("", False, "")
    events = DecisionEvent.objects.filter(iteration=flagged)
    assert [(e.status, e.automatic) for e in events] == [("rejected", True), ("", False)]


def test_a_person_may_also_re_decide_an_automatic_rejection(people):
    flagged = triaged(people, "reject", drifted=("palette",))["palette"]
    decisions.set_decision(flagged, Principal(user=people["reviewer"]), status="approved")
    decision = Decision.objects.get(iteration=flagged)
    assert (decision.status, decision.automatic, decision.decided_by) == (
        "approved",
        False,
        people["reviewer"],
    )


def test_triage_setting_through_the_api(people):
    board = people["board"]
    path = f"/boards/{board.pk}/drift-triage"
    owner = member_client(people["owner"])
    assert api(owner, "PUT", path, {"drift_triage": "route"}).json() == {
        "board": str(board.pk),
        "drift_triage": "route",
        "untriaged": 0,
    }
    assert Board.objects.get(pk=board.pk).drift_triage == "route"
    assert api(owner, "PUT", path, {"drift_triage": "sometimes"}).status_code == 422
    assert (
        api(member_client(people["editor"]), "PUT", path, {"drift_triage": "off"}).status_code
        == 403
    )
    assert Board.objects.get(pk=board.pk).drift_triage == "route"


@pytest.mark.django_db(transaction=True)
async def test_member_sockets_hear_the_consistency_when_scoring_finishes(people):
    """A viewer's board socket is open when the job's results are scored (after they
    landed): one ``consistency`` message with every result, scores and flags included."""
    board = people["board"]
    ok, bad = await sync_to_async(make_drift_job)(board, people["owner"])
    sock, welcome = await open_socket(board, people["viewer"])
    assert welcome["type"] == "welcome"
    await sync_to_async(score_results)(board, [*ok, *bad.values()])
    message = await sock.recv()
    assert message["type"] == "consistency"
    results = {r["iteration"]: r for r in message["results"]}
    assert set(results) == {str(it.pk) for it in [*ok, *bad.values()]}
    assert results[str(bad["lighting"].pk)]["asset"] == str(bad["lighting"].asset_id)
    lighting = results[str(bad["lighting"].pk)]["consistency"]
    assert (lighting["drift"], lighting["flags"][0]["metric"]) == (True, "lighting")
    assert results[str(ok[0].pk)]["consistency"]["drift"] is False
    await sock.close()


def test_inbox_counts_and_marks_the_drifted_candidates(people, drift_scored):
    ok, bad = drift_scored
    board = people["board"]
    entry = next(
        e
        for e in api(member_client(people["reviewer"]), "GET", "/inbox").json()
        if e["board"]["id"] == str(board.pk)
    )
    assert entry["drifted"] == len(bad)
    marked = {c["id"]: c["consistency"]["drift"] for c in entry["candidates"]}
    assert marked == {
        **{str(it.pk): False for it in ok},
        **{str(it.pk): True for it in bad.values()},
    }
    # The page: a mark in words per drifted candidate, its sentences behind "Why flagged",
    # and a link to the board's drifted candidates in review.
    html = member_client(people["reviewer"]).get("/inbox/").content.decode()
    assert html.count('data-drift="drifted"') == len(bad)
    assert html.count('data-drift="consistent"') == len(ok)
    assert "?status=undecided&amp;drifted=true" in html
    from django.utils.html import escape

    by_id = {c["id"]: c for c in entry["candidates"]}
    for metric, it in bad.items():
        assert f'<span class="visually-hidden">Drifted:</span> {metric.capitalize()}' in html
        assert escape(by_id[str(it.pk)]["consistency"]["flags"][0]["message"]) in html


@pytest.mark.parametrize(("mode", "status"), [("route", "needs_changes"), ("reject", "rejected")])
def test_turning_triage_on_offers_the_results_already_flagged_and_applies_on_request(
    people, drift_scored, mode, status
):
    """Results scored before the setting was on are not triaged by it; the answer counts
    them, and applying (an owner's confirmation) decides on them like landing triage."""
    ok, bad = drift_scored
    board = people["board"]
    owner = member_client(people["owner"])
    path = f"/boards/{board.pk}/drift-triage"
    # A person already decided on the palette one: triage leaves it alone, and says so.
    decisions.set_decision(bad["palette"], Principal(user=people["reviewer"]), status="approved")
    answer = api(owner, "PUT", path, {"drift_triage": mode}).json()
    assert answer["untriaged"] == 1
    assert not Decision.objects.filter(iteration=bad["lighting"]).exists()
    # Editors may not apply it; with triage off there is nothing to apply.
    assert api(member_client(people["editor"]), "POST", f"{path}/apply").status_code == 403
    with TestCase.captureOnCommitCallbacks(execute=True):
        applied = api(owner, "POST", f"{path}/apply")
    assert applied.status_code == 200
    assert applied.json()["decided"] == 1
    decision = Decision.objects.get(iteration=bad["lighting"])
    assert decision.status == status
    event = DecisionEvent.objects.filter(iteration=bad["lighting"]).latest("at")
    assert event.automatic is True
    assert Decision.objects.get(iteration=bad["palette"]).status == "approved"
    assert not Decision.objects.filter(iteration__in=ok).exclude(status="").exists()
    # Applying again, or counting again, finds nothing left.
    assert api(owner, "POST", f"{path}/apply").json()["decided"] == 0
    assert api(owner, "PUT", path, {"drift_triage": mode}).json()["untriaged"] == 0
    api(owner, "PUT", path, {"drift_triage": "off"})
    refused = api(owner, "POST", f"{path}/apply")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "drift_triage_off"
