"""The batch spec refuses what cannot be expanded, in sentences naming the problem."""

from __future__ import annotations

import pytest

from canvas.batches.spec import InvalidBatch, parse_batch_spec
from tests.batches.conftest import raw_batch


def refusal(**fields) -> str:
    with pytest.raises(InvalidBatch) as caught:
        parse_batch_spec(raw_batch(**fields))
    return caught.value.message


def test_a_valid_spec_parses_and_counts_its_jobs(db):
    spec = parse_batch_spec(raw_batch(engines=["test-echo", {"name": "test-gate"}]))
    assert [e.name for e in spec.engines] == ["test-echo", "test-gate"]
    assert spec.job_count() == 2 * 1 * 1 * 2 * 2 * 1


def test_json_text_is_accepted_and_bad_json_is_named(db):
    assert parse_batch_spec(
        '{"name": "x", "prompt": "p", "engines": ["test-echo"], '
        '"targets": [{"item_id": "00000000-0000-0000-0000-000000000001"}]}'
    )
    with pytest.raises(InvalidBatch, match="not valid JSON"):
        parse_batch_spec("{name:")


def test_a_variable_used_without_values_is_named(db):
    message = refusal(prompt="a {product} in {season}")
    assert message == "The prompt uses {season} but the batch gives no values for it."


def test_an_empty_value_list_is_named(db):
    assert refusal(variables={"product": [], "background": ["sand"]}) == (
        "The variable {product} has no values; give at least one."
    )


def test_an_unknown_engine_is_named_with_the_known_ones(db):
    message = refusal(engines=["test-echo", "dall-e-9"])
    assert message.startswith("There is no engine called “dall-e-9” on this server. Available:")
    assert "test-echo" in message


def test_seeds_must_be_a_count_or_a_non_empty_list(db):
    assert "seeds must be 1 to" in refusal(seeds=0)
    assert refusal(seeds=[]) == "The list of seeds is empty; give at least one seed."


def test_a_target_is_a_region_or_an_item(db):
    assert "give either a region or an item_id" in refusal(targets=[{}])


def test_missing_fields_are_named(db):
    assert "engines" in refusal(engines=[])
    assert "targets" in refusal(targets=[])


def test_the_job_cap_is_a_knob(db, settings):
    settings.ANCHORBOARD_BATCH_MAX_JOBS = 3
    message = refusal(seeds=2)  # 2 products × 2 seeds = 4 jobs
    assert message.startswith("This batch would make 4 jobs; one batch may make up to 3.")
    settings.ANCHORBOARD_BATCH_MAX_JOBS = 4
    assert parse_batch_spec(raw_batch(seeds=2)).job_count() == 4


def test_a_missing_base_seed_is_drawn_once(db):
    spec = parse_batch_spec(raw_batch(seed=None))
    assert spec.seed is not None
