"""Comments pinned to a moment of a video item's clip: the API stores and returns ``item``
and ``time``, refuses a time outside [0, duration], on a non-video item or without a point,
replies inherit it, and the board socket carries it live."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from canvas.models import Comment, Item, ItemKind
from tests.review.conftest import api, member_client
from tests.wsclient import open_socket

pytestmark = pytest.mark.django_db


def video_item(board, *, duration=3.0, kind=ItemKind.VIDEO, deleted=False) -> Item:
    return Item.objects.create(
        board=board,
        kind=kind,
        x=100,
        y=50,
        width=320,
        height=240,
        deleted=deleted,
        props={"video": {"duration": duration, "fps": 24.0}},
    )


def post(client, board, body):
    return api(client, "POST", f"/boards/{board.pk}/comments", body)


def at(item, time, **extra):
    return {"body": "the jacket turns red", "target": "point", "x": 200, "y": 290,
            "item": str(item.pk), "time": time, **extra}  # fmt: skip


def test_a_comment_pinned_to_a_time_on_a_clip(people):
    board, client = people["board"], member_client(people["reviewer"])
    clip = video_item(board)
    reply = post(client, board, at(clip, 1.25))
    assert reply.status_code == 201, reply.json()
    assert reply.json()["anchor"] == {"x": 200.0, "y": 290.0, "item": str(clip.pk), "time": 1.25}
    stored = Comment.objects.get()
    assert (stored.item_id, stored.time) == (clip.pk, 1.25)
    # The ends of the clip are fine; a reply joins the same moment.
    assert post(client, board, at(clip, 0)).status_code == 201
    assert post(client, board, at(clip, 3.0)).status_code == 201
    answer = post(client, board, {"body": "fixed in v2", "parent": str(stored.pk)})
    assert answer.json()["anchor"]["time"] == 1.25
    listed = api(client, "GET", f"/boards/{board.pk}/comments").json()
    assert [c["anchor"].get("time") for c in listed] == [1.25, 0.0, 3.0, 1.25]


@pytest.mark.parametrize(
    ("time", "words"),
    [(-0.1, "between 0 and 3 seconds"), (3.5, "between 0 and 3 seconds"),
     ("NaN", "between 0 and 3 seconds"), ("soon", "between 0 and 3 seconds")],
)  # fmt: skip
def test_a_time_outside_the_clip_is_a_clear_400(people, time, words):
    board = people["board"]
    reply = post(member_client(people["owner"]), board, at(video_item(board), time))
    if reply.status_code == 422:  # not a number at all: the API's field check names it
        assert "time" in reply.json()["error"]["message"]
    else:
        assert reply.status_code == 400
        assert words in reply.json()["error"]["message"]
    assert not Comment.objects.exists()


def test_a_time_only_on_a_live_video_item_of_the_board(people):
    board, client = people["board"], member_client(people["owner"])
    image = video_item(board, kind=ItemKind.IMAGE)
    gone = video_item(board, deleted=True)
    from tests import factories

    elsewhere = video_item(factories.make_board(owner=people["owner"], name="Other"))
    for item in (image, gone, elsewhere):
        reply = post(client, board, at(item, 1.0))
        assert reply.status_code == 400
        assert "not a video on this board" in reply.json()["error"]["message"]
    clip = video_item(board)
    no_time = post(client, board, at(clip, None))
    assert no_time.status_code == 400 and "needs the time" in no_time.json()["error"]["message"]
    area = {**at(clip, 1.0), "target": "area", "width": 10, "height": 10}
    reply = post(client, board, area)
    assert reply.status_code == 400 and "point" in reply.json()["error"]["message"]
    assert not Comment.objects.exists()


@pytest.mark.django_db(transaction=True)
async def test_the_board_socket_hears_the_time(people):
    board = people["board"]
    clip = await sync_to_async(video_item)(board)
    sock, welcome = await open_socket(board, people["viewer"])
    assert welcome["type"] == "welcome"
    client = await sync_to_async(member_client)(people["reviewer"])
    reply = await sync_to_async(post)(client, board, at(clip, 2.5))
    assert reply.status_code == 201
    message = await sock.recv()
    while message["type"] != "comment":
        message = await sock.recv()
    assert message["comment"]["anchor"]["item"] == str(clip.pk)
    assert message["comment"]["anchor"]["time"] == 2.5
    await sock.close()
