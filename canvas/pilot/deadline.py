"""The stage deadline: a test whose provider hangs, or whose batch never finishes, must not
keep the pilot running forever.

Each test (stage) may take ``ANCHORBOARD_PILOT_STAGE_DEADLINE_SECONDS`` from the moment it
began (``PilotRun.stage_started_at``). Past that, the machine's step (canvas.pilot.machine)
calls ``stop``: it counts what had not answered, cancels the stage's batch or exports
through the ordinary cancels (canvas.pilot.stopping — results and files already saved
stay), and ``stopped_report`` turns the test's report into one a creative-ops lead reads
at a glance: status ``stopped``, verdict ideation, and the reason first — "Stopped after
30 min: the provider had not answered 4 of 20 jobs." — followed by what the jobs that did
end measured. The numbers behind the sentence are kept under the test's ``stopped`` key.

Reads the clock only through the ``now`` it is given; never waits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from canvas.exports.models import Export
from canvas.models import Batch, Job, JobState
from canvas.pilot import export_check, stopping, thresholds
from canvas.pilot.latency import HELD
from canvas.pilot.models import PilotRun, batch_key
from canvas.pilot.report import StoppedNumbers, TestReport
from foundation import config, knobs

UNFINISHED = (JobState.QUEUED, JobState.RUNNING)


def limit_seconds() -> float:
    return float(config.read(knobs.PILOT_STAGE_DEADLINE_SECONDS))


def elapsed_seconds(run: PilotRun, now: datetime) -> float | None:
    if run.stage_started_at is None:
        return None
    return (now - run.stage_started_at).total_seconds()


def overdue(run: PilotRun, now: datetime) -> bool:
    """Whether the run's current test began more than the deadline ago."""
    elapsed = elapsed_seconds(run, now)
    return elapsed is not None and elapsed >= limit_seconds()


def work_unfinished(run: PilotRun, name: str) -> bool:
    """Whether the test still waits on work the deadline can stop: its batch has not
    ended, or (export) a file is still to be asked for or written. A consistency test
    whose batch ended and that waits only for its scores is not stopped: that wait is
    bounded on its own (canvas.pilot.consistency.SCORE_WAIT)."""
    if name == "export":
        return not export_check.ready(run)
    return Batch.objects.filter(
        pk=batch_key(_batch_of(run, name)), finished_at__isnull=True
    ).exists()


def _batch_of(run: PilotRun, name: str) -> Any:
    return run.consistency_batch_id if name == "consistency" else run.latency_batch_id


def _stop_batch(run: PilotRun, name: str, numbers: StoppedNumbers) -> None:
    jobs = Job.objects.filter(batch_id=batch_key(_batch_of(run, name)))
    unfinished = jobs.filter(state__in=UNFINISHED)
    waiting = unfinished.filter(state=JobState.QUEUED, not_before=HELD).count()
    numbers["jobs"] = jobs.count()
    numbers["unanswered"] = unfinished.count() - waiting
    numbers["waiting"] = waiting
    stopping.stop_batch(_batch_of(run, name))
    numbers["cancelled"] = jobs.filter(state=JobState.CANCELLED).count()


def _stop_exports(run: PilotRun, numbers: StoppedNumbers) -> None:
    asked = run.exports or {}
    ids = stopping.export_ids(asked)
    active = Export.objects.filter(pk__in=ids, state__in=stopping.EXPORT_ACTIVE).count()
    numbers["files"] = len(thresholds.EXPORT_KINDS)
    numbers["unwritten"] = active
    numbers["not_asked"] = sum(kind not in asked for kind in thresholds.EXPORT_KINDS)
    numbers["stopped_exports"] = stopping.stop_exports(asked, run.created_by)


def stop(run: PilotRun, name: str, now: datetime) -> StoppedNumbers:
    """Cancel the stage's unfinished work; what was unfinished, for the report."""
    elapsed = elapsed_seconds(run, now) or 0.0
    numbers: StoppedNumbers = {
        "deadline_seconds": limit_seconds(),
        "after_seconds": round(elapsed, 3),
    }
    if name == "export":
        _stop_exports(run, numbers)
    else:
        _stop_batch(run, name, numbers)
    return numbers


def duration(seconds: float) -> str:
    """ "31 min", or "45 s" under a minute (a test's deadline may be set that short)."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def sentence(numbers: StoppedNumbers) -> str:
    """The stop in a creative-ops lead's words."""
    after = f"Stopped after {duration(numbers['after_seconds'])}"
    if "files" in numbers:
        unwritten, files = numbers.get("unwritten", 0), numbers["files"]
        text = f"{after}: {unwritten} of {files} files were still being written"
        if numbers.get("not_asked"):
            text += f" and {numbers['not_asked']} not yet asked for"
        return text + "."
    jobs, unanswered = numbers.get("jobs", 0), numbers.get("unanswered", 0)
    waiting = numbers.get("waiting", 0)
    if not unanswered and not waiting:
        return f"{after}: all {jobs} jobs had ended, but the test had not finished."
    text = f"{after}: the provider had not answered {unanswered} of {jobs} jobs"
    if waiting:
        text += f"; {waiting} more were still waiting their turn"
    return text + "."


def files_written(rows: list[dict[str, Any]]) -> str:
    """What the export test's files that were written showed, in words ("" when none)."""
    said = []
    for row in rows:
        if row.get("state") == "not_started" or row.get("error_code") == "export_cancelled":
            continue
        label = export_check.LABELS.get(row.get("kind", ""), row.get("kind", ""))
        said.append(f"{label} opened" if row.get("opened") else f"{label} did not open")
    return f"Of the files written: {', '.join(said)}." if said else ""


def stopped_report(measured: TestReport, numbers: StoppedNumbers) -> TestReport:
    """The test's report as measured on what ended, marked stopped: status ``stopped``,
    verdict ideation (a provider that does not answer in time is not production), the stop
    sentence first, then what the work that did end showed."""
    own, rows = measured["reason"], measured["rows"]
    if "files" in numbers:
        stopped_ids = set(numbers.get("stopped_exports", []))
        # Say why those files are missing, not "Cancelled by <requester>".
        rows = [
            {**row, "detail": "Still being written at the deadline; cancelled."}
            if row.get("export") in stopped_ids
            else row
            for row in rows
        ]
        own = files_written(rows)
    elif own:
        own = f"Of what had ended: {own[0].lower()}{own[1:]}"
    return {
        **measured,
        "status": "stopped",
        "verdict": "ideation",
        "reason": f"{sentence(numbers)} {own}".strip(),
        "rows": rows,
        "stopped": numbers,
    }
