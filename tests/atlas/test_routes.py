"""The atlas routes: members read the index and sheets (immutable, ETags); strangers get
the same 404 as for any file; share-link guests get only sheets whose every image the link
shows."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from canvas.models import BoardAtlas
from canvas.sharing import links
from tests.atlas.conftest import edit
from tests.wsclient import create

pytestmark = pytest.mark.django_db


def index_url(board) -> str:
    return f"/files/boards/{board.pk}/atlas.json"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_viewer_reads_the_index_and_every_sheet(client, people, place, small_sheets):
    ids = place(6)
    board = people["board"]
    client.force_login(people["viewer"])
    response = client.get(index_url(board))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    index = response.json()
    assert index["complete"] is True and len(index["sheets"]) == 2
    assert set(index["assets"]) == {str(board.items.get(pk=i).asset_id) for i in ids}
    for sheet in index["sheets"]:
        got = client.get(sheet["url"])
        assert got.status_code == 200
        assert got["Content-Type"] == "image/webp"
        assert got["Cache-Control"] == "private, max-age=31536000, immutable"
        assert Image.open(io.BytesIO(body(got))).size == (sheet["width"], sheet["height"])
    # Revalidation is a 304 while the board has not changed, a new body after it has.
    again = client.get(index_url(board), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    place(1, start=6)
    assert client.get(index_url(board), HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200


def test_a_stranger_gets_404_for_index_and_sheets(client, people, place):
    place(2)
    board = people["board"]
    sheet = BoardAtlas.objects.get(pk=board.pk).sheets[0]["digest"]
    client.force_login(people["stranger"])
    assert client.get(index_url(board)).status_code == 404
    assert client.get(f"/files/boards/{board.pk}/atlas/{sheet}.webp").status_code == 404
    client.logout()
    assert client.get(index_url(board)).status_code == 404


def test_a_sheet_of_another_board_is_not_served_through_this_one(client, people, place):
    place(2)
    board = people["board"]
    digest = BoardAtlas.objects.get(pk=board.pk).sheets[0]["digest"]
    from tests import factories

    mine = factories.make_board(name="Mine", owner=people["stranger"])
    client.force_login(people["stranger"])
    assert client.get(f"/files/boards/{mine.pk}/atlas/{digest}.webp").status_code == 404


def test_a_board_link_guest_gets_the_sheets(client, people, place, small_sheets):
    place(6)
    board = people["board"]
    _, token = links.create_link(board, people["owner"])
    index = client.get(f"/s/{token}/atlas.json").json()
    assert len(index["sheets"]) == 2 and len(index["assets"]) == 6
    assert index["sheets"][0]["url"].startswith(f"/s/{token}/atlas/")
    got = client.get(index["sheets"][0]["url"])
    assert got.status_code == 200 and got["Content-Type"] == "image/webp"
    assert got["Referrer-Policy"] == "no-referrer"
    assert client.get(index["sheets"][0]["url"], HTTP_IF_NONE_MATCH=got["ETag"]).status_code == 304
    assert client.get("/s/not-a-token/atlas.json").status_code == 404


def test_a_frame_link_guest_gets_only_sheets_wholly_inside_what_it_shows(
    client, people, place, small_sheets
):
    board, owner = people["board"], people["owner"]
    place(6)  # x = 0, 100, …, 500; sheets: images 0-3 and 4-5
    frame = create("frame", x=390, y=-10, width=300, height=100, z=100)
    edit(board, owner, frame)
    _, token = links.create_link(board, owner, scope="frame", frame_id=frame["item"]["id"])
    index = client.get(f"/s/{token}/atlas.json").json()
    assert len(index["sheets"]) == 1 and len(index["assets"]) == 2  # images 4 and 5
    member_sheets = BoardAtlas.objects.get(pk=board.pk).sheets
    hidden_sheet = member_sheets[0]["digest"]
    assert client.get(f"/s/{token}/atlas/{hidden_sheet}.webp").status_code == 404
    assert client.get(index["sheets"][0]["url"]).status_code == 200
