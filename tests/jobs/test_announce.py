"""No job change is lost with the process that made it (canvas/jobs/announce.py).

"The announcer died" is modelled exactly: the change commits, its after-commit callbacks
never run. "The channel layer refused" is a send that reports failure.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from canvas.jobs import announce, inputs, lifecycle, queue, recovery, runner
from canvas.jobs import results as job_results
from canvas.models import Iteration, Job, JobState
from tests.jobs import engines

pytestmark = pytest.mark.django_db


def _due_now(job):
    """Let the re-send deadline pass (instead of waiting RESEND_AFTER_SECONDS)."""
    Job.objects.filter(pk=job.pk, announce_after__isnull=False).update(
        announce_after=timezone.now() - timedelta(milliseconds=1)
    )


def _died_after_commit(django_capture_on_commit_callbacks, change):
    """Run ``change``; it commits, but its process dies before any after-commit send."""
    with django_capture_on_commit_callbacks(execute=False):
        return change()


def test_a_sent_change_is_confirmed_and_never_sent_again(
    submit, inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = submit()
    assert [m["job"]["version"] for m in inbox()] == [1]
    assert Job.objects.get(pk=job.pk).announce_after is None
    _due_now(job)
    assert announce.resend_due() == 0 and inbox() == []


def test_a_change_whose_announcer_died_is_sent_by_the_sweeper_once_due(
    submit, inbox, django_capture_on_commit_callbacks
):
    job = submit()
    inbox()
    claimed = _died_after_commit(
        django_capture_on_commit_callbacks,
        lambda: lifecycle.transition(job.pk, JobState.QUEUED, JobState.RUNNING, owner="w1"),
    )
    assert inbox() == []  # nobody heard of the claim
    assert Job.objects.get(pk=job.pk).announce_after is not None
    assert announce.resend_due() == 0  # not yet due: the announcer may still be sending
    _due_now(job)
    assert announce.resend_due() == 1
    [message] = inbox()
    assert message["job"]["state"] == "running"
    assert message["job"]["version"] == claimed.version
    assert Job.objects.get(pk=job.pk).announce_after is None
    _due_now(job)
    assert announce.resend_due() == 0  # confirmed: once is enough


def test_a_refused_send_stays_marked_until_the_layer_takes_it(
    submit, inbox, monkeypatch, django_capture_on_commit_callbacks
):
    job = submit()
    monkeypatch.setattr(announce, "send_to_board_now", lambda board, message: False)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.transition(job.pk, JobState.QUEUED, JobState.CANCELLED)
    _due_now(job)
    assert announce.resend_due() == 0  # the layer is still down
    monkeypatch.undo()
    _due_now(job)
    assert announce.resend_due() == 1
    assert [m["job"]["state"] for m in inbox() if m["type"] == "job"][-1] == "cancelled"


def test_one_sweeper_takes_a_re_send_the_others_leave_it(
    submit, inbox, django_capture_on_commit_callbacks
):
    job = _died_after_commit(django_capture_on_commit_callbacks, submit)
    _due_now(job)
    # Another sweeper takes it first: its deadline moves into the future …
    assert Job.objects.filter(pk=job.pk, announce_after__lte=timezone.now()).update(
        announce_after=announce.resend_deadline()
    )
    # … so this sweeper leaves it alone.
    assert announce.resend_due() == 0 and inbox() == []


def test_a_newer_change_keeps_its_own_mark(submit, django_capture_on_commit_callbacks):
    job = submit()
    with django_capture_on_commit_callbacks(execute=False) as callbacks_of_first:
        lifecycle.transition(job.pk, JobState.QUEUED, JobState.RUNNING, owner="w1")
    # The cancel request commits before the claim's announcement was confirmed …
    _died_after_commit(
        django_capture_on_commit_callbacks,
        lambda: queue.cancel_job(Job.objects.get(pk=job.pk)),
    )
    for callback in callbacks_of_first:  # … then the claim's send finishes
        callback()
    # … and must not clear the cancel request's mark.
    assert Job.objects.get(pk=job.pk).announce_after is not None


def test_results_stored_by_a_killed_attempt_are_announced_by_the_re_run(
    submit, inbox, django_capture_on_commit_callbacks
):
    job = submit(engine="test-echo", count=2)
    dead = "gone-host:1:0"
    queue.claim_next(dead)
    # The first attempt stored both results, then died before announcing or finishing.
    _died_after_commit(
        django_capture_on_commit_callbacks, lambda: _store_results_without_finishing(job.pk)
    )
    assert Iteration.objects.filter(job=job).count() == 2
    inbox()
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert recovery.recover_abandoned_jobs() == [str(job.pk)]
        calls = engines.CALLS.get("test-echo", 0)
        claim = queue.claim_next("w2")
        assert claim is not None and claim.job_id == job.pk
        assert runner.execute(job.pk, "w2") == JobState.SUCCEEDED
    assert engines.CALLS.get("test-echo", 0) == calls  # nothing was rendered twice
    messages = inbox()
    announced = {m["iteration"]["id"] for m in messages if m["type"] == "iteration"}
    stored = {str(pk) for pk in Iteration.objects.filter(job=job).values_list("pk", flat=True)}
    assert announced == stored
    final = [m["job"] for m in messages if m["type"] == "job"][-1]
    assert final["state"] == "succeeded" and final["version"] == Job.objects.get(pk=job.pk).version
    # The results reach the client before the state that says the job is done.
    kinds = [m["type"] for m in messages]
    assert kinds.index("iteration") < len(kinds) - 1 - kinds[::-1].index("job")


def _store_results_without_finishing(job_id):
    from canvas.engines import get_engine

    job = Job.objects.get(pk=job_id)
    source = inputs.composite_region(job)
    request = inputs.build_request(job, source, None, ())

    class Quiet:
        def step(self, *args, **kwargs):
            pass

        def preview(self, *args, **kwargs):
            pass

        def cancelled(self):
            return False

    results = get_engine(job.engine).run(request, Quiet())
    job_results.store_results(job, source, None, results)


def test_a_result_whose_message_was_refused_is_sent_again_with_the_final_state(
    submit, inbox, monkeypatch, django_capture_on_commit_callbacks
):
    job = submit(engine="test-echo")
    refused_once = {"iteration": 1}
    real_send = announce.send_to_board_now

    def flaky(board_id, message):
        if message["type"] == "iteration" and refused_once["iteration"]:
            refused_once["iteration"] -= 1
            return False
        return real_send(board_id, message)

    monkeypatch.setattr(announce, "send_to_board_now", flaky)
    inbox()
    with django_capture_on_commit_callbacks(execute=True):
        claim = queue.claim_next("w1")
        assert runner.execute(claim.job_id, "w1") == JobState.SUCCEEDED
    messages = inbox()
    [result] = Iteration.objects.filter(job=job)
    assert [m["iteration"]["id"] for m in messages if m["type"] == "iteration"] == [str(result.pk)]
    assert Job.objects.get(pk=job.pk).announce_after is None


def test_recovery_announces_results_with_the_state_it_sets(
    submit, inbox, settings, django_capture_on_commit_callbacks
):
    settings.ANCHORBOARD_JOB_MAX_ATTEMPTS = 1
    job = submit(engine="test-echo")
    queue.claim_next("gone-host:1:0")
    _died_after_commit(
        django_capture_on_commit_callbacks, lambda: _store_results_without_finishing(job.pk)
    )
    inbox()
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        recovery.recover_abandoned_jobs()
    messages = inbox()
    assert [m["type"] for m in messages] == ["iteration", "job"]
    assert messages[-1]["job"]["state"] == "failed"


def test_a_refused_result_is_sent_again_with_the_final_state_after_a_confirmed_claim(
    submit, inbox, monkeypatch, django_capture_on_commit_callbacks
):
    """As a worker runs: the claim's announcement is sent and confirmed before the job
    runs, so only the refusal itself can bring the result back with the final state (the
    final state's confirmation must not clear the mark the refusal left)."""
    job = submit(engine="test-echo")
    with django_capture_on_commit_callbacks(execute=True):
        claim = queue.claim_next("w1")
    assert Job.objects.get(pk=job.pk).announce_after is None
    refused = {"iteration": 1}
    real_send = announce.send_to_board_now

    def flaky(board_id, message):
        if message["type"] == "iteration" and refused["iteration"]:
            refused["iteration"] -= 1
            return False
        return real_send(board_id, message)

    monkeypatch.setattr(announce, "send_to_board_now", flaky)
    inbox()
    with django_capture_on_commit_callbacks(execute=True):
        assert runner.execute(claim.job_id, "w1") == JobState.SUCCEEDED
    messages = inbox()
    [result] = Iteration.objects.filter(job=job)
    assert [m["iteration"]["id"] for m in messages if m["type"] == "iteration"] == [str(result.pk)]
    assert [m["type"] for m in messages][-1] == "job"
    assert Job.objects.get(pk=job.pk).announce_after is None


def test_a_new_result_is_announced_as_the_api_reads_it(
    submit, inbox, django_capture_on_commit_callbacks
):
    """The result message is built from the row as written, before commit: it must say
    what a read of the stored row says."""
    from canvas.jobs.payloads import iteration_payload

    job = submit(engine="test-echo", count=2)
    with django_capture_on_commit_callbacks(execute=True):
        claim = queue.claim_next("w1")
    inbox()
    with django_capture_on_commit_callbacks(execute=True):
        assert runner.execute(claim.job_id, "w1") == JobState.SUCCEEDED
    import json

    sent = [m["iteration"] for m in inbox() if m["type"] == "iteration"]
    stored = [iteration_payload(it) for it in Iteration.objects.filter(job=job).order_by("index")]
    assert len(sent) == 2
    assert json.loads(json.dumps(sent, default=str)) == json.loads(json.dumps(stored, default=str))
