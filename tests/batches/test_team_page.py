"""The team's batches page (/batches/): every batch on the team's boards the visitor has a
role on — never one of a board they cannot see, not even as a filter choice — paged 50 a
page with the filter kept, filtered by state, board and who started it; each row links to
the batch's matrix. A team the visitor has no board in, or a board filter outside their
boards, is the same 404 as a missing one."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from canvas.batches import runs
from canvas.models import Batch, BatchState, TeamMembership, TeamRole
from tests import factories
from tests.batches.conftest import raw_batch

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def page_of(user, query=""):
    return client_for(user).get(f"/batches/{query}")


def rows(html: str) -> int:
    return html.count("<tr data-batch=")


@pytest.fixture
def studio(board, owner):
    """``board`` (the owner's, with a running batch) and a second board of the same team
    that only ``lead`` is on, with a batch of its own; ``member`` is in the team with no
    default role (sees only boards they are added to); ``viewer`` is a viewer of ``board``."""
    lead = factories.make_user("lead")
    member = factories.make_user("member")
    viewer = factories.make_user("viewer")
    board.memberships.create(user=viewer, role="viewer")
    TeamMembership.objects.create(team=board.team, user=member, role=TeamRole.MEMBER)
    hidden = factories.make_board(team=board.team, name="Secret launch", owner=lead)
    seen, _ = runs.start_batch(board, owner, raw_batch(name="Spring heroes"))
    secret = Batch.objects.create(board=hidden, created_by=lead, name="Secret batch", seed=1)
    return {
        "board": board,
        "hidden": hidden,
        "seen": seen,
        "secret": secret,
        "owner": owner,
        "lead": lead,
        "member": member,
        "viewer": viewer,
    }


def test_a_viewer_sees_the_batches_of_their_board_only(studio):
    html = page_of(studio["viewer"]).content.decode()
    assert rows(html) == 1
    assert "Spring heroes" in html
    assert f"/boards/{studio['board'].pk}/review/?batch={studio['seen'].pk}" in html
    assert "0 done · 0 failed · 0 running · 4 queued" in html
    # The other board of the team is neither listed nor offered as a filter.
    assert "Secret" not in html and str(studio["hidden"].pk) not in html
    # Its person is not offered either: the lead started nothing the viewer can see.
    assert ">lead<" not in html


def test_the_lead_of_the_other_board_sees_only_theirs(studio):
    html = page_of(studio["lead"]).content.decode()
    assert rows(html) == 1 and "Secret batch" in html and "Spring heroes" not in html


def test_a_team_member_without_a_default_role_sees_no_board(studio):
    html = page_of(studio["member"]).content.decode()
    assert rows(html) == 0 and "Secret" not in html and "Spring heroes" not in html
    assert "No batches on your boards yet" in html


def test_a_team_admin_sees_every_board_of_the_team(studio):
    admin = factories.make_user("admin")
    TeamMembership.objects.create(team=studio["board"].team, user=admin, role=TeamRole.ADMIN)
    html = page_of(admin).content.decode()
    assert rows(html) == 2 and "Secret batch" in html and "Spring heroes" in html


def test_filters_by_state_board_and_person(studio):
    admin = factories.make_user("admin")
    TeamMembership.objects.create(team=studio["board"].team, user=admin, role=TeamRole.ADMIN)
    Batch.objects.filter(pk=studio["secret"].pk).update(state=BatchState.COMPLETED)
    completed = page_of(admin, "?state=completed").content.decode()
    assert rows(completed) == 1 and "Secret batch" in completed
    on_board = page_of(admin, f"?board={studio['board'].pk}").content.decode()
    assert rows(on_board) == 1 and "Spring heroes" in on_board
    by_lead = page_of(admin, f"?person={studio['lead'].pk}").content.decode()
    assert rows(by_lead) == 1 and "Secret batch" in by_lead
    none = page_of(admin, f"?state=running&person={studio['lead'].pk}").content.decode()
    assert rows(none) == 0 and "No batch matches this filter." in none


def test_a_board_or_team_outside_the_visitors_is_a_404(studio):
    viewer = studio["viewer"]
    assert page_of(viewer, f"?board={studio['hidden'].pk}").status_code == 404
    assert page_of(viewer, f"?board={uuid.uuid4()}").status_code == 404
    assert page_of(viewer, "?board=not-a-uuid").status_code == 404
    other = factories.make_board(name="Elsewhere", owner=factories.make_user("stranger"))
    assert page_of(viewer, f"?team={other.team_id}").status_code == 404
    anonymous = Client().get("/batches/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_the_team_is_chosen_among_the_visitors_teams(studio, owner):
    elsewhere = factories.make_board(name="Other studio board", owner=owner)
    Batch.objects.create(board=elsewhere, created_by=owner, name="Other studio batch", seed=1)
    html = page_of(owner, f"?team={elsewhere.team_id}").content.decode()
    assert rows(html) == 1 and "Other studio batch" in html
    assert 'name="team"' in html  # two teams: the filter offers the choice
    # A board of the visitor's on the team they switched away from is dropped, not a 404.
    html = page_of(owner, f"?team={elsewhere.team_id}&board={studio['board'].pk}").content
    assert rows(html.decode()) == 1


def test_more_than_fifty_batches_are_paged_with_the_filter_kept(studio, owner):
    board = studio["board"]
    for n in range(55):
        Batch.objects.create(board=board, created_by=owner, name=f"Old {n}", seed=1)
    with CaptureQueriesContext(connection) as queries:
        first = page_of(owner, f"?board={board.pk}").content.decode()
    assert rows(first) == 50
    assert "Old 54" in first and "Spring heroes" not in first  # newest first
    assert "Page 1 of 2" in first
    assert f"?board={board.pk}&amp;page=2" in first
    # Counts for the whole page in one grouped query, not one per row.
    assert sum("GROUP BY" in q["sql"] for q in queries.captured_queries) == 1
    second = page_of(owner, f"?board={board.pk}&page=2").content.decode()
    assert rows(second) == 6 and "Spring heroes" in second and "Old 0" in second


def test_the_top_bar_and_the_board_list_link_to_it(studio):
    client = client_for(studio["viewer"])
    assert 'href="/batches/"' in client.get("/boards/").content.decode()
