"""The review page shell (/boards/<id>/review/) and the review data the board page hands the
canvas (mentionable members)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def bootstrap(response, element_id: str) -> dict:
    html = response.content.decode()
    start = html.index(f'id="{element_id}"')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    return json.loads(body)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_reviewer_gets_the_review_page_with_decide_rights(people):
    board = people["board"]
    response = client_for(people["reviewer"]).get(f"/boards/{board.pk}/review/")
    assert response.status_code == 200
    boot = bootstrap(response, "review-bootstrap")
    assert boot["board_id"] == str(board.pk)
    assert boot["can_review"] is True
    assert boot["ws_url"] == f"/ws/boards/{board.pk}/"
    assert 'id="anchorboard-review"' in response.content.decode()


def test_viewer_sees_the_page_but_may_not_decide(people):
    board = people["board"]
    response = client_for(people["viewer"]).get(f"/boards/{board.pk}/review/")
    assert response.status_code == 200
    assert bootstrap(response, "review-bootstrap")["can_review"] is False


def test_stranger_gets_404_and_anonymous_is_sent_to_login(people):
    board = people["board"]
    assert client_for(people["stranger"]).get(f"/boards/{board.pk}/review/").status_code == 404
    response = Client().get(f"/boards/{board.pk}/review/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_board_page_lists_mentionable_members(people):
    board = people["board"]
    response = client_for(people["editor"]).get(f"/boards/{board.pk}/")
    members = {m["username"] for m in bootstrap(response, "board-bootstrap")["members"]}
    assert members == {"olive", "eddie", "rita", "vera"}


def test_inbox_links_each_board_to_its_undecided_candidates_in_review(people):
    from tests.review.conftest import make_candidate

    board = people["board"]
    make_candidate(board, people["owner"])
    html = client_for(people["reviewer"]).get("/inbox/").content.decode()
    assert f'href="/boards/{board.pk}/review/?status=undecided"' in html
