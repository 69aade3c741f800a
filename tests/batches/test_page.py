"""The batches page (/boards/<id>/batches/) and its pause/resume/cancel forms, per board role:
owners and editors see and steer, reviewers and viewers only see, strangers get the board's
404 (for the page and for a batch's forms alike). Also the API's ``?active=1`` filter the
board's progress element reads."""

from __future__ import annotations

import pytest
from django.test import Client

from canvas.batches import runs
from canvas.batches.pages import eta_text
from canvas.models import Batch, BatchState, Job, JobState
from tests import factories
from tests.batches.conftest import raw_batch

pytestmark = pytest.mark.django_db

ROLES = ("owner", "editor", "reviewer", "viewer")


@pytest.fixture
def people(board, owner):
    """The board's owner plus an editor, a reviewer and a viewer; and a stranger."""
    out = {"owner": owner, "stranger": factories.make_user("stranger")}
    for role in ("editor", "reviewer", "viewer"):
        user = factories.make_user(role)
        board.memberships.create(user=user, role=role)
        out[role] = user
    return out


@pytest.fixture
def running(board, owner, batch):
    started, _ = runs.start_batch(board, owner, batch())
    return started


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def page_of(user, board, query=""):
    return client_for(user).get(f"/boards/{board.pk}/batches/{query}")


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_batch_and_only_editors_get_its_buttons(role, people, board, running):
    answer = page_of(people[role], board)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Hero variations" in html
    assert f'data-batch="{running.pk}"' in html
    assert "0 done · 0 failed · 0 running · 4 queued" in html
    assert 'aria-valuenow="0"' in html and 'aria-valuemax="4"' in html
    assert "test-echo" in html  # engines
    assert f"/boards/{board.pk}/review/?batch={running.pk}" in html
    steer = f"/batches/{running.pk}/pause/" in html and f"/batches/{running.pk}/cancel/" in html
    assert steer is (role in ("owner", "editor"))


def test_a_stranger_gets_the_boards_404_and_anonymous_the_login(people, board, running):
    assert page_of(people["stranger"], board).status_code == 404
    answer = Client().get(f"/boards/{board.pk}/batches/")
    assert answer.status_code == 302 and "/login/" in answer["Location"]


def test_an_editor_pauses_resumes_and_cancels_from_the_page(people, board, running):
    client = client_for(people["editor"])
    answer = client.post(f"/batches/{running.pk}/pause/", {"page": "1"}, follow=True)
    assert answer.redirect_chain[-1][0] == f"/boards/{board.pk}/batches/?page=1"
    running.refresh_from_db()
    assert running.state == BatchState.PAUSED
    assert "Paused “Hero variations”" in answer.content.decode()
    client.post(f"/batches/{running.pk}/resume/")
    running.refresh_from_db()
    assert running.state == BatchState.RUNNING
    answer = client.post(f"/batches/{running.pk}/cancel/", follow=True)
    running.refresh_from_db()
    assert running.state == BatchState.CANCELLED
    assert not Job.objects.filter(batch=running, state=JobState.QUEUED).exists()
    html = answer.content.decode()
    assert "4 cancelled" in html
    # An ended batch offers nothing to steer any more (the forms are there, hidden, for the
    # page script; pausing it anyway is the API's 409 sentence).
    answer = client.post(f"/batches/{running.pk}/pause/", follow=True)
    assert "This batch is cancelled; it cannot be paused." in answer.content.decode()


@pytest.mark.parametrize("role", ("reviewer", "viewer"))
def test_reviewers_and_viewers_cannot_steer(role, people, board, running):
    answer = client_for(people[role]).post(f"/batches/{running.pk}/pause/", follow=True)
    assert answer.status_code == 200
    assert "you need to be at least editor" in answer.content.decode()
    running.refresh_from_db()
    assert running.state == BatchState.RUNNING


def test_a_stranger_cannot_steer_or_learn_that_the_batch_exists(people, running):
    answer = client_for(people["stranger"]).post(f"/batches/{running.pk}/cancel/")
    assert answer.status_code == 404
    running.refresh_from_db()
    assert running.state == BatchState.RUNNING
    unknown = client_for(people["stranger"]).post(f"/batches/{running.pk}/explode/")
    assert unknown.status_code == 404


def test_more_than_fifty_batches_are_paged_newest_first(board, owner, running):
    for n in range(50):
        Batch.objects.create(board=board, created_by=owner, name=f"Old {n}", seed=1)
    first = page_of(owner, board).content.decode()
    assert first.count("<tr data-batch=") == 50
    assert "Page 1 of 2" in first and "?page=2" in first
    assert "Old 49" in first and "Hero variations" not in first  # newest first
    second = page_of(owner, board, "?page=2").content.decode()
    assert second.count("<tr data-batch=") == 1 and "Hero variations" in second


def test_the_api_lists_only_running_and_paused_batches_when_asked(board, owner, running):
    paused, _ = runs.start_batch(board, owner, raw_batch(name="Paused one"))
    runs.pause_batch(paused)
    done = Batch.objects.create(
        board=board, created_by=owner, name="Done", seed=1, state=BatchState.COMPLETED
    )
    client = client_for(owner)
    every = client.get(f"/api/v1/boards/{board.pk}/batches").json()
    active = client.get(f"/api/v1/boards/{board.pk}/batches?active=1").json()
    assert str(done.pk) in [b["id"] for b in every["items"]]
    assert [b["name"] for b in active["items"]] == ["Paused one", "Hero variations"]


def test_time_left_reads_like_the_canvas_says_it():
    assert eta_text(None, ended=False) == "unknown"
    assert eta_text(30, ended=False) == "under a minute"
    assert eta_text(150, ended=False) == "about 3 min"  # rounds half up, like Math.round
    assert eta_text(3600 + 20 * 60, ended=False) == "about 1 h 20 min"
    assert eta_text(7200, ended=False) == "about 2 h"
    assert eta_text(500, ended=True) == "—"
