"""Expansion: the product's count and order, substitution, reproducible seeds, kit refusals."""

from __future__ import annotations

from collections import Counter

from canvas.batches.expansion import batch_seeds, derive_seed, expand, fill
from canvas.batches.spec import parse_batch_spec
from canvas.governance.kits import services as kits
from canvas.models import Job
from tests import factories
from tests.batches.conftest import raw_batch


def anchor_sets(board):
    first, second = board.anchor_items
    return [
        [{"role": "lighting", "item_id": str(first.pk)}],
        [
            {"role": "lighting", "item_id": str(second.pk)},
            {"role": "palette", "item_id": str(first.pk)},
        ],
    ]


def test_counts_are_the_full_product(board):
    spec = parse_batch_spec(
        raw_batch(
            variables={
                "product": ["sneaker", "boot", "sandal", "loafer", "clog"],
                "background": ["sand", "snow", "studio"],
            },
            anchor_sets=anchor_sets(board),
            seeds=4,
            engines=["test-echo", "test-gate"],
        )
    )
    expansion = expand(board, spec)
    assert len(expansion.jobs) == spec.job_count() == 5 * 3 * 2 * 4 * 2
    assert not expansion.refusals()
    assert Counter(job.engine for job in expansion.jobs) == {"test-echo": 120, "test-gate": 120}
    assert Counter(len(job.spec["anchors"]) for job in expansion.jobs) == {1: 120, 2: 120}
    # Each job records the values that made it; every combination appears equally often.
    combos = Counter(tuple(job.spec["variables"].values()) for job in expansion.jobs)
    assert len(combos) == 15 and set(combos.values()) == {16}
    assert [job.cell.index for job in expansion.jobs] == list(range(240))
    assert Job.objects.count() == 0  # expanding creates nothing


def test_values_are_substituted_and_other_braces_stay(board):
    spec = parse_batch_spec(
        raw_batch(
            prompt="a {product} on {background}, {shot type} {}",
            seeds=1,
            negative_prompt="no {product} blur",
        )
    )
    prompts = [job.spec["prompt"] for job in expand(board, spec).jobs]
    assert prompts == [
        "a sneaker on sand, {shot type} {}",
        "a boot on sand, {shot type} {}",
    ]
    assert fill("{a} {b}", {"a": "1"}) == "1 {b}"
    negatives = [job.spec["negative_prompt"] for job in expand(board, spec).jobs]
    assert negatives == ["no sneaker blur", "no boot blur"]


def test_seeds_are_reproducible_and_shared_by_every_cell(board):
    spec = parse_batch_spec(raw_batch(seeds=3, seed=42))
    first = [job.spec["seed"] for job in expand(board, spec).jobs]
    again = [job.spec["seed"] for job in expand(board, parse_batch_spec(raw_batch(seeds=3))).jobs]
    assert first == again
    assert first[:3] == [derive_seed(42, i) for i in range(3)] == first[3:]
    assert len(set(first)) == 3
    other = parse_batch_spec(raw_batch(seeds=3, seed=43))
    assert batch_seeds(other) != batch_seeds(spec)
    explicit = parse_batch_spec(raw_batch(seeds=[5, 9]))
    assert [job.spec["seed"] for job in expand(board, explicit).jobs] == [5, 9, 5, 9]
    assert all(job.spec["seed_mode"] == "fixed" for job in expand(board, explicit).jobs)


def test_an_item_target_uses_its_bounds(board):
    item = board.anchor_items[0]
    spec = parse_batch_spec(raw_batch(targets=[{"item_id": str(item.pk)}], seeds=1))
    job = expand(board, spec).jobs[0]
    assert job.spec["region"] == {"x": 500, "y": 500, "width": 64, "height": 48}


def test_a_missing_target_refuses_its_jobs_and_keeps_the_rest(board):
    missing = "00000000-0000-0000-0000-000000000001"
    spec = parse_batch_spec(
        raw_batch(targets=[{"region": raw_batch()["targets"][0]["region"]}, {"item_id": missing}])
    )
    expansion = expand(board, spec)
    assert len(expansion.accepted()) == 4
    [refusal] = expansion.refusals()
    assert refusal["jobs"] == 4 and refusal["first_job"] == 1
    assert "not an item on this board" in refusal["message"]


def test_brand_kit_locks_refuse_jobs_per_engine_and_are_reported(board, owner):
    kit = kits.create_kit(board.team, owner, "Spring", {"engine": "test-echo", "locks": ["engine"]})
    kits.set_board_kit(board, kit)
    spec = parse_batch_spec(raw_batch(engines=["test-echo", "test-gate"]))
    expansion = expand(board, spec)
    assert len(expansion.jobs) == 8
    assert {job.engine for job in expansion.accepted()} == {"test-echo"}
    assert all(job.spec["brand_kit"]["name"] == "Spring" for job in expansion.accepted())
    [refusal] = expansion.refusals()
    assert refusal["code"] == "brand_kit_locked" and refusal["jobs"] == 4
    assert "“Spring” locks the engine" in refusal["message"]


def test_nothing_under_a_target_is_a_refusal_not_a_crash(board):
    empty = {"x": 5000, "y": 5000, "width": 32, "height": 24}
    expansion = expand(board, parse_batch_spec(raw_batch(targets=[{"region": empty}])))
    [refusal] = expansion.refusals()
    assert refusal["code"] == "invalid_job" and refusal["jobs"] == 4
    assert "no visible images" in refusal["message"]


def test_another_boards_anchor_is_refused(board, owner):
    other = factories.make_board(owner=owner)
    from tests.jobs.conftest import add_image

    foreign = add_image(other, owner)
    spec = parse_batch_spec(
        raw_batch(anchor_sets=[[{"role": "style", "item_id": str(foreign.pk)}]])
    )
    assert expand(board, spec).refusals()[0]["jobs"] == 4


def test_each_engine_keeps_its_own_strength_and_output_size(board):
    spec = parse_batch_spec(
        raw_batch(
            seeds=1,
            engines=[
                {"name": "test-echo", "strength": 0.3, "output_size": {"width": 64, "height": 32}},
                {"name": "test-gate", "strength": 0.8},
            ],
        )
    )
    jobs = expand(board, spec).jobs
    echo = [job.spec for job in jobs if job.engine == "test-echo"]
    gate = [job.spec for job in jobs if job.engine == "test-gate"]
    assert {s["strength"] for s in echo} == {0.3} and {s["strength"] for s in gate} == {0.8}
    assert all(s["output_size"] == [64, 32] for s in echo)
    assert all(s["output_size"] is None for s in gate)
