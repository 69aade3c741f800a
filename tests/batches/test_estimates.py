"""Estimates per engine: count, cost from the price table (unknown, never 0), time from
the engine's recent history or the documented default, and the kit's rules."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from canvas.batches.estimates import engine_estimates, kit_rules, price_for
from canvas.batches.expansion import expand
from canvas.batches.spec import parse_batch_spec
from canvas.governance.kits import services as kits
from canvas.models import Job, JobState
from tests.batches.conftest import raw_batch


def finished(board, engine, seconds, *, state=JobState.SUCCEEDED, ago=0):
    end = timezone.now() - timedelta(minutes=ago)
    return Job.objects.create(
        board=board, mode="img2img", engine=engine, state=state,
        started_at=end - timedelta(seconds=seconds), finished_at=end,
    )  # fmt: skip


def estimates(board, **fields):
    spec = parse_batch_spec(raw_batch(engines=["test-echo", "test-gate"], **fields))
    return {row["engine"]: row for row in engine_estimates(expand(board, spec))}


def test_without_price_or_history_cost_is_unknown_and_time_is_the_default(board, settings):
    settings.ANCHORBOARD_ENGINE_PRICES = {}
    settings.ANCHORBOARD_BATCH_DEFAULT_JOB_SECONDS = 12.0
    settings.ANCHORBOARD_ENGINE_CONCURRENCY = {}
    row = estimates(board)["test-echo"]
    assert row["jobs"] == 4 and row["cost"] == "unknown"
    assert row["seconds_per_job"] == 12.0 and row["time_basis"] == "default"
    assert row["parallel"] == 1 and row["seconds"] == 48.0


def test_history_gives_the_median_of_recent_succeeded_jobs(board, settings):
    settings.ANCHORBOARD_ENGINE_CONCURRENCY = {"test-echo": 2}
    for seconds in (2, 4, 100):
        finished(board, "test-echo", seconds)
    finished(board, "test-echo", 500, state=JobState.FAILED)  # failures are not latency
    finished(board, "test-gate", 9)
    rows = estimates(board)
    assert rows["test-echo"]["seconds_per_job"] == 4.0
    assert rows["test-echo"]["time_basis"] == "median of the last 3 jobs"
    assert rows["test-echo"]["seconds"] == 8.0  # 4 jobs, 2 at a time, 4 s each
    assert rows["test-gate"]["seconds_per_job"] == 9.0


def test_only_the_last_jobs_count(board):
    for index in range(20):
        finished(board, "test-echo", 3, ago=index)
    finished(board, "test-echo", 1000, ago=60)  # older than the last 20
    assert estimates(board)["test-echo"]["seconds_per_job"] == 3.0


def test_prices_per_image_and_per_megapixel_by_engine_or_provider(board, settings):
    settings.ANCHORBOARD_ENGINE_PRICES = {"test-echo": "0.04 USD/image", "test": "2 EUR/mp"}
    rows = estimates(board)
    assert rows["test-echo"]["cost"] == {"amount": 0.16, "currency": "USD", "per": "image"}
    # test-gate falls back to its provider "test": 4 jobs × 32×24 px = 4 × 0.000768 MP × 2
    assert rows["test-gate"]["cost"] == {"amount": 0.0061, "currency": "EUR", "per": "mp"}


def test_a_malformed_price_is_unknown_not_zero(settings):
    settings.ANCHORBOARD_ENGINE_PRICES = {"test-echo": "cheap"}
    assert price_for("test-echo") is None


def test_kit_rules_name_the_kit_version_and_locks(board, owner):
    assert kit_rules(board) is None
    kit = kits.create_kit(board.team, owner, "Spring", {"engine": "test-echo", "locks": ["engine"]})
    kits.set_board_kit(board, kit)
    rules = kit_rules(board)
    assert rules["name"] == "Spring" and rules["version"] == 1
    assert rules["locks"] == ["engine"] and rules["engine"] == "test-echo"
