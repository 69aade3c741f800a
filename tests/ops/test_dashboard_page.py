"""/dashboard/ (canvas.ops.pages): sign-in required, and the page names only the teams,
boards and people its visitor may see; the API query it hands the script is that scope."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from django.test import Client

URL = "/dashboard/"


def page(user, **params):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(URL, params)


def query_of(response) -> dict[str, list[str]]:
    return parse_qs(response.context["api_query"])


@pytest.mark.django_db
def test_sign_in_required(studio):
    response = page(None)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_a_team_admin_sees_the_team_and_its_boards(studio):
    response = page(studio.admin)
    assert response.status_code == 200
    html = response.content.decode()
    assert "One" in html and "Two" in html and "Other" not in html and "Elsewhere" not in html
    assert query_of(response)["team"] == [str(studio.team.pk)]
    assert 'href="/dashboard/"' in html  # in the top bar
    assert "/api/v1/dashboard?" in html and "series=throughput" in html
    board = page(studio.admin, board=str(studio.one.pk), range="7d", granularity="day")
    assert query_of(board)["board"] == [str(studio.one.pk)]
    assert query_of(board)["granularity"] == ["day"] and "from" in query_of(board)


@pytest.mark.django_db
def test_a_member_without_board_roles_sees_no_board_names(studio):
    response = page(studio.member)
    assert response.status_code == 200
    html = response.content.decode()
    # The team's numbers, but not the names of boards the member has no role on.
    assert query_of(response)["team"] == [str(studio.team.pk)]
    assert ">One<" not in html and ">Two<" not in html
    assert page(studio.member, board=str(studio.one.pk)).status_code == 404


@pytest.mark.django_db
def test_a_board_guest_sees_only_their_board(studio):
    response = page(studio.viewer)
    assert response.status_code == 200
    html = response.content.decode()
    assert query_of(response).get("board") == [str(studio.one.pk)]
    assert "team" not in query_of(response)
    assert ">One<" in html and ">Two<" not in html and "Studio" not in html
    assert page(studio.viewer, board=str(studio.two.pk)).status_code == 404
    assert page(studio.viewer, team=str(studio.team.pk)).status_code == 404


@pytest.mark.django_db
def test_strangers_get_the_same_404_as_for_nothing(studio):
    for params in (
        {"team": str(studio.team.pk)},
        {"board": str(studio.one.pk)},
        {"board": "not-a-board"},
        {"team": str(studio.elsewhere.pk), "board": str(studio.one.pk)},
    ):
        response = page(studio.stranger, **params)
        assert response.status_code == 404, params
        assert "One" not in response.content.decode()


@pytest.mark.django_db
def test_custom_range_is_inclusive_and_capped(studio):
    response = page(studio.admin, range="custom", **{"from": "2026-11-01", "to": "2026-11-03"})
    query = query_of(response)
    assert (query["from"], query["to"]) == (["2026-11-01"], ["2026-11-04"])
    wide = query_of(
        page(studio.admin, range="custom", **{"from": "2025-01-01", "to": "2026-11-03"})
    )
    assert wide["from"] == ["2026-09-03"]  # at most 61 days before "to"
