"""The batch matrix API: axes, cells and counts of a seeded batch (tests/review/batch_seed.py),
"approve the best N per cell" by the documented rule (skipping cells decided by hand) and
its undo, re-run failed and re-run drifted (jobs in the same batch), and who may do what."""

from __future__ import annotations

import pytest
from django.test import Client

from canvas.batches import progress
from canvas.models import BatchApproval, BatchState, Decision, DecisionEvent, Job, JobState
from canvas.permissions import Principal
from canvas.review import decisions
from tests.review.batch_seed import run_all, seed_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(people, settings):
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 8
    return {**seed_batch(people["board"], people["owner"]), **people}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(seeded, tail="matrix") -> str:
    return f"/api/v1/batches/{seeded['batch'].pk}/{tail}"


def cell(payload, row, col):
    return next(c for c in payload["cells"] if c["row"] == row and c["col"] == col)


def test_the_matrix_has_the_batchs_axes_cells_and_counts(seeded):
    response = client_for(seeded["viewer"]).get(url(seeded))
    assert response.status_code == 200
    data = response.json()
    # Two variables: the first down, the second across; seeds vary, so they are an axis too.
    assert [a["key"] for a in data["axes"]] == ["product", "background", "seed"]
    assert data["rows"]["key"] == "product" and data["cols"]["key"] == "background"
    assert data["row_values"] == ["sneaker", "boot"] and data["col_values"] == ["sand", "snow"]
    assert [(c["row"], c["col"]) for c in data["cells"]] == [
        ("sneaker", "sand"),
        ("sneaker", "snow"),
        ("boot", "sand"),
        ("boot", "snow"),
    ]
    sand = cell(data, "sneaker", "sand")
    assert (sand["jobs"], sand["done"], sand["failed"], sand["drifted"]) == (2, 2, 0, 0)
    snow = cell(data, "sneaker", "snow")
    assert (snow["done"], snow["drifted"], snow["results"]) == (2, 1, 2)
    broken = cell(data, "boot", "snow")
    assert (broken["jobs"], broken["done"], broken["failed"], broken["results"]) == (2, 1, 1, 1)
    assert data["totals"] == {
        "jobs": 8,
        "done": 7,
        "failed": 1,
        "active": 0,
        "results": 7,
        "drifted": 1,
        "approved": 0,
    }
    # Candidates best first: the drifted one last in its cell, with its mark.
    assert [c["drift"] for c in snow["candidates"]] == [False, True]
    assert snow["candidates"][1]["drift_metric"] == "lighting"
    assert data["can_rerun"] == {"failed": 1, "drifted": 1}


def test_one_variable_across_is_a_single_row_and_other_axes_can_be_chosen(seeded):
    client = client_for(seeded["viewer"])
    one = client.get(url(seeded) + "?cols=product").json()
    assert one["rows"] is None and one["row_values"] == [None]
    assert [(c["col"], c["jobs"], c["results"]) for c in one["cells"]] == [
        ("sneaker", 4, 4),
        ("boot", 4, 3),
    ]
    by_seed = client.get(url(seeded) + "?rows=seed&cols=background").json()
    assert by_seed["row_values"] == [str(s) for s in seeded["seeds"]]
    assert cell(by_seed, str(seeded["seeds"][1]), "snow")["failed"] == 1
    bad = client.get(url(seeded) + "?rows=colour")
    assert bad.status_code == 400 and "colour" in bad.json()["error"]["message"]
    same = client.get(url(seeded) + "?rows=product&cols=product")
    assert same.status_code == 400


def test_approve_best_one_per_cell_follows_the_rule_and_skips_hand_decisions(seeded):
    cells, reviewer = seeded["cells"], seeded["reviewer"]
    # A person rejected the first boot · snow result: that cell is theirs, left alone.
    decisions.set_decision(
        cells[("boot", "snow")][0], Principal(user=seeded["owner"]), status="rejected"
    )
    response = client_for(reviewer).post(
        url(seeded, "approve-best"), {"per_cell": 1}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["approved"], body["skipped_cells"], body["cells"]) == (3, 1, 4)
    approved = set(
        Decision.objects.filter(status="approved").values_list("iteration_id", flat=True)
    )
    assert approved == {
        cells[("sneaker", "sand")][1].pk,  # 0.90 over 0.80
        cells[("sneaker", "snow")][1].pk,  # the drifted 0.30 is never picked
        cells[("boot", "sand")][0].pk,  # a tie: the earlier completed
    }
    # Normal review decisions: by the reviewer, in the history.
    event = DecisionEvent.objects.filter(iteration_id__in=approved).first()
    assert event is not None and event.decided_by == reviewer and not event.automatic
    matrix = client_for(seeded["viewer"]).get(url(seeded)).json()
    assert matrix["totals"]["approved"] == 3
    assert matrix["last_approval"]["id"] == body["id"]
    assert matrix["last_approval"]["by"]["id"] == reviewer.pk
    # Again: every cell now has a verdict by hand, nothing more is approved.
    again = client_for(reviewer).post(
        url(seeded, "approve-best"), {"per_cell": 1}, content_type="application/json"
    )
    assert again.json()["approved"] == 0 and again.json()["skipped_cells"] == 4


def test_approve_best_two_takes_the_next_best_unflagged(seeded):
    response = client_for(seeded["owner"]).post(
        url(seeded, "approve-best"), {"per_cell": 2}, content_type="application/json"
    )
    # 2 + 1 (the drifted one is skipped) + 2 + 1 (one job failed).
    assert response.json()["approved"] == 6


def test_undo_reverts_what_it_approved_and_keeps_later_changes(seeded):
    cells, reviewer = seeded["cells"], seeded["reviewer"]
    client = client_for(reviewer)
    approval = client.post(
        url(seeded, "approve-best"), {"per_cell": 1}, content_type="application/json"
    ).json()
    assert approval["approved"] == 4
    # Someone changes one of them afterwards: the undo leaves it as they set it.
    changed = cells[("boot", "sand")][0]
    decisions.set_decision(changed, Principal(user=seeded["owner"]), status="needs_changes")
    undo = client.post(url(seeded, f"approvals/{approval['id']}/undo"))
    assert undo.status_code == 200, undo.content
    assert (undo.json()["reverted"], undo.json()["kept"]) == (3, 1)
    statuses = dict(Decision.objects.values_list("iteration_id", "status"))
    assert statuses[changed.pk] == "needs_changes"
    assert sorted(s for k, s in statuses.items() if k != changed.pk) == ["", "", ""]
    assert BatchApproval.objects.get().undone_by == reviewer
    twice = client.post(url(seeded, f"approvals/{approval['id']}/undo"))
    assert twice.status_code == 409
    assert client_for(seeded["viewer"]).get(url(seeded)).json()["last_approval"] is None


def test_rerun_failed_queues_the_same_spec_in_the_same_batch(seeded):
    batch = seeded["batch"]
    assert batch.state == BatchState.COMPLETED
    failed = Job.objects.get(batch=batch, state=JobState.FAILED)
    response = client_for(seeded["editor"]).post(url(seeded, "rerun-failed"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["queued"] == 1 and body["batch"]["state"] == "running"
    rerun = Job.objects.get(retried_from=failed)
    assert rerun.batch_id == batch.pk and rerun.state == JobState.QUEUED
    assert rerun.spec == failed.spec and rerun.spec["seed"] == failed.spec["seed"]
    # The re-run replaces the failed job in the counts: the batch stays 8 jobs.
    assert progress.counts(batch.pk) == {
        "queued": 1,
        "running": 0,
        "succeeded": 7,
        "failed": 0,
        "cancelled": 0,
    }
    assert body["batch"]["jobs"] == 8
    # Nothing more to re-run; a double click queues nothing twice.
    assert client_for(seeded["editor"]).post(url(seeded, "rerun-failed")).json()["queued"] == 0
    assert rerun.engine == "test-echo"  # the spec's engine (the seed broke only the first)
    run_all()
    data = client_for(seeded["viewer"]).get(url(seeded)).json()
    assert cell(data, "boot", "snow")["done"] == 2 and data["totals"]["failed"] == 0
    batch.refresh_from_db()
    assert batch.state == BatchState.COMPLETED and batch.finished_at is not None


def test_rerun_drifted_queues_a_refine_on_the_result_with_the_final_engine(seeded):
    batch, drifted = seeded["batch"], seeded["cells"][("sneaker", "snow")][0]
    response = client_for(seeded["owner"]).post(url(seeded, "rerun-drifted"))
    assert response.status_code == 201, response.content
    assert response.json()["queued"] == 1
    assert response.json()["batch"]["state"] == "running"  # the completed batch reopened
    job = Job.objects.get(parent_iteration=drifted)
    assert job.batch_id == batch.pk and job.engine == "test-echo"
    assert job.spec["variables"] == {"product": "sneaker", "background": "snow"}
    assert job.spec["seed"] == drifted.seed
    assert [layer["asset_id"] for layer in job.spec["layers"]] == [str(drifted.asset_id)]
    batch.refresh_from_db()
    assert batch.jobs_total == 9  # refine jobs add to the batch
    assert client_for(seeded["owner"]).post(url(seeded, "rerun-drifted")).json()["queued"] == 0
    run_all()
    snow = cell(client_for(seeded["viewer"]).get(url(seeded)).json(), "sneaker", "snow")
    assert snow["results"] == 3 and snow["jobs"] == 3
    refined = [c for c in snow["candidates"] if c["refines"] == str(drifted.pk)]
    assert len(refined) == 1
    batch.refresh_from_db()
    assert batch.state == BatchState.COMPLETED


@pytest.mark.parametrize(
    ("role", "read", "approve", "rerun"),
    [
        ("owner", 200, 201, 201),
        ("editor", 200, 201, 201),
        ("reviewer", 200, 201, 403),
        ("viewer", 200, 403, 403),
        ("stranger", 404, 404, 404),
    ],
)
def test_who_may_read_approve_and_rerun(seeded, role, read, approve, rerun):
    client = client_for(seeded[role])
    assert client.get(url(seeded)).status_code == read
    best = client.post(url(seeded, "approve-best"), {}, content_type="application/json")
    assert best.status_code == approve
    assert client.post(url(seeded, "rerun-failed")).status_code == rerun
    assert client.post(url(seeded, "rerun-drifted")).status_code == rerun
    if approve == 201:
        undo = client.post(url(seeded, f"approvals/{best.json()['id']}/undo"))
        assert undo.status_code == 200
    anonymous = Client().get(url(seeded))
    assert anonymous.status_code in (401, 403)


def test_the_matrix_reads_a_fixed_number_of_queries(seeded, django_assert_max_num_queries):
    """Jobs, results, decisions and readings are each read in one query: twenty more jobs
    cost no more queries than the eight (no query per job or per cell)."""
    from canvas.review import matrix

    batch = seeded["batch"]
    with django_assert_max_num_queries(12) as captured:
        matrix.matrix_payload(matrix.build(batch))
    few = len(captured)
    extra = Job.objects.filter(batch=batch).first()
    assert extra is not None
    for _ in range(20):  # more jobs and results in the same cells
        Job.objects.create(
            board=batch.board, batch=batch, mode=extra.mode, engine=extra.engine, spec=extra.spec
        )
    with django_assert_max_num_queries(few):
        matrix.matrix_payload(matrix.build(batch))
