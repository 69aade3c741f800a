"""A pilot report in words and numbers for people: the one reading of ``PilotRun.report`` that
the report page, its PDF and the side-by-side comparison share, so the three never disagree
about what a number is called, how it is rounded or which verdict it carries.

The report (canvas.pilot.report) stores raw values; this module only formats them: seconds
as "41.2 s", rates as "5.0 %", a missing number (``None``: nothing was measured) as "—",
never 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from canvas.pilot.report import TEST_NAMES

TITLES = {
    "consistency": "Consistency: five variations with the board's anchors",
    "latency": "Latency: time to delivery under load",
    "export": "Export: files the studio's tools open",
}
VERDICT_LABELS = {"production": "Production", "ideation": "Ideation", None: "Pending"}
STATUS_LABELS = {
    "pending": "Not run yet",
    "running": "Running",
    "done": "Done",
    "failed": "Could not run",
    "cancelled": "Cancelled",
    "stopped": "Stopped at its deadline",
    "skipped": "Not asked for",
}
MISSING = "—"


def seconds(value: Any) -> str:
    return MISSING if value is None else f"{float(value):.1f} s"


def percent(value: Any) -> str:
    return MISSING if value is None else f"{float(value) * 100:.1f} %"


def score(value: Any) -> str:
    return MISSING if value is None else f"{float(value):.2f}"


def count(value: Any) -> str:
    return MISSING if value is None else str(value)


def size(value: Any) -> str:
    if value is None:
        return MISSING
    amount = float(value)
    for unit in ("bytes", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{amount:.0f} {unit}" if unit == "bytes" else f"{amount:.1f} {unit}"
        amount /= 1024
    return MISSING  # pragma: no cover - the loop always returns


def yes_no(value: Any) -> str:
    return MISSING if value is None else ("yes" if value else "no")


# The key numbers of each test, in reading order: (label, key in numbers, formatter).
Number = tuple[str, str, Callable[[Any], str]]
KEY_NUMBERS: dict[str, tuple[Number, ...]] = {
    "consistency": (
        ("Variations delivered", "variations_delivered", count),
        ("Variations asked for", "variations_requested", count),
        ("Jobs failed", "jobs_failed", count),
        ("Images scored", "images_scored", count),
        ("Images flagged as drifted", "images_flagged", count),
    ),
    "latency": (
        ("Jobs", "jobs", count),
        ("Concurrency", "concurrency", count),
        ("Burst (peak hours)", "burst", yes_no),
        ("Succeeded", "succeeded", count),
        ("Failed", "failed", count),
        ("Failure rate", "failure_rate", percent),
        ("Time to delivery p50", "delivery_p50_seconds", seconds),
        ("Time to delivery p95", "delivery_p95_seconds", seconds),
        ("Time to delivery max", "delivery_max_seconds", seconds),
        ("Mean queue wait", "mean_queue_wait_seconds", seconds),
        ("Mean run time", "mean_run_seconds", seconds),
        ("Jobs retried", "retried_jobs", count),
        ("Provider calls", "calls", count),
        ("Provider calls failed", "calls_failed", count),
        ("Fallbacks taken", "fallbacks", count),
        ("Most running at once", "max_running_observed", count),
    ),
    "export": (
        ("Files asked for", "files_requested", count),
        ("Files written", "files_written", count),
        ("Files opened", "files_opened", count),
    ),
}
THRESHOLD_LABELS = {
    "max_spread": ("Largest score spread allowed", score),
    "variations": ("Variations", count),
    "max_failure_rate": ("Failure rate allowed", percent),
    "max_p95_seconds": ("p95 time to delivery allowed", seconds),
    "files": ("Files that must open", count),
}


@dataclass
class Table:
    """A table as both ends draw it: a caption, column heads and rows of text."""

    caption: str
    heads: list[str]
    rows: list[list[str]]


@dataclass
class TestView:
    name: str
    title: str
    status: str
    status_label: str
    verdict: str | None
    verdict_label: str
    reason: str
    numbers: list[tuple[str, str]]
    thresholds: list[tuple[str, str]]
    tables: list[Table] = field(default_factory=list)
    raw: Table | None = None  # the rows behind the numbers (the report's ``rows``)
    images: list[dict[str, Any]] = field(default_factory=list)


def _numbers(name: str, numbers: dict[str, Any]) -> list[tuple[str, str]]:
    return [(label, fmt(numbers.get(key))) for label, key, fmt in KEY_NUMBERS.get(name, ())]


def _thresholds(thresholds: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for key, value in thresholds.items():
        label, fmt = THRESHOLD_LABELS.get(key, (key.replace("_", " "), str))
        out.append((label, fmt(value)))
    return out


def _short(value: Any) -> str:
    """An id as people compare them: its first 8 characters."""
    return str(value)[:8] if value else MISSING


def _consistency_tables(test: dict[str, Any]) -> tuple[list[Table], Table]:
    spread = Table(
        "Scores per metric over the variations (0–1, 1 = matches the anchors)",
        ["Metric", "Images", "Min", "Max", "Mean", "Std. dev.", "Spread"],
        [
            [
                m["metric"],
                count(m.get("count")),
                score(m.get("min")),
                score(m.get("max")),
                score(m.get("mean")),
                score(m.get("stdev")),
                score(m.get("spread")),
            ]
            for m in test.get("numbers", {}).get("metrics", [])
        ],
    )
    raw = Table(
        "Each variation",
        ["Job", "State", "Seed", "Scores", "Within tolerance", "Flags"],
        [
            [
                _short(r.get("job")),
                r.get("state", "") + (f" ({r['error_code']})" if r.get("error_code") else ""),
                count(r.get("seed")),
                ", ".join(f"{k} {score(v)}" for k, v in sorted(r.get("scores", {}).items()))
                or MISSING,
                yes_no(r.get("within_tolerance")),
                "; ".join(f.get("message", "") for f in r.get("flags", [])) or "none",
            ]
            for r in test.get("rows", [])
        ],
    )
    return [spread], raw


def _latency_tables(test: dict[str, Any]) -> tuple[list[Table], Table]:
    failures = Table(
        "Failures by class",
        ["Error class", "Jobs", "Example message"],
        [
            [f["error_class"], count(f.get("jobs")), f.get("message", "")]
            for f in test.get("numbers", {}).get("failures", [])
        ],
    )
    raw = Table(
        "Each job",
        ["Job", "State", "Attempts", "Delivery", "Calls", "Failed calls", "Fallback", "Providers"],
        [
            [
                _short(r.get("job")),
                r.get("state", "") + (f" ({r['error_code']})" if r.get("error_code") else ""),
                count(r.get("attempts")),
                seconds(r.get("delivery_seconds")),
                count(r.get("calls")),
                count(r.get("calls_failed")),
                yes_no(r.get("fallback")),
                " → ".join(r.get("providers", [])) or MISSING,
            ]
            for r in test.get("rows", [])
        ],
    )
    return ([failures] if failures.rows else []), raw


def _export_tables(test: dict[str, Any]) -> tuple[list[Table], Table]:
    files = Table(
        "Each file, read back by an independent reader",
        ["Kind", "State", "File", "Size", "Reader", "Opened", "What the reader saw"],
        [
            [
                r.get("kind", ""),
                r.get("state", "") + (f" ({r['error_code']})" if r.get("error_code") else ""),
                r.get("file_name") or MISSING,
                size(r.get("size")),
                r.get("reader", ""),
                yes_no(r.get("opened")),
                r.get("detail", ""),
            ]
            for r in test.get("rows", [])
        ],
    )
    return [files], Table(files.caption, [], [])


TABLES = {
    "consistency": _consistency_tables,
    "latency": _latency_tables,
    "export": _export_tables,
}


def test_view(name: str, test: dict[str, Any] | None) -> TestView:
    test = test or {"status": "pending", "verdict": None, "reason": "Not run yet."}
    tables, raw = TABLES[name](test)
    return TestView(
        name=name,
        title=TITLES[name],
        status=test.get("status", "pending"),
        status_label=STATUS_LABELS.get(test.get("status", "pending"), test.get("status", "")),
        verdict=test.get("verdict"),
        verdict_label=VERDICT_LABELS.get(test.get("verdict"), "Pending"),
        reason=test.get("reason", ""),
        numbers=_numbers(name, test.get("numbers", {})),
        thresholds=_thresholds(test.get("thresholds", {})),
        tables=tables,
        raw=raw if raw.rows else None,
        images=list(test.get("images", [])),
    )


def test_views(report: dict[str, Any]) -> list[TestView]:
    tests = report.get("tests", {})
    return [test_view(name, tests.get(name)) for name in TEST_NAMES]


# --- Side by side ---------------------------------------------------------------------------


def comparison(reports: Iterable[dict[str, Any]]) -> list[list[str]]:
    """Rows of a side-by-side table: a label, then one cell per report, in order. The first
    rows say what was tested; then each test's verdict and key numbers."""
    reports = list(reports)
    rows: list[list[str]] = [
        ["Engine", *(r.get("engine", "") for r in reports)],
        ["Provider", *(r.get("provider", "") for r in reports)],
        ["Board", *(r.get("board_name", "") for r in reports)],
        ["Started", *((r.get("started_at") or MISSING)[:16].replace("T", " ") for r in reports)],
        ["Verdict", *(VERDICT_LABELS.get(r.get("verdict"), "Pending") for r in reports)],
    ]
    for name in TEST_NAMES:
        views = [test_view(name, r.get("tests", {}).get(name)) for r in reports]
        rows.append([f"{name.capitalize()}: verdict", *(v.verdict_label for v in views)])
        for index, (label, _, _) in enumerate(KEY_NUMBERS[name]):
            rows.append([f"{name.capitalize()}: {label}", *(v.numbers[index][1] for v in views)])
        if name == "consistency":
            metrics = sorted(
                {m["metric"] for r in reports for m in _metrics(r)},
            )
            for metric in metrics:
                rows.append(
                    [
                        f"Consistency: {metric} spread",
                        *(score(_metric(r, metric).get("spread")) for r in reports),
                    ]
                )
    return rows


def _metrics(report: dict[str, Any]) -> list[dict[str, Any]]:
    return report.get("tests", {}).get("consistency", {}).get("numbers", {}).get("metrics", [])


def _metric(report: dict[str, Any], metric: str) -> dict[str, Any]:
    return next((m for m in _metrics(report) if m["metric"] == metric), {})
