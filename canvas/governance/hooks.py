"""The job results' one call into governance: results landed, score them off the path.

Kept apart so canvas.jobs imports nothing of the metrics (SciPy, colour-science): the
scoring runs in the background dispatcher after the results commit.
"""

from __future__ import annotations

import logging
from typing import Any

from foundation.background import run_after_commit

logger = logging.getLogger(__name__)


def results_landed(job_id: Any) -> None:
    """Schedule scoring of a job's new results; never raises into the job."""
    try:
        run_after_commit("canvas.governance.score_job", str(job_id))
    except Exception:
        logger.exception("could not schedule consistency scoring of job %s", job_id)
