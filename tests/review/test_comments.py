"""Comments: anchors, threads, mentions validated against members, resolve, unread, live."""

from __future__ import annotations

import pytest

from canvas.models import Comment
from canvas.permissions import Principal
from canvas.review import comments, payloads
from tests import factories
from tests.review.conftest import api, make_candidate, member_client

pytestmark = pytest.mark.django_db


def post(client, board, body):
    return api(client, "POST", f"/boards/{board.pk}/comments", body)


def test_pins_point_area_asset_and_candidate(people, candidate):
    board, client = people["board"], member_client(people["reviewer"])
    point = post(client, board, {"body": "sky", "target": "point", "x": 10, "y": 20})
    area = post(
        client,
        board,
        {"body": "rocks", "target": "area", "x": 1, "y": 2, "width": 30, "height": 40},
    )
    asset = post(
        client, board, {"body": "this ref", "target": "asset", "asset": str(candidate.asset_id)}
    )
    it = post(
        client, board, {"body": "good", "target": "iteration", "iteration": str(candidate.pk)}
    )
    assert [r.status_code for r in (point, area, asset, it)] == [201] * 4
    assert point.json()["anchor"] == {"x": 10.0, "y": 20.0}
    assert area.json()["anchor"] == {"x": 1.0, "y": 2.0, "width": 30.0, "height": 40.0}
    assert asset.json()["anchor"] == {"asset": str(candidate.asset_id)}
    assert it.json()["anchor"] == {"iteration": str(candidate.pk)}


@pytest.mark.parametrize(
    "body",
    [
        {"body": "x", "target": "point", "x": 1},
        {"body": "x", "target": "area", "x": 1, "y": 1, "width": 0, "height": 5},
        {"body": "x"},
        {"body": "   ", "target": "point", "x": 1, "y": 1},
        {"body": "x", "target": "iteration", "iteration": "3f1c4a52-0000-4000-8000-000000000000"},
    ],
)
def test_bad_anchors_are_clear_400s(people, body):
    response = post(member_client(people["owner"]), people["board"], body)
    assert response.status_code == 400
    assert response.json()["error"]["message"]
    assert not Comment.objects.exists()


def test_another_boards_asset_cannot_be_pinned(people):
    other = factories.make_board(owner=people["owner"], name="Other")
    foreign = make_candidate(other, people["owner"])
    response = post(
        member_client(people["owner"]),
        people["board"],
        {"body": "x", "target": "asset", "asset": str(foreign.asset_id)},
    )
    assert response.status_code == 400


def test_threads_are_one_level_and_inherit_the_pin(people):
    board, client = people["board"], member_client(people["owner"])
    root = post(client, board, {"body": "a", "target": "point", "x": 5, "y": 6}).json()
    reply = post(client, board, {"body": "b", "parent": root["id"]}).json()
    deeper = post(client, board, {"body": "c", "parent": reply["id"]}).json()
    assert reply["parent"] == root["id"] and deeper["parent"] == root["id"]
    assert deeper["anchor"] == {"x": 5.0, "y": 6.0}


def test_mentions_are_validated_against_board_members(people):
    board, client = people["board"], member_client(people["owner"])
    ok = post(
        client,
        board,
        {"body": "@rita and @Vera, look (mail me at a@b.test)", "target": "point", "x": 0, "y": 0},
    )
    assert ok.status_code == 201
    assert ok.json()["mentions"] == ["rita", "vera"]
    stranger = post(client, board, {"body": "@sam see this", "target": "point", "x": 0, "y": 0})
    assert stranger.status_code == 400
    assert "@sam is not a member" in stranger.json()["error"]["message"]
    assert Comment.objects.count() == 1


def test_team_members_can_be_mentioned(people):
    board = people["board"]
    teammate = factories.make_user("tina")
    from canvas.models import TeamMembership

    board.team.default_board_role = "viewer"
    board.team.save()
    TeamMembership.objects.create(team=board.team, user=teammate, role="member")
    response = post(
        member_client(people["owner"]),
        board,
        {"body": "@tina hi", "target": "point", "x": 0, "y": 0},
    )
    assert response.status_code == 201


def test_resolve_and_reopen(people):
    board, client = people["board"], member_client(people["reviewer"])
    root = post(client, board, {"body": "a", "target": "point", "x": 0, "y": 0}).json()
    reply = post(client, board, {"body": "b", "parent": root["id"]}).json()
    done = api(client, "POST", f"/boards/{board.pk}/comments/{root['id']}/resolve")
    assert done.json()["resolved"] is True
    assert done.json()["resolved_by"] == people["reviewer"].pk
    again = api(client, "POST", f"/boards/{board.pk}/comments/{root['id']}/reopen")
    assert again.json()["resolved"] is False
    on_reply = api(client, "POST", f"/boards/{board.pk}/comments/{reply['id']}/resolve")
    assert on_reply.status_code == 400
    missing = api(
        client, "POST", f"/boards/{board.pk}/comments/3f1c4a52-0000-4000-8000-000000000000/resolve"
    )
    assert missing.status_code == 404


def test_unread_counts_per_user(people):
    board = people["board"]
    owner, reviewer = member_client(people["owner"]), member_client(people["reviewer"])
    for text in ("one", "two"):
        post(owner, board, {"body": text, "target": "point", "x": 0, "y": 0})
    post(reviewer, board, {"body": "mine", "target": "point", "x": 0, "y": 0})
    assert api(reviewer, "GET", "/comments/unread").json() == {str(board.pk): 2}
    assert api(owner, "GET", "/comments/unread").json() == {str(board.pk): 1}
    assert api(reviewer, "POST", f"/boards/{board.pk}/comments/read").status_code == 204
    assert api(reviewer, "GET", "/comments/unread").json() == {}
    post(owner, board, {"body": "three", "target": "point", "x": 0, "y": 0})
    assert api(reviewer, "GET", "/comments/unread").json() == {str(board.pk): 1}


def test_comment_broadcast_after_commit(people, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(
        "canvas.realtime.send_group_now", lambda group, event: sent.append((group, event))
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        comment = comments.add_comment(
            people["board"],
            Principal(user=people["owner"]),
            {"body": "@rita look", "target": "point", "x": 1, "y": 1},
        )
    assert sent == []
    for callback in callbacks:
        callback()
    team = dict(sent)[f"board.{people['board'].pk}"]["message"]
    assert team == {"type": "comment", "comment": payloads.comment_payload(comment)}
    guest = dict(sent)[f"shareboard.{people['board'].pk}"]["message"]["comment"]
    assert "mentions" not in guest and guest["author"]["id"] is None
