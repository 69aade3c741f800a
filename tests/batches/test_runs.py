"""Running a batch: its jobs queued through the one spec validator in a few queries,
pause/resume/cancel, the end of the batch, its results and its live progress."""

from __future__ import annotations

import uuid

import pytest
from django.utils.timezone import now

from canvas.batches import progress, results, runs
from canvas.batches.spec import InvalidBatch
from canvas.governance.kits import services as kits
from canvas.jobs import queue, runner
from canvas.models import Batch, BatchState, Decision, DecisionStatus, Job, JobPriority, JobState
from tests.batches.conftest import raw_batch

pytestmark = pytest.mark.django_db


def run_all(worker="batch-test"):
    """Claim and run queued jobs until none is claimable; returns how many ran."""
    ran = 0
    while (claim := queue.claim_next(worker)) is not None:
        runner.execute(claim.job_id, worker)
        ran += 1
    return ran


def test_start_queues_every_job_at_bulk_priority_in_expansion_order(
    board, owner, django_capture_on_commit_callbacks, sent
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        batch, summary = runs.start_batch(board, owner, raw_batch(seeds=3))
    assert summary["dry_run"] is False and summary["batch"] == str(batch.pk)
    assert summary["jobs"] == summary["accepted"] == 6 and summary["refused"] == 0
    jobs = list(Job.objects.filter(batch=batch).order_by("position"))
    assert len(jobs) == batch.jobs_total == 6
    assert {j.priority for j in jobs} == {JobPriority.BULK}
    assert {j.state for j in jobs} == {JobState.QUEUED} and {j.version for j in jobs} == {1}
    assert [j.spec["prompt"] for j in jobs][::3] == ["a sneaker on sand", "a boot on sand"]
    assert jobs[0].spec["variables"] == {"product": "sneaker", "background": "sand"}
    assert all(j.spec["layers"] for j in jobs)  # the layer snapshot, as for any job
    # Every job was announced after commit and confirmed (nothing left for the sweeper).
    assert not Job.objects.filter(announce_after__isnull=False).exists()
    assert callbacks  # the announcements, the wake-up and the first progress message
    assert sent[-1][1]["type"] == "batch_progress"
    assert sent[-1][1]["batch"]["counts"]["queued"] == 6
    assert Batch.objects.get().spec["seed"] == 42


def test_the_kit_holds_every_job_of_the_batch(board, owner):
    kit = kits.create_kit(board.team, owner, "Spring", {"negative_prompt": "text"})
    kits.set_board_kit(board, kit)
    board.refresh_from_db()
    batch, _ = runs.start_batch(board, owner, raw_batch())
    specs = [j.spec for j in Job.objects.filter(batch=batch)]
    assert {s["brand_kit"]["name"] for s in specs} == {"Spring"}
    assert {s["negative_prompt"] for s in specs} == {"text"}


def test_the_queries_do_not_grow_with_the_jobs(board, owner, django_assert_max_num_queries):
    many = raw_batch(seeds=100)  # 200 jobs
    with django_assert_max_num_queries(40):
        batch, _ = runs.start_batch(board, owner, many)
    assert Job.objects.filter(batch=batch).count() == 200


def test_a_batch_whose_every_job_is_refused_is_refused(board, owner):
    outside = {"x": 5000, "y": 5000, "width": 32, "height": 24}
    with pytest.raises(runs.NothingToRun) as refused:
        runs.start_batch(board, owner, raw_batch(targets=[{"region": outside}]))
    assert "no visible images" in refused.value.message
    assert not Batch.objects.exists() and not Job.objects.exists()


def test_a_paused_batch_is_not_claimed_until_resumed(board, owner):
    batch, _ = runs.start_batch(board, owner, raw_batch())
    runs.pause_batch(batch)
    assert queue.claim_next("w") is None
    assert runs.pause_batch(batch).state == BatchState.PAUSED  # twice is fine
    runs.resume_batch(batch)
    assert queue.claim_next("w") is not None


def test_the_batch_completes_when_its_last_job_ends(board, owner, sent):
    batch, _ = runs.start_batch(board, owner, raw_batch())
    assert run_all() == 4
    batch.refresh_from_db()
    assert batch.state == BatchState.COMPLETED and batch.finished_at is not None
    payload = progress.batch_payload(batch)
    assert payload["done"] == 4 and payload["queued"] == payload["running"] == 0
    assert payload["eta_seconds"] == 0.0
    with pytest.raises(runs.BatchStateConflict):
        runs.pause_batch(batch)


def test_cancel_cancels_queued_jobs_and_asks_running_ones_to_stop(board, owner):
    from tests.jobs import engines

    batch, _ = runs.start_batch(board, owner, raw_batch(engines=["test-gate"]))
    claim = queue.claim_next("w")
    assert claim is not None
    runs.cancel_batch(batch)
    running = Job.objects.get(pk=claim.job_id)
    assert running.state == JobState.RUNNING and running.cancel_requested
    states = (
        Job.objects.filter(batch=batch).exclude(pk=claim.job_id).values_list("state", flat=True)
    )
    assert set(states) == {JobState.CANCELLED}
    batch.refresh_from_db()
    assert batch.state == BatchState.CANCELLED and batch.finished_at is None
    engines.GATE.set()
    assert runner.execute(claim.job_id, "w") == JobState.CANCELLED
    batch.refresh_from_db()
    assert batch.state == BatchState.CANCELLED and batch.finished_at is not None
    with pytest.raises(runs.BatchStateConflict):
        runs.resume_batch(batch)


def test_results_filter_by_values_decision_and_drift(board, owner):
    batch, _ = runs.start_batch(
        board,
        owner,
        raw_batch(
            variables={"product": ["sneaker", "boot"], "background": ["sand", "snow"]}, seeds=1
        ),
    )
    run_all()
    everything = list(results.batch_results(batch))
    assert len(everything) == 4
    boots = results.batch_results(batch, variables={"product": ["boot"]})
    assert {r.job.spec["variables"]["product"] for r in boots} == {"boot"}
    one = results.batch_results(batch, variables={"product": ["boot"], "background": ["snow"]})
    assert len(one) == 1
    Decision.objects.create(
        iteration=everything[0], board=board, status=DecisionStatus.APPROVED, decided_at=now()
    )
    assert list(results.batch_results(batch, decision="approved")) == [everything[0]]
    assert len(results.batch_results(batch, decision="undecided")) == 3
    assert len(results.batch_results(batch, drift=True)) == 0
    assert len(results.batch_results(batch, drift=False)) == 4
    payload = results.result_payloads([everything[0]])[0]
    assert payload["decision"] == "approved" and payload["drift"] is False
    assert payload["variables"] == {"product": "sneaker", "background": "sand"}
    with pytest.raises(InvalidBatch):
        results.parse_variable_filters(["product"])
    with pytest.raises(InvalidBatch):
        results.batch_results(batch, decision="maybe")


def test_progress_is_sent_at_most_twice_a_second_and_trailing_once(
    board, owner, sent, trailing_sends
):
    batch, _ = runs.start_batch(board, owner, raw_batch())
    assert progress.send_now(batch.pk) is True
    assert progress.send_now(batch.pk) is False  # within the throttle window
    assert trailing_sends == [batch.pk]  # one trailing send scheduled for when it opens
    assert progress.send_now(batch.pk, force=True) is True  # pause/resume/cancel/end
    assert [m["type"] for _, m in sent] == ["batch_progress", "batch_progress"]
    message = sent[0][1]["batch"]
    assert set(message) == {
        "id", "board", "name", "state", "jobs", "counts", "eta_seconds", "finished_at"
    }  # fmt: skip


def test_a_missing_batch_is_not_found():
    with pytest.raises(runs.BatchNotFound):
        runs.get_batch("not-a-uuid")
    with pytest.raises(runs.BatchNotFound):
        runs.get_batch(str(uuid.uuid4()))


def test_cancelling_sends_one_progress_message_for_all_its_jobs(
    board, owner, sent, trailing_sends, django_capture_on_commit_callbacks
):
    batch, _ = runs.start_batch(board, owner, raw_batch(seeds=5))
    with django_capture_on_commit_callbacks(execute=True):
        runs.cancel_batch(batch)
    progress_messages = [m for _, m in sent if m["type"] == "batch_progress"]
    assert len(progress_messages) == 1 and trailing_sends == []
    assert progress_messages[0]["batch"]["counts"]["cancelled"] == 10
    assert progress_messages[0]["batch"]["state"] == "cancelled"


def test_the_eta_follows_the_batchs_own_pace_once_two_jobs_finished(board, owner, settings):
    from datetime import timedelta

    settings.ANCHORBOARD_BATCH_DEFAULT_JOB_SECONDS = 30.0
    batch, _ = runs.start_batch(board, owner, raw_batch(seeds=3))  # 6 jobs
    numbers = progress.counts(batch.pk)
    eta, basis = progress.eta_seconds(batch, numbers)
    assert (eta, basis) == (180.0, "default, 1 at a time")  # 30 s × 6 jobs, none running
    for _ in range(2):
        claim = queue.claim_next("w")
        runner.execute(claim.job_id, "w")
    first, second = Job.objects.filter(batch=batch, state=JobState.SUCCEEDED)
    Job.objects.filter(pk=first.pk).update(finished_at=second.finished_at - timedelta(seconds=10))
    eta, basis = progress.eta_seconds(batch, progress.counts(batch.pk))
    assert (eta, basis) == (40.0, "pace of the last 2 jobs")  # 4 left at one per 10 s
