"""Background tasks of governance (registered with foundation.background by canvas.apps).

- "canvas.governance.score_job": score a job's results against the board's anchors once
  they are stored. Idempotent (scores are keyed by asset, metric and reference set). It
  never raises: a scoring failure is logged and the job's results stay as they are.
- "canvas.governance.run_check": run a long consistency check the API answered 202 for
  (canvas.governance.checks); its reply or error is stored on the check.
- "canvas.governance.rescore_board": re-score a board's results after its anchors or its
  brand kit's references changed (canvas.governance.rescore: one pass at a time per board,
  edits coalesced, one page of results per pass; ``announced`` is given by a pass that
  dispatches the next page). It never raises: a failure is logged and the readings stay
  marked stale.
"""

from __future__ import annotations

import logging
from typing import Any

from canvas.governance import checks, rescore
from canvas.models import Item, Job
from foundation.background import task

logger = logging.getLogger(__name__)


@task("canvas.governance.score_job")
def score_job(job_id: Any) -> int:
    try:
        # Cheap first: most boards have no anchors and no kit, and the metrics' imports (SciPy,
        # colour-science) cost seconds the first time in a process.
        board = Job.objects.filter(pk=job_id).values_list("board_id", "board__brand_kit_id").first()
        if board is None:
            return 0
        board_id, kit_id = board
        anchored = Item.objects.filter(board_id=board_id, deleted=False).exclude(anchor_role="")
        if kit_id is None and not anchored.exists():
            return 0
        from canvas.governance.services import score_job_results

        return score_job_results(job_id)
    except Exception:
        logger.exception("consistency scoring of job %s failed; its results are unaffected", job_id)
        return 0


@task(checks.RUN_TASK)
def run_check(check_id: Any) -> str:
    return checks.run(check_id)


@task(rescore.TASK)
def rescore_board(board_id: Any, announced: int = 0) -> int:
    try:
        return rescore.run(board_id, announced)
    except Exception:
        logger.exception("re-scoring board %s after its references changed failed", board_id)
        return 0
