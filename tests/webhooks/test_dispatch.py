"""Where events come from: finished jobs (canvas.jobs.lifecycle), review decisions
(canvas.review.decisions), ``emit`` for batches and exports; and a dead endpoint never
holding up a job."""

from __future__ import annotations

import pytest
from django.db import transaction

from canvas.jobs import queue, runner
from canvas.models import JobState
from canvas.permissions import Principal
from canvas.review.decisions import set_decision
from canvas.webhooks import dispatch, events, sender
from canvas.webhooks.models import DeliveryState, WebhookDelivery, WebhookEvent
from foundation.background import shutdown_embedded_pool
from tests import factories
from tests.jobs import engines  # noqa: F401  (registers the test engines)
from tests.jobs.conftest import REGION, add_image
from tests.review.conftest import make_candidate
from tests.webhooks.conftest import Reply


@pytest.fixture
def board(team, admin, media_root):
    board = factories.make_board(team, "Launch", owner=admin)
    add_image(board, admin)
    return board


def run_job(board, user, engine="test-echo", count=2):
    job = queue.submit_job(
        board, user, {"mode": "img2img", "engine": engine, "region": REGION, "seed": 5,
                      "count": count}
    )  # fmt: skip
    claim = queue.claim_next("webhook-test")
    assert claim is not None and claim.job_id == job.pk
    return job, runner.execute(claim.job_id, "webhook-test")


@pytest.mark.django_db
def test_a_finished_job_is_sent_with_its_results(
    board, admin, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job, state = run_job(board, admin)
    assert state == JobState.SUCCEEDED
    (got,) = receiver.received
    assert got.verified and got.event["type"] == "job.succeeded"
    data = got.event["data"]["job"]
    assert data["id"] == str(job.pk) and data["state"] == "succeeded"
    assert data["board"] == str(board.pk) and data["created_by"] == "ada"
    assert [r["index"] for r in data["results"]] == [0, 1]
    assert all(r["provenance"]["engine"] == "test-echo" for r in data["results"])
    assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED


@pytest.mark.django_db
def test_a_failed_job_is_sent_with_its_error(
    board, admin, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _, state = run_job(board, admin, engine="test-broken")
    assert state == JobState.FAILED
    (got,) = receiver.received
    assert got.event["type"] == "job.failed"
    assert got.event["data"]["job"]["error"]["code"]
    assert got.event["data"]["job"]["results"] == []


@pytest.mark.django_db
def test_other_job_changes_send_nothing(board, admin, endpoint, receiver):
    job = queue.submit_job(board, admin, {"mode": "img2img", "engine": "test-echo",
                                          "region": REGION})  # fmt: skip
    queue.cancel_job(job)
    assert WebhookEvent.objects.count() == 0


@pytest.mark.django_db
def test_only_subscribed_active_endpoints_of_the_boards_team_get_the_event(
    board, admin, endpoint, receiver
):
    other_team = factories.make_team("Elsewhere", admin=factories.make_user("eve"))
    other = factories.make_board(other_team, "Theirs")
    assert dispatch.emit(events.JOB_SUCCEEDED, None, {"x": 1}, board=other.pk) is None
    endpoint.events = ["review.decided"]
    endpoint.save()
    assert dispatch.emit(events.JOB_SUCCEEDED, None, {"x": 1}, board=board.pk) is None
    assert WebhookEvent.objects.count() == 0


@pytest.mark.django_db
def test_nothing_is_recorded_or_sent_for_a_change_that_rolls_back(
    team, endpoint, receiver, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        dispatch.emit(events.BATCH_COMPLETED, team, {"batch": {"id": "b"}})
        raise RuntimeError("the batch's own transaction failed")
    assert callbacks == [] and WebhookEvent.objects.count() == 0
    assert receiver.received == []


@pytest.mark.django_db
def test_a_broken_webhook_table_never_breaks_the_job(
    board, admin, endpoint, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise RuntimeError("webhook tables unavailable")

    monkeypatch.setattr(WebhookEvent.objects, "create", broken)
    with django_capture_on_commit_callbacks(execute=True):
        job, state = run_job(board, admin)
    assert state == JobState.SUCCEEDED
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.iterations.count() == 2


@pytest.mark.django_db
def test_a_decision_is_sent_only_when_its_status_changes(
    board, admin, endpoint, receiver, django_capture_on_commit_callbacks
):
    candidate = make_candidate(board, admin)
    with django_capture_on_commit_callbacks(execute=True):
        set_decision(candidate, Principal(user=admin), status="approved")
        set_decision(candidate, Principal(user=admin), rating=4)  # not a decision
    (got,) = receiver.received
    assert got.event["type"] == "review.decided"
    decided = got.event["data"]["decision"]
    assert decided["iteration"] == str(candidate.pk) and decided["status"] == "approved"
    assert decided["decided_by"] == {"user": "ada"}


@pytest.mark.django_db
def test_the_upkeep_sweep_sends_due_retries(team, endpoint, receiver, clock):
    with transaction.atomic():
        event = dispatch.emit(events.BATCH_COMPLETED, team, {"batch": {"id": "b"}})
    # Not sent yet (its after-commit message never ran in this test transaction): due now.
    assert event is not None and receiver.received == []
    assert sender.sweep(force=True) == 1
    assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED
    assert sender.sweep(force=True) == 0


@pytest.mark.django_db(transaction=True)
def test_a_hanging_endpoint_does_not_hold_up_the_job(board, admin, endpoint, receiver, settings):
    """The real machinery (embedded dispatcher, the sender's own threads): the job ends and
    is stored while the receiver still holds the delivery's request open."""
    settings.ANCHORBOARD_DISPATCHER = "embedded"
    release = __import__("threading").Event()
    receiver.reply(Reply(200, hold=release))
    try:
        job, state = run_job(board, admin)
        assert state == JobState.SUCCEEDED
        job.refresh_from_db()
        assert job.state == JobState.SUCCEEDED and job.finished_at is not None
        assert receiver.arrived.wait(60), "the delivery was never sent"
        assert not receiver.answered.is_set()  # the job finished first; the POST still hangs
        row = WebhookDelivery.objects.get()
        assert row.state == DeliveryState.PENDING and row.attempts == 1  # in flight
    finally:
        release.set()
        sender.stop_sender(wait=True)
        shutdown_embedded_pool(wait=True)
    assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED


@pytest.mark.django_db
def test_the_deliver_task_only_hands_ids_to_the_senders_under_celery(settings, monkeypatch):
    """A Celery worker's task slot (shared with jobs) never waits on a receiver."""
    from foundation.background import registered

    handed: list[list[str]] = []

    class Recorder:
        def submit(self, ids):
            handed.append(list(ids))
            return len(handed[-1])

    monkeypatch.setattr(sender, "sender", lambda: Recorder())
    monkeypatch.setattr(
        sender.delivery, "attempt", lambda *a, **k: pytest.fail("attempted in the task")
    )
    settings.ANCHORBOARD_DISPATCHER = "celery"
    registered("canvas.webhooks.deliver")(["d1", "d2"])
    assert handed == [["d1", "d2"]]


@pytest.mark.django_db
def test_every_worker_process_upkeep_sweeps_due_deliveries(team, endpoint, receiver):
    from canvas.jobs import upkeep

    with transaction.atomic():
        dispatch.emit(events.BATCH_COMPLETED, team, {"batch": {"id": "b"}})
    sender._last_sweep = 0.0  # as after SWEEP_SECONDS of quiet
    upkeep.tick()
    assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED


def test_a_stopping_process_does_not_wait_for_its_webhook_backlog():
    """Sender threads are daemons: shutdown never waits on a dead endpoint's queue (an
    attempt cut off is due again after its lease; see test_delivery)."""
    pool = sender.Sender(2)
    try:
        assert pool._threads and all(t.daemon for t in pool._threads)
    finally:
        pool.shutdown(wait=True)
