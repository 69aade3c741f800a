"""Consistency checks of long lists, run in the background and polled (the API's 202).

Scoring an image nobody scored yet costs ~26 ms of one core for a 512 px result (decoding
its original included; measured: 500 cold images in 12.9 s of CPU, bench/README.md
"consistency_api_bench.py"), so a list of 500 would hold a request for 13 s on an idle core
and minutes on a busy one. Lists longer than ``SYNC_LIMIT`` are therefore answered ``202``
with a check id: ``start`` stores the request and schedules the task
"canvas.governance.run_check" after commit; ``run`` does the check exactly as the 200 path
does (canvas.governance.services.check) and stores its reply or its error; ``payload`` is
what polling returns. Callers check the caller's role on the board first.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from canvas.governance.models import CheckStatus, ConsistencyCheck
from canvas.models import Board
from foundation.background import run_after_commit
from foundation.errors import AppError, NotFound

# At most this many images are checked inside the request (~2.6 s of CPU when none is
# scored yet); longer lists get a 202 and a check to poll.
SYNC_LIMIT = 100
RUN_TASK = "canvas.governance.run_check"

logger = logging.getLogger(__name__)


class CheckNotFound(NotFound):
    code = "check_not_found"
    default_message = "There is no such consistency check."


def start(
    board: Board, user: Any, assets: list[str], anchors: dict[str, Any] | None
) -> ConsistencyCheck:
    check = ConsistencyCheck.objects.create(
        board=board, requested_by=user, assets=list(assets), anchors=anchors
    )
    run_after_commit(RUN_TASK, str(check.pk))
    return check


def get(check_id: Any) -> ConsistencyCheck:
    check = ConsistencyCheck.objects.select_related("board").filter(pk=check_id).first()
    if check is None:
        raise CheckNotFound()
    return check


def run(check_id: Any) -> str:
    """Run a queued check; returns its final status. Never raises: a failure is stored."""
    taken = ConsistencyCheck.objects.filter(pk=check_id, status=CheckStatus.QUEUED).update(
        status=CheckStatus.RUNNING
    )
    check = ConsistencyCheck.objects.select_related("board").filter(pk=check_id).first()
    if not taken or check is None:
        return check.status if check is not None else ""
    try:
        from canvas.governance import services  # the metrics' imports: only where they run

        check.result = services.check(check.board, check.assets, check.anchors)
        check.status = CheckStatus.DONE
    except AppError as exc:
        check.error = {"code": exc.code, "message": exc.message}
        check.status = CheckStatus.FAILED
    except Exception:
        logger.exception("consistency check %s failed", check_id)
        check.error = {"code": "check_failed", "message": "The check failed; try again."}
        check.status = CheckStatus.FAILED
    check.finished_at = timezone.now()
    check.save(update_fields=["result", "error", "status", "finished_at"])
    return check.status


def payload(check: ConsistencyCheck) -> dict[str, Any]:
    return {
        "check": str(check.pk),
        "status": check.status,
        "poll": f"/api/v1/consistency-checks/{check.pk}",
        "result": check.result,
        "error": check.error,
    }
