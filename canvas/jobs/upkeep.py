"""What every worker process does once per poll period, whoever runs its jobs.

Two repairs that need no message to trigger them, so a worker does them on a clock:

- **recovery**: running jobs whose worker died go back to the queue (or fail when out of
  attempts), see canvas.jobs.recovery;
- **lost announcements**: job changes whose after-commit message never left (the process
  died first, or the channel layer refused it) are sent again, see canvas.jobs.announce.

The embedded pool and ``run_workers`` run it from their housekeeping thread
(canvas.jobs.workers), each Celery worker from its sweeper (canvas.jobs.celery_worker).
Several processes doing it at once is harmless: recovery is serialised in the database
and a re-send is taken by one sweeper at a time. It never claims or runs a job.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from canvas.jobs import announce, config
from canvas.jobs.recovery import recover_abandoned_jobs

logger = logging.getLogger(__name__)


@dataclass
class Upkeep:
    """One process's upkeep clock (``tick()`` once per poll period)."""

    _last_recovery: float = float("-inf")

    def tick(self) -> tuple[list[str], int]:
        """Recover if due, re-send lost announcements; returns (recovered ids, re-sent)."""
        recovered: list[str] = []
        if time.monotonic() - self._last_recovery >= config.lease_seconds() / 2:
            self._last_recovery = time.monotonic()
            recovered = recover_abandoned_jobs()  # wakes workers after commit itself
            if recovered:
                logger.warning("requeued or ended %d abandoned job(s)", len(recovered))
        return recovered, announce.resend_due()
