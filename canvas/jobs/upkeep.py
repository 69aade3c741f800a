"""What every worker process does once per poll period, whoever runs its jobs.

Repairs that need no message to trigger them, so a worker does them on a clock:

- **recovery**: running jobs whose worker died go back to the queue (or fail when out of
  attempts), see canvas.jobs.recovery;
- **lost announcements**: job changes whose after-commit message never left (the process
  died first, or the channel layer refused it) are sent again, see canvas.jobs.announce;
- **lost previews**: at most once per ``PREVIEW_SWEEP_SECONDS``, blobs whose previews are
  still pending long after they were stored are scheduled again (their task died with
  its process: assets.services.requeue_stale_derivatives);
- **webhook retries**: deliveries due again are handed to this process's webhook senders
  (canvas.webhooks.sender; it sweeps at most every few seconds, and never waits on them);
- **atlas sheets**: at most once per ``ATLAS_SWEEP_SECONDS``, stored sheets no board has
  used for the grace period are deleted (canvas.atlas.collection; rebuilds sweep too, this
  covers boards deleted and passes that died); and one page of this process's round over
  the sheet files in storage, handing files no record knows (written before the collector
  existed) to it (canvas.atlas.orphans; a round every ``orphans.ROUND_SECONDS``);
- **chores** of rooms above the jobs, added with ``add_chore`` (exports: recovery of
  exports whose worker died, expired files; canvas.exports.recovery). A failing chore is
  logged and never stops the others.

The embedded pool and ``run_workers`` run ``tick`` from their housekeeping thread
(canvas.jobs.workers), each Celery worker from its sweeper (canvas.jobs.celery_worker).
Several processes doing it at once is harmless: recovery is serialised in the database
and a re-send is taken by one sweeper at a time. It never claims or runs a job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from assets.services import requeue_stale_derivatives
from canvas.atlas import collection as atlas_sheets
from canvas.atlas import orphans as atlas_files
from canvas.jobs import announce
from canvas.jobs.recovery import recover_abandoned_jobs
from canvas.webhooks import sender as webhook_sender

logger = logging.getLogger(__name__)

_CHORES: dict[str, Callable[[], object]] = {}
PREVIEW_SWEEP_SECONDS = 60.0
ATLAS_SWEEP_SECONDS = 60.0
# Monotonic time of each throttled sweep's last run; the first tick runs them all.
_last_sweep: dict[str, float] = {}


def add_chore(name: str, chore: Callable[[], object]) -> None:
    """Run ``chore()`` at every tick of every worker process (registered at app start)."""
    _CHORES[name] = chore


def run_chores() -> None:
    for name, chore in list(_CHORES.items()):
        try:
            chore()
        except Exception:  # one room's hiccup must not stop the others' upkeep
            logger.exception("upkeep chore %s failed", name)


def tick() -> tuple[list[str], int]:
    """Recover abandoned jobs, re-send lost announcements; returns (recovered ids, re-sent).

    Recovery runs at every tick: it first looks for abandoned jobs with one indexed read
    and takes the claim lock only when it found some, so a dead worker's job is requeued
    within one poll period of its lease expiring.
    """
    recovered = recover_abandoned_jobs()  # wakes workers after commit itself
    if recovered:
        logger.warning("requeued or ended %d abandoned job(s)", len(recovered))
    webhook_sender.sweep()  # due webhook retries go to this process's senders
    _throttled("previews", PREVIEW_SWEEP_SECONDS, requeue_stale_derivatives)
    # Files no record knows are handed to the collector first, which then deletes what is due.
    _throttled("atlas files", ATLAS_SWEEP_SECONDS, atlas_files.upkeep_step)
    _throttled("atlas sheets", ATLAS_SWEEP_SECONDS, atlas_sheets.collect_due)
    run_chores()
    return recovered, announce.resend_due()


def _throttled(name: str, period: float, sweep: Callable[[], object]) -> None:
    """Run ``sweep`` if ``period`` seconds passed since it last ran in this process; a
    failure (a database or storage hiccup) is logged and the next period tries again."""
    now = time.monotonic()
    if name in _last_sweep and now - _last_sweep[name] < period:
        return
    _last_sweep[name] = now
    try:
        sweep()
    except Exception:
        logger.exception("%s sweep failed", name)
