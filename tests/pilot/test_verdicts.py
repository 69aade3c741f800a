"""The verdicts flip exactly at the documented thresholds (docs/pilot.md): the latency
test's failure rate and p95, the consistency test's spread and drift flags."""

from __future__ import annotations

import pytest

from canvas.pilot import consistency, latency, thresholds


def latency_numbers(succeeded=95, failed=5, p95=60.0):
    ended = succeeded + failed
    return {
        "jobs": ended, "concurrency": 4, "burst": False,
        "succeeded": succeeded, "failed": failed, "cancelled": 0,
        "failure_rate": failed / ended if ended else None,
        "delivery_p50_seconds": p95 / 2 if succeeded else None,
        "delivery_p95_seconds": p95 if succeeded else None,
        "delivery_max_seconds": p95 if succeeded else None,
        "mean_queue_wait_seconds": 1.0, "mean_run_seconds": 1.0,
        "failures": [{"error_class": "provider_unavailable", "jobs": failed, "message": ""}]
        if failed else [],
        "retried_jobs": 0, "attempts": ended, "calls": ended, "calls_failed": failed,
        "call_retries": 0, "fallbacks": 0, "max_running_observed": 4,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("succeeded", "failed", "p95", "verdict"),
    [
        (95, 5, 60.0, "production"),  # 5 % exactly: at the limit
        (94, 6, 60.0, "ideation"),  # 6 %
        (100, 0, thresholds.LATENCY_MAX_P95_SECONDS, "production"),
        (100, 0, thresholds.LATENCY_MAX_P95_SECONDS + 0.1, "ideation"),
        (0, 10, 0.0, "ideation"),  # nothing delivered
    ],
)
def test_latency_verdict_flips_at_the_thresholds(succeeded, failed, p95, verdict):
    got, reason = latency.judge(latency_numbers(succeeded, failed, p95))
    assert got == verdict, reason
    if verdict == "ideation" and failed > 5:
        assert "provider_unavailable" in reason and "limit 5%" in reason
    if verdict == "ideation" and p95 > thresholds.LATENCY_MAX_P95_SECONDS:
        assert "limit 120 s" in reason


def row(n, lighting, palette, flags=()):
    return {
        "job": f"j{n}", "state": "succeeded", "error_code": "", "iteration": f"i{n}",
        "asset": f"a{n}", "seed": n, "scores": {"lighting": lighting, "palette": palette},
        "flags": list(flags), "within_tolerance": not flags,
    }  # fmt: skip


def test_consistency_verdict_flips_at_the_spread_limit():
    limit = thresholds.CONSISTENCY_MAX_SPREAD
    at_limit = [row(n, 0.80 + limit * n / 4, 0.9) for n in range(5)]
    verdict, reason, numbers = consistency.judge(at_limit, 5)
    assert verdict == "production", reason
    lighting = next(m for m in numbers["metrics"] if m["metric"] == "lighting")
    assert lighting["spread"] == pytest.approx(limit) and lighting["count"] == 5
    assert lighting["min"] == 0.8 and lighting["max"] == pytest.approx(0.8 + limit)

    beyond = [row(n, 0.80 + (limit + 0.01) * n / 4, 0.9) for n in range(5)]
    verdict, reason, _ = consistency.judge(beyond, 5)
    assert verdict == "ideation" and "lighting 0.16" in reason


def test_one_drifted_or_missing_variation_is_ideation():
    flag = {"metric": "palette", "message": "84% of the subject is off the palette."}
    rows = [row(n, 0.9, 0.9) for n in range(4)] + [row(4, 0.9, 0.9, [flag])]
    verdict, reason, numbers = consistency.judge(rows, 5)
    assert verdict == "ideation" and numbers["images_flagged"] == 1
    assert "1 of 5 drifted" in reason and "off the palette" in reason

    missing = [row(n, 0.9, 0.9) for n in range(4)]
    missing.append({**row(4, 0, 0), "state": "failed", "iteration": None, "scores": {}})
    verdict, reason, numbers = consistency.judge(missing, 5)
    assert verdict == "ideation" and "Only 4 of 5" in reason and numbers["jobs_failed"] == 1


def test_nearest_rank_percentiles_are_observed_values():
    values = [float(v) for v in range(1, 21)]
    assert latency.nearest_rank(values, 0.5) == 10.0
    assert latency.nearest_rank(values, 0.95) == 19.0
    assert latency.nearest_rank([], 0.5) is None
