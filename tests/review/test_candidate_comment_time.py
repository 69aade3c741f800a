"""Comments pinned to a moment of a video candidate's clip (the review page's candidate
comments): ``target: "iteration"`` with ``time`` is stored and returned as the anchor's
``time``, within [0, the clip's duration]; a still candidate, an item beside the candidate
or a time that is not a number are clear refusals; replies keep the moment; viewers still
cannot comment."""

from __future__ import annotations

import pytest

from canvas.models import Comment, Iteration
from tests.review.conftest import api, make_candidate, member_client

pytestmark = pytest.mark.django_db


def video_candidate(board, user, *, duration=2.0) -> Iteration:
    """A result whose provenance has ``video`` (as canvas.jobs.video_results lands one)."""
    it = make_candidate(board, user)
    it.provenance = {**it.provenance, "video": {"duration": duration, "fps": 24.0}}
    it.save(update_fields=["provenance"])
    return it


def post(client, board, body):
    return api(client, "POST", f"/boards/{board.pk}/comments", body)


def on(candidate, time, **extra):
    return {"body": "the light pumps here", "target": "iteration",
            "iteration": str(candidate.pk), "time": time, **extra}  # fmt: skip


def test_a_comment_on_a_video_candidate_keeps_its_moment(people):
    board, client = people["board"], member_client(people["reviewer"])
    clip = video_candidate(board, people["owner"])
    reply = post(client, board, on(clip, 1.5))
    assert reply.status_code == 201, reply.content
    assert reply.json()["anchor"] == {"iteration": str(clip.pk), "time": 1.5}
    stored = Comment.objects.get()
    assert (stored.iteration_id, stored.time, stored.item_id) == (clip.pk, 1.5, None)
    answer = post(client, board, {"body": "agreed", "parent": str(stored.pk)})
    assert answer.json()["anchor"] == {"iteration": str(clip.pk), "time": 1.5}
    edges = [post(client, board, on(clip, t)).status_code for t in (0, 2.0)]
    assert edges == [201, 201]
    listed = api(client, "GET", f"/boards/{board.pk}/comments").json()
    assert [c["anchor"].get("time") for c in listed] == [1.5, 1.5, 0.0, 2.0]
    # Without a time it is an ordinary candidate comment.
    plain = post(client, board, {**on(clip, None)})
    assert plain.json()["anchor"] == {"iteration": str(clip.pk)}


@pytest.mark.parametrize("time", [-0.5, 2.5, "NaN", "soon"])
def test_a_time_outside_the_candidates_clip_is_a_clear_refusal(people, time):
    board = people["board"]
    clip = video_candidate(board, people["owner"])
    reply = post(member_client(people["owner"]), board, on(clip, time))
    if reply.status_code == 422:  # not a number at all: the API's field check names it
        assert "time" in reply.json()["error"]["message"]
    else:
        assert reply.status_code == 400
        assert "between 0 and 2 seconds" in reply.json()["error"]["message"]
    assert not Comment.objects.exists()


def test_only_a_video_candidate_takes_a_time_and_no_item(people):
    board, client = people["board"], member_client(people["owner"])
    still = make_candidate(board, people["owner"])
    reply = post(client, board, on(still, 1.0))
    assert reply.status_code == 400
    assert "that candidate is a still" in reply.json()["error"]["message"]
    clip = video_candidate(board, people["owner"])
    with_item = post(client, board, on(clip, 1.0, item=str(clip.pk)))
    assert with_item.status_code == 400
    assert "takes the time, not an item" in with_item.json()["error"]["message"]
    assert not Comment.objects.exists()


def test_a_viewer_cannot_pin_a_moment(people):
    board = people["board"]
    clip = video_candidate(board, people["owner"])
    reply = post(member_client(people["viewer"]), board, on(clip, 1.0))
    assert reply.status_code == 403
    assert not Comment.objects.exists()
