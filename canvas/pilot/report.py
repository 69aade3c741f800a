"""The shape of a pilot run's report (``PilotRun.report``), declared once.

The report page, its PDF and the side-by-side comparison read these keys (docs/pilot.md
shows an example). A report is plain JSON: numbers are floats or ints (``null`` when
nothing was measured, never 0), times are ISO 8601 UTC strings, images are referenced by
ids (asset, iteration, job, item — the files are served by the usual ``/files/`` routes),
never embedded. ``version`` is bumped when a key changes meaning; readers of an older
version may show what they know.

Each test has the same outer keys (``TestReport``): its ``status`` (how the test ended),
its ``verdict`` ("production": a creative-ops lead would put this provider on real work;
"ideation": good for exploring, not yet for delivery) with the ``reason`` in words, the
``thresholds`` the verdict was judged by, its ``numbers`` (a TypedDict per test below),
the ``images`` it made and the raw ``rows`` behind the numbers (one per job, per image or
per file), so a reader can recompute every number.

This module only declares shapes and the small builders that fill them; the tests compute
(canvas.pilot.consistency, latency, exports) and canvas.pilot.machine stores them.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

REPORT_VERSION = 1

Verdict = Literal["production", "ideation"]
# done: the test ran to its end (its verdict is about the provider); failed: the test could
# not run (e.g. every job refused, the board lost its image) — verdict "ideation" with the
# reason; cancelled: the run was cancelled before the test ended; stopped: the test ran past
# the stage deadline (canvas.pilot.deadline) — its unfinished work was cancelled, verdict
# "ideation", numbers measured on what had ended; skipped: not asked for.
TestStatus = Literal["pending", "running", "done", "failed", "cancelled", "stopped", "skipped"]
TestName = Literal["consistency", "latency", "export"]
TEST_NAMES: tuple[TestName, ...] = ("consistency", "latency", "export")


class ImageRef(TypedDict):
    """One image the pilot made or used, by id (serve it with ``/files/``)."""

    asset: str
    iteration: str | None  # the job result it is (None for an anchor)
    job: str | None
    item: str | None  # its board item when it is placed on the board (anchors)
    label: str  # in words: "variation 3 (seed 1234)", "lighting anchor “Hero”"


# --- Consistency --------------------------------------------------------------------------


class MetricSpread(TypedDict):
    """One metric's scores over the delivered variations (0–1, 1 = matches the anchors)."""

    metric: str  # palette, lighting, composition, style
    count: int  # images scored for this metric
    min: float | None
    max: float | None
    mean: float | None
    stdev: float | None  # population standard deviation
    spread: float | None  # max − min


class ConsistencyNumbers(TypedDict):
    variations_requested: int
    variations_delivered: int  # results on the board
    jobs_failed: int
    images_scored: int  # results with at least one stored score
    images_flagged: int  # results with a drift flag (outside the board's tolerance)
    metrics: list[MetricSpread]


class ConsistencyRow(TypedDict):
    """One variation: its job, result, seed, scores and flags (as governance stored them)."""

    job: str
    state: str  # the job's end: succeeded, failed, cancelled
    error_code: str
    iteration: str | None
    asset: str | None
    seed: int | None
    scores: dict[str, float]  # metric → score
    flags: list[dict[str, Any]]  # governance's {metric, component, value, threshold, message}
    within_tolerance: bool | None  # None when not scored


# --- Latency ------------------------------------------------------------------------------


class FailureClass(TypedDict):
    error_class: str  # the job's error_code (provider_blocked, provider_unavailable, …)
    jobs: int
    message: str  # one of the jobs' own error message, as an example


class LatencyNumbers(TypedDict):
    jobs: int  # queued for the test
    concurrency: int
    burst: bool
    succeeded: int
    failed: int
    cancelled: int
    failure_rate: float | None  # failed / (succeeded + failed)
    delivery_p50_seconds: float | None  # time to delivery: job end − submit, succeeded jobs
    delivery_p95_seconds: float | None
    delivery_max_seconds: float | None
    mean_queue_wait_seconds: float | None  # start of the last attempt − submit
    mean_run_seconds: float | None  # end − start of the last attempt
    failures: list[FailureClass]
    retried_jobs: int  # jobs that needed more than one attempt
    attempts: int
    calls: int  # provider calls recorded (ProviderCall rows)
    calls_failed: int
    call_retries: int  # calls made by a second or later attempt
    fallbacks: int  # calls made on a fallback engine
    max_running_observed: int  # most jobs running at once, from their start/end times


class LatencyRow(TypedDict):
    """One job of the latency test (times from the job row; calls from ProviderCall)."""

    job: str
    state: str
    error_code: str
    attempts: int
    queued_at: str
    started_at: str | None
    finished_at: str | None
    delivery_seconds: float | None
    calls: int
    calls_failed: int
    fallback: bool
    providers: list[str]  # providers actually called, in order


# --- Export -------------------------------------------------------------------------------


class ExportNumbers(TypedDict):
    files_requested: int
    files_written: int  # exports that ended ready
    files_opened: int  # read back without error by the independent reader


class ExportRow(TypedDict):
    """One export file: how the pipeline ended and what the independent reader found."""

    kind: str  # psd, tiff16, zip, pdf
    export: str | None  # the Export's id
    state: str  # ready, failed, cancelled, not_started
    error_code: str
    file_name: str
    size: int | None
    reader: str  # psd-tools, tifffile, zipfile+json+csv, pypdf
    opened: bool
    detail: str  # what the reader saw ("3 layers, 64×48"), or why it did not open


# --- A test stopped at its deadline ------------------------------------------------------


class StoppedNumbers(TypedDict, total=False):
    """What a test had not finished when its deadline passed (canvas.pilot.deadline)."""

    deadline_seconds: float  # ANCHORBOARD_PILOT_STAGE_DEADLINE_SECONDS when it was stopped
    after_seconds: float  # how long the test had run
    jobs: int  # consistency, latency: the batch's jobs
    unanswered: int  # queued or running at the provider, not yet answered
    waiting: int  # latency: held jobs still waiting for a free slot
    cancelled: int  # the batch's cancelled jobs once stopped
    files: int  # export: the files the test asks for
    unwritten: int  # exports still queued or running
    not_asked: int  # exports not asked for yet
    stopped_exports: list[str]  # the export ids the stop cancelled


# --- The test and the report --------------------------------------------------------------


class TestReport(TypedDict):
    name: TestName
    status: TestStatus
    verdict: Verdict | None  # None while pending or running
    reason: str  # the verdict in words, with the numbers that decided it
    thresholds: dict[str, float]
    started_at: str | None
    finished_at: str | None
    numbers: dict[str, Any]  # ConsistencyNumbers, LatencyNumbers or ExportNumbers
    images: list[ImageRef]
    rows: list[dict[str, Any]]  # ConsistencyRow, LatencyRow or ExportRow
    batch: NotRequired[str | None]  # the batch that ran the jobs (consistency, latency)
    # latency: the ProviderCall rows behind the numbers ({job, provider, model, attempt,
    # outcome, error_code, fallback, latency_ms, cost, currency}).
    calls: NotRequired[list[dict[str, Any]]]
    stopped: NotRequired[StoppedNumbers]  # set when the stage deadline stopped the test


class PilotSettingsOut(TypedDict):
    jobs: int
    concurrency: int
    burst: bool
    variations: int
    prompt: str
    target: dict[str, Any]  # {"item_id"} or {"region"}


class PilotReport(TypedDict):
    version: int
    run: str
    team: str
    board: str
    board_name: str
    engine: str
    provider: str
    model: str  # the provider's model as the engine names it ("" when unknown)
    settings: PilotSettingsOut
    started_by: str  # the person's user name ("" when nobody)
    started_at: str | None
    finished_at: str | None
    state: str  # the run's state when the report was written
    verdict: Verdict | None  # "production" only when every test says so
    reason: str
    tests: dict[str, TestReport]  # keyed by TEST_NAMES


def pending_test(name: TestName) -> TestReport:
    return {
        "name": name,
        "status": "pending",
        "verdict": None,
        "reason": "Not run yet.",
        "thresholds": {},
        "started_at": None,
        "finished_at": None,
        "numbers": {},
        "images": [],
        "rows": [],
    }


def not_run(name: TestName, status: TestStatus, reason: str) -> TestReport:
    """A test that could not run or was cancelled: verdict ideation, with the reason."""
    test = pending_test(name)
    test["status"], test["verdict"], test["reason"] = status, "ideation", reason
    return test


def overall(tests: dict[str, TestReport]) -> tuple[Verdict | None, str]:
    """Production only when every test is done and says production; otherwise ideation,
    naming the tests that held it back (None while a test is still to come)."""
    if any(tests.get(n, pending_test(n))["verdict"] is None for n in TEST_NAMES):
        return None, "The pilot is still running."
    held = [n for n in TEST_NAMES if tests[n]["verdict"] != "production"]
    if not held:
        return "production", "All three tests passed: ready for production work."
    names = ", ".join(
        f"{n} (stopped at its deadline)" if tests[n]["status"] == "stopped" else n for n in held
    )
    return "ideation", f"Ready for ideation, not production: {names} held it back."
