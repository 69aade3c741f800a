"""The team's batches page, live (``GET /batches/live/``, canvas.batches.team_live): what the
open page polls. A batch's counts move in the answer as its jobs finish (no reload of the
page); an unchanged answer is a bodiless 304 for its ETag; only batches on the visitor's
boards of the page's team are answered, whatever ids are asked for; batches started since the
page was read are counted with the page's filter."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from canvas.batches import runs
from canvas.jobs import queue, runner
from canvas.models import Batch, BatchState
from tests import factories
from tests.batches.conftest import raw_batch

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def live(client: Client, *ids, etag: str | None = None, **query):
    params = [("batch", str(i)) for i in ids] + list(query.items())
    headers = {"HTTP_ACCEPT": "application/json"}
    if etag:
        headers["HTTP_IF_NONE_MATCH"] = etag
    return client.get("/batches/live/", params, **headers)


def items_of(answer) -> dict[str, dict]:
    return {row["id"]: row for row in answer.json()["items"]}


def test_the_counts_follow_the_jobs_as_they_finish_and_an_unchanged_answer_is_a_304(board, owner):
    batch, _ = runs.start_batch(board, owner, raw_batch())
    client = client_for(owner)
    # The page as it was loaded: four jobs queued, and it offers nothing to poll but this row.
    page = client.get("/batches/")
    assert b'data-live="/batches/live/"' in page.content
    first = live(client, batch.pk)
    assert first.status_code == 200 and first["Cache-Control"] == "private, no-cache"
    row = items_of(first)[str(batch.pk)]
    assert (row["state"], row["jobs"], row["finished_at"]) == ("running", 4, None)
    assert row["counts"] == {"queued": 4, "running": 0, "succeeded": 0, "failed": 0, "cancelled": 0}

    # Nothing changed: the same ETag gets a 304 without a body.
    again = live(client, batch.pk, etag=first["ETag"])
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]

    # One job runs to its end: the next poll says so, under a new ETag.
    claim = queue.claim_next("w")
    runner.execute(claim.job_id, "w")
    moved = live(client, batch.pk, etag=first["ETag"])
    assert moved.status_code == 200 and moved["ETag"] != first["ETag"]
    assert items_of(moved)[str(batch.pk)]["counts"]["succeeded"] == 1
    assert items_of(moved)[str(batch.pk)]["counts"]["queued"] == 3

    # The rest: the batch ends, and its row says so.
    while (claim := queue.claim_next("w")) is not None:
        runner.execute(claim.job_id, "w")
    ended = items_of(live(client, batch.pk, etag=moved["ETag"]))[str(batch.pk)]
    assert ended["state"] == BatchState.COMPLETED and ended["finished_at"] is not None
    assert ended["counts"]["succeeded"] == 4


def test_only_batches_on_the_visitors_boards_are_answered(board, owner):
    seen, _ = runs.start_batch(board, owner, raw_batch(name="Spring heroes"))
    lead = factories.make_user("lead")
    hidden = factories.make_board(team=board.team, name="Secret launch", owner=lead)
    other_team = factories.make_team("Zeta agency")  # sorts after the board's team ("Studio")
    elsewhere = factories.make_board(other_team, name="Other team's board", owner=owner)
    secret = Batch.objects.create(board=hidden, created_by=lead, name="Secret batch", seed=1)
    theirs = Batch.objects.create(board=elsewhere, created_by=owner, name="Other", seed=1)
    viewer = factories.make_user("viewer")
    board.memberships.create(user=viewer, role="viewer")

    # A viewer of one board asking for every id: that board's batch only.
    answer = live(client_for(viewer), seen.pk, secret.pk, theirs.pk)
    assert set(items_of(answer)) == {str(seen.pk)}
    assert "Secret" not in answer.content.decode()
    # The owner's other team's batch is not on this page's team either (the page shows one team).
    assert set(items_of(live(client_for(owner), seen.pk, theirs.pk))) == {str(seen.pk)}
    # Someone with no board answers nothing; a team or board that is not theirs is a 404.
    stranger = client_for(factories.make_user("stranger"))
    assert live(stranger, seen.pk, secret.pk).json() == {"new": 0, "items": []}
    assert live(stranger, team=str(board.team_id)).status_code == 404
    assert live(client_for(viewer), board=str(hidden.pk)).status_code == 404
    # Signed out: a JSON 401 the script can read, not the login page.
    signed_out = live(Client(), seen.pk)
    assert signed_out.status_code == 401
    assert signed_out.json()["error"]["code"] == "not_authenticated"


def test_batches_started_since_the_page_was_read_are_counted_with_its_filter(board, owner):
    read_at = timezone.now().isoformat()
    runs.start_batch(board, owner, raw_batch(name="Started after"))
    paused, _ = runs.start_batch(board, owner, raw_batch(name="Paused after"))
    runs.pause_batch(paused)
    client = client_for(owner)
    assert live(client, since=read_at).json()["new"] == 2
    assert live(client, since=read_at, state="paused").json()["new"] == 1
    assert live(client, since=timezone.now().isoformat()).json()["new"] == 0
    # The page hands its script the filter and the time it was read.
    page = client.get("/batches/?state=paused").content.decode()
    assert 'data-live="/batches/live/?state=paused"' in page and "data-since=" in page
