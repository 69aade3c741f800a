"""Share-link guests pin a moment of a clip as members do: with comment rights, a point on
a video item the link shows (``item``, ``time``) or a video candidate among its candidates
(``time``) is stored, returned with its moment and heard by the team; a time outside the
clip or not a number is a clear refusal; a view-only link cannot comment; an item the link
does not show (hidden, or outside its frame) is the link's 404."""

from __future__ import annotations

import pytest
from django.test import Client

from canvas.models import Comment, Item, ItemKind
from canvas.models.sharing import ShareLink
from tests.review.conftest import api, make_link, member_client
from tests.review.test_candidate_comment_time import video_candidate

pytestmark = pytest.mark.django_db


def clip_item(board, *, x=100, hidden=False, duration=3.0) -> Item:
    return Item.objects.create(
        board=board,
        kind=ItemKind.VIDEO,
        name="plate",
        x=x,
        y=50,
        width=320,
        height=240,
        hidden=hidden,
        props={"video": {"duration": duration, "fps": 24.0}},
    )


def guest_post(token, body, client=None):
    client = client or Client()
    return client.post(
        f"/api/v1/share/{token}/comments",
        data={"name": "Cleo", **body},
        content_type="application/json",
    )


def at(item, time):
    return {"body": "the mist pops here", "target": "point", "x": 180, "y": 290,
            "item": str(item.pk), "time": time}  # fmt: skip


def test_a_guest_pins_a_moment_of_a_clip_the_link_shows(people):
    board = people["board"]
    clip = clip_item(board)
    _link, token = make_link(board, people["owner"], permissions=["comment"])
    guest = Client()
    reply = guest_post(token, at(clip, 1.25), guest)
    assert reply.status_code == 201, reply.content
    assert reply.json()["anchor"] == {"x": 180.0, "y": 290.0, "item": str(clip.pk), "time": 1.25}
    assert reply.json()["author"] == {"id": None, "name": "Cleo", "guest": True}
    stored = Comment.objects.get()
    assert (stored.item_id, stored.time, stored.guest_name) == (clip.pk, 1.25, "Cleo")
    listed = guest.get(f"/api/v1/share/{token}/comments").json()
    assert [c["anchor"].get("time") for c in listed] == [1.25]
    team = api(member_client(people["viewer"]), "GET", f"/boards/{board.pk}/comments").json()
    assert team[0]["anchor"]["time"] == 1.25 and team[0]["author"]["guest"] is True


@pytest.mark.parametrize("time", [-1, 3.01, "NaN", "soon"])
def test_a_guests_time_outside_the_clip_is_a_clear_refusal(people, time):
    board = people["board"]
    clip = clip_item(board)
    _link, token = make_link(board, people["owner"], permissions=["comment"])
    reply = guest_post(token, at(clip, time))
    if reply.status_code == 422:  # not a number at all: the API's field check names it
        assert "time" in reply.json()["error"]["message"]
    else:
        assert reply.status_code == 400, reply.content
        assert "between 0 and 3 seconds" in reply.json()["error"]["message"]
    assert not Comment.objects.exists()


def test_a_view_only_link_cannot_pin_a_moment(people):
    board = people["board"]
    clip = clip_item(board)
    _link, token = make_link(board, people["owner"], permissions=["view"])
    reply = guest_post(token, at(clip, 1.0))
    assert reply.status_code == 403
    assert "does not allow you to comment" in reply.json()["error"]["message"]
    assert not Comment.objects.exists()


def test_only_on_a_clip_the_link_shows(people):
    board = people["board"]
    hidden = clip_item(board, hidden=True)
    _link, token = make_link(board, people["owner"], permissions=["comment"])
    reply = guest_post(token, at(hidden, 1.0))
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "not_shown_by_link"
    # A frame link shows only what its frame covers.
    frame = Item.objects.create(
        board=board, kind=ItemKind.FRAME, x=0, y=0, width=400, height=400, name="Hero"
    )
    inside, outside = clip_item(board, x=10), clip_item(board, x=2000)
    link, frame_token = make_link(
        board, people["owner"], permissions=["comment"], scope="frame", frame_id=frame.pk
    )
    assert isinstance(link, ShareLink)
    assert guest_post(frame_token, at(inside, 1.0)).status_code == 201
    far = guest_post(frame_token, at(outside, 1.0))
    assert far.status_code == 404 and far.json()["error"]["code"] == "not_shown_by_link"
    assert Comment.objects.count() == 1


def test_a_guest_pins_a_moment_of_a_video_candidate(people):
    board = people["board"]
    clip = video_candidate(board, people["owner"])
    _link, token = make_link(
        board, people["owner"], permissions=["comment"], visibility="all_candidates"
    )
    body = {"body": "soft at the end", "target": "iteration", "iteration": str(clip.pk)}
    reply = guest_post(token, {**body, "time": 1.75})
    assert reply.status_code == 201, reply.content
    assert reply.json()["anchor"] == {"iteration": str(clip.pk), "time": 1.75}
    late = guest_post(token, {**body, "time": 9})
    assert late.status_code == 400 and "between 0 and 2 seconds" in late.json()["error"]["message"]
