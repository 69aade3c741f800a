"""Where "production" ends and "ideation" begins, for each test (docs/pilot.md says why).

Plain numbers, one place: the tests judge by them and the report lists the ones it used
(``TestReport.thresholds``), so a report read a year later still says what it was judged
by even if these change.
"""

from __future__ import annotations

# Consistency: five shots of one product for one page must look alike side by side.
CONSISTENCY_MAX_SPREAD = 0.15  # max − min of a metric's 0–1 score over the variations
CONSISTENCY_VARIATIONS = 5

# Latency: what a creative-ops lead can plan a day around.
LATENCY_MAX_FAILURE_RATE = 0.05  # failed / (succeeded + failed), after the queue's retries
LATENCY_MAX_P95_SECONDS = 120.0  # time to delivery (submit → result on the board)

# Export: every file must open in an independent reader; there is no partial credit.
EXPORT_KINDS = ("psd", "tiff16", "zip", "pdf")


def consistency() -> dict[str, float]:
    return {"max_spread": CONSISTENCY_MAX_SPREAD, "variations": CONSISTENCY_VARIATIONS}


def latency() -> dict[str, float]:
    return {
        "max_failure_rate": LATENCY_MAX_FAILURE_RATE,
        "max_p95_seconds": LATENCY_MAX_P95_SECONDS,
    }


def export() -> dict[str, float]:
    return {"files": len(EXPORT_KINDS)}
