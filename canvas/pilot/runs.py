"""Starting, finding and cancelling pilot runs (the domain the API and the CLI call).

``start_pilot`` checks the settings and the board (canvas.pilot.spec: 400 sentences),
stores a queued run and asks for its first step after commit; the run then moves on by
itself (canvas.pilot.machine). ``cancel_pilot`` ends it ``cancelled``: the tests already
done keep their report, the rest are marked cancelled, and the run's batches and exports
are cancelled through their own cancels. Callers check roles first: starting and
cancelling need what running a batch needs (edit on the board), reading needs a role.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from canvas.jobs.slots import provider_of
from canvas.models import Board
from canvas.permissions import Perm, require, visible_boards
from canvas.pilot import stopping, thresholds
from canvas.pilot.machine import first_report
from canvas.pilot.models import (
    PILOT_ACTIVE_STATES,
    PilotRun,
    PilotStage,
    PilotState,
)
from canvas.pilot.report import TEST_NAMES, not_run
from canvas.pilot.spec import check_board, parse_pilot_spec
from canvas.pilot.tasks import ADVANCE_TASK
from foundation.background import run_after_commit
from foundation.errors import Conflict, Forbidden, NotFound

logger = logging.getLogger(__name__)


class PilotNotFound(NotFound):
    code = "pilot_not_found"
    default_message = "This pilot run does not exist, or you have not been given access to it."


class PilotFinished(Conflict):
    code = "pilot_finished"


def _model_of(engine: str) -> str:
    from canvas.engines import get_engine

    try:
        return str(getattr(get_engine(engine), "model", "") or "")
    except Exception:
        return ""


def start_pilot(board: Board, user: Any, raw: Any) -> PilotRun:
    """Store a queued run of ``raw`` (canvas.pilot.spec.PilotSpec) on ``board``; its first
    step runs after commit."""
    spec = parse_pilot_spec(raw)
    target = check_board(board, spec)
    settings = {
        "jobs": spec.jobs,
        "concurrency": spec.concurrency,
        "burst": spec.burst,
        "variations": thresholds.CONSISTENCY_VARIATIONS,
        "prompt": spec.prompt.strip(),
        "target": target,
        "model": _model_of(spec.engine),
    }
    author = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        run = PilotRun(
            team_id=board.team_id,
            board=board,
            created_by=author,
            engine=spec.engine,
            provider=provider_of(spec.engine),
            settings=settings,
            progress_message="Waiting to start",
        )
        run.report = first_report(run)
        run.save()
        run_after_commit(ADVANCE_TASK, str(run.pk))
    logger.info("pilot %s of %s queued on board %s", run.pk, spec.engine, board.pk)
    return run


def as_uuid(value: Any, what: str) -> uuid.UUID:
    """``value`` as a UUID; ValueError with a sentence naming ``what`` otherwise."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise ValueError(f"{what} {str(value)[:60]!r} is not an id.") from None


def get_pilot(run_id: Any) -> PilotRun:
    try:
        key = run_id if isinstance(run_id, uuid.UUID) else uuid.UUID(str(run_id))
        return PilotRun.objects.select_related("board", "board__team", "created_by").get(pk=key)
    except (ValueError, PilotRun.DoesNotExist):
        raise PilotNotFound() from None


def get_pilot_for(user: Any, run_id: Any, perm: Perm) -> PilotRun:
    """The run, if ``user`` has ``perm`` on its board; a run on a board they have no role
    on is the same 404 as a run that does not exist."""
    run = get_pilot(run_id)
    try:
        require(user, run.board, perm)
    except NotFound:
        raise PilotNotFound() from None
    except Forbidden as exc:
        raise Forbidden(
            exc.message.rstrip(".") + "; cancelling a pilot needs what running a batch needs."
        ) from None
    return run


def visible_pilots(user: Any) -> QuerySet[PilotRun]:
    """Runs on the boards ``user`` has a role on, newest first."""
    return (
        PilotRun.objects.filter(board__in=visible_boards(user))
        .select_related("board", "created_by")
        .order_by("-created_at", "-pk")
    )


def cancel_pilot(run: PilotRun, user: Any) -> PilotRun:
    """End the run ``cancelled`` (409 when it already ended); its running test and the
    tests after it are reported cancelled, its batches and exports are cancelled."""
    who = getattr(user, "get_username", lambda: "someone")()
    for _ in range(5):  # a ticker may move the run meanwhile: read it again
        current = PilotRun.objects.get(pk=run.pk)
        if current.is_finished:
            raise PilotFinished(
                f"This pilot has already {current.state}; there is nothing to cancel."
            )
        now = timezone.now()
        report = dict(current.report)
        tests = dict(report.get("tests") or {})
        for name in TEST_NAMES:
            test = tests.get(name)
            if test is None or test.get("status") in ("pending", "running"):
                cancelled = not_run(
                    name, "cancelled", f"Cancelled by {who} before this test ended."
                )
                cancelled["started_at"] = (test or {}).get("started_at")
                cancelled["finished_at"] = now.isoformat()
                tests[name] = cancelled
        report.update(
            tests=tests,
            state=PilotState.CANCELLED,
            finished_at=now.isoformat(),
            verdict="ideation",
            reason=f"Cancelled by {who}: the report holds only the tests that ended before.",
        )
        with transaction.atomic():
            won = PilotRun.objects.filter(
                pk=current.pk, version=current.version, state__in=PILOT_ACTIVE_STATES
            ).update(
                version=current.version + 1,
                state=PilotState.CANCELLED,
                stage=PilotStage.DONE,
                finished_at=now,
                report=report,
                progress_message=f"Cancelled by {who}",
            )
        if won:
            _stop_work(current, user)
            logger.info("pilot %s cancelled by %s", current.pk, who)
            return get_pilot(current.pk)
    raise PilotFinished("This pilot is changing too fast to cancel; try again.")


def _stop_work(run: PilotRun, user: Any) -> None:
    """Cancel the run's batches (queued jobs at once, running ones asked to stop) and its
    exports still being written (canvas.pilot.stopping)."""
    for batch_id in (run.consistency_batch_id, run.latency_batch_id):
        stopping.stop_batch(batch_id)
    stopping.stop_exports(run.exports, user)
