"""A pilot run's state machine: start → consistency → latency → export → done.

``advance(run_id)`` looks at the run's current test and moves it on when that test's work
has ended (its batch finished and scored, its exports ended): it writes the test's report,
begins the next test and, after the last, ends the run ``succeeded`` with the overall
verdict. It never waits: it is called on every upkeep tick of every worker process and
after each of the run's jobs ends (canvas.pilot.tasks), and returns at once when there is
nothing to do.

**Two tickers at once.** Every write starts with ``_claim``: one conditional UPDATE of the
run's row on the ``version`` the ticker read (and an active state). On PostgreSQL the
second ticker's UPDATE waits for the first's row lock, then finds the version moved and
matches nothing; SQLite serialises writers. The winner does the step's work — starting a
batch, asking for an export — in the same transaction, so a step is done exactly once and
a crash mid-step rolls it back whole (the next tick does it again). Reads that decide
whether there is anything to do (is the batch over? are the scores in?) come before the
claim, so an idle tick writes nothing.

**A test past its deadline** (``ANCHORBOARD_PILOT_STAGE_DEADLINE_SECONDS`` after it began,
canvas.pilot.deadline): the step that notices claims the run, cancels the test's batch or
exports through their own cancels (what landed stays), records the test ``stopped`` with
verdict ideation and the sentence ("Stopped after 30 min: the provider had not answered 4
of 20 jobs."), and begins the next test — a hanging provider cannot hold a run forever.

**A test that cannot run** (the kit refuses every job, there is no result to export) is
recorded ``failed`` with the refusal's sentence and verdict ideation, and the run goes on
to the next test: a failing provider gives a report that says so, not a failed run.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from canvas.pilot import consistency, deadline, export_check, latency
from canvas.pilot.models import PILOT_ACTIVE_STATES, PilotRun, PilotStage, PilotState
from canvas.pilot.report import (
    REPORT_VERSION,
    TEST_NAMES,
    PilotReport,
    TestReport,
    not_run,
    overall,
    pending_test,
)
from foundation.errors import AppError

logger = logging.getLogger(__name__)


class Test(Protocol):
    def begin(self, run: PilotRun) -> dict[str, Any]: ...
    def ready(self, run: PilotRun) -> bool: ...
    def progress(self, run: PilotRun) -> float: ...
    def result(self, run: PilotRun, test: TestReport) -> TestReport: ...


class _Exports:
    """The export test has nothing to begin: its first request is the next tick's step."""

    def begin(self, run: PilotRun) -> dict[str, Any]:
        return {"exports": {}}

    ready = staticmethod(export_check.ready)
    progress = staticmethod(export_check.progress)
    result = staticmethod(export_check.result)


TESTS: dict[str, Test] = {
    "consistency": consistency,
    "latency": latency,
    "export": _Exports(),
}
MESSAGES = {
    "consistency": "Consistency: making the variations",
    "latency": "Latency: jobs running",
    "export": "Export: writing and reading back the files",
}


def first_report(run: PilotRun) -> PilotReport:
    """The report a run starts with: its settings, every test pending."""
    user = run.created_by
    return {
        "version": REPORT_VERSION,
        "run": str(run.pk),
        "team": str(run.team_id),
        "board": str(run.board_id),
        "board_name": run.board.name,
        "engine": run.engine,
        "provider": run.provider,
        "model": run.settings.get("model", ""),
        "settings": {
            "jobs": run.settings["jobs"],
            "concurrency": run.settings["concurrency"],
            "burst": run.settings["burst"],
            "variations": run.settings["variations"],
            "prompt": run.settings["prompt"],
            "target": run.settings["target"],
        },
        "started_by": user.get_username() if user is not None else "",
        "started_at": None,
        "finished_at": None,
        "state": run.state,
        "verdict": None,
        "reason": "The pilot has not started yet.",
        "tests": {name: pending_test(name) for name in TEST_NAMES},
    }


def _claim(run: PilotRun, **fields: Any) -> bool:
    """The guarded write every step starts with (see the module's docstring)."""
    won = PilotRun.objects.filter(
        pk=run.pk, version=run.version, state__in=PILOT_ACTIVE_STATES
    ).update(version=F("version") + 1, **fields)
    if won:
        run.version += 1
        for name, value in fields.items():
            setattr(run, name, value)
    return bool(won)


def _write(run: PilotRun, **fields: Any) -> None:
    """More fields of a run this transaction already claimed."""
    PilotRun.objects.filter(pk=run.pk).update(**fields)
    for name, value in fields.items():
        setattr(run, name, value)


def _enter(run: PilotRun, position: int, report: PilotReport, now: datetime) -> None:
    """Begin the first test from ``position`` on that can begin; tests that cannot are
    recorded failed with their sentence. After the last, the run ends succeeded."""
    for name in TEST_NAMES[position:]:
        test = pending_test(name)
        test["status"], test["started_at"] = "running", now.isoformat()
        test["reason"] = "Running."
        try:
            with transaction.atomic():  # a refused begin leaves nothing behind
                fields = TESTS[name].begin(run)
        except AppError as exc:
            failed = not_run(name, "failed", exc.message)
            failed["started_at"] = failed["finished_at"] = now.isoformat()
            report["tests"][name] = failed
            logger.info("pilot %s: %s test could not run: %s", run.pk, name, exc.message)
            continue
        report["tests"][name] = test
        done = TEST_NAMES.index(name) / len(TEST_NAMES)
        _write(
            run,
            stage=name,
            stage_started_at=now,
            report=report,
            progress=round(done, 4),
            progress_message=MESSAGES[name],
            **fields,
        )
        return
    report["verdict"], report["reason"] = overall(report["tests"])
    report["state"], report["finished_at"] = PilotState.SUCCEEDED, now.isoformat()
    _write(
        run,
        state=PilotState.SUCCEEDED,
        stage=PilotStage.DONE,
        finished_at=now,
        report=report,
        progress=1.0,
        progress_message=f"Done: {report['verdict']}",
    )
    logger.info("pilot %s ended: %s", run.pk, report["verdict"])


def _start(run: PilotRun, now: datetime) -> bool:
    report = first_report(run)
    report["started_at"], report["state"] = now.isoformat(), PilotState.RUNNING
    report["reason"] = "The pilot is still running."
    with transaction.atomic():
        if not _claim(run, state=PilotState.RUNNING, started_at=now):
            return False
        _enter(run, 0, report, now)
    return True


def _note_progress(run: PilotRun, name: str, fraction: float) -> None:
    """Progress is cosmetic: written when it moved, without a claim (no version bump)."""
    position = TEST_NAMES.index(name)
    value = round((position + min(1.0, fraction)) / len(TEST_NAMES), 4)
    if value != round(run.progress, 4):
        PilotRun.objects.filter(pk=run.pk, state__in=PILOT_ACTIVE_STATES).update(progress=value)


def _stop(run: PilotRun, name: str, now: datetime) -> bool:
    """The test ran past its deadline: cancel its unfinished work, report it stopped (what
    had ended still measured) and begin the next test — one claimed transaction."""
    with transaction.atomic():
        if not _claim(run):
            return False
        numbers = deadline.stop(run, name, now)
        measured = TESTS[name].result(run, run.report["tests"][name])
        report: PilotReport = run.report
        report["tests"][name] = deadline.stopped_report(measured, numbers)
        logger.info("pilot %s: %s test stopped at its deadline: %s", run.pk, name, numbers)
        _enter(run, TEST_NAMES.index(name) + 1, report, now)
    return True


def _step(run: PilotRun, now: datetime | None = None) -> bool:
    """One move of the run; False when there is nothing to do now (or another ticker won).
    ``now`` is the clock the stage deadline is judged by (tests pass one)."""
    now = now or timezone.now()
    if run.stage == PilotStage.START:
        return _start(run, now)
    name = run.stage
    test = TESTS[name]
    if deadline.overdue(run, now) and deadline.work_unfinished(run, name):
        return _stop(run, name, now)
    if name == "latency" and run.latency_batch_id is not None:
        latency.top_up(run.latency_batch_id, run.settings["concurrency"], run.settings["burst"])
    if name == "export" and export_check.due(run):
        with transaction.atomic():
            if not _claim(run):
                return False
            asked = export_check.step(run)
            if asked is None:
                transaction.set_rollback(True)  # nothing asked: leave the row as it was
                return False
            _write(run, exports=asked)
        return True
    if not test.ready(run):
        _note_progress(run, name, test.progress(run))
        return False
    finished = test.result(run, run.report["tests"][name])
    report: PilotReport = run.report
    report["tests"][name] = finished
    with transaction.atomic():
        if not _claim(run):
            return False
        _enter(run, TEST_NAMES.index(name) + 1, report, now)
    return True


def advance(run_id: Any, now: datetime | None = None) -> str | None:
    """Move the run on as far as it can go now; returns its state (None: no such run).
    ``now``: the clock the stage deadline is judged by (default: the real one)."""
    for _ in range(2 * len(TEST_NAMES) + 4):  # each test's end, export requests, start
        run = PilotRun.objects.select_related("board", "created_by").filter(pk=run_id).first()
        if run is None:
            return None
        if run.is_finished or not _step(run, now):
            return run.state
    return PilotRun.objects.filter(pk=run_id).values_list("state", flat=True).first()


def active_runs() -> list[Any]:
    return list(PilotRun.objects.filter(state__in=PILOT_ACTIVE_STATES).values_list("pk", flat=True))
