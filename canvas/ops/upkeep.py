"""The roll-up chore on the workers' clock (canvas.jobs.upkeep.add_chore).

Every worker process ticks once per poll period; the roll-ups need far less, so each
process runs them at most once per ROLLUP_PERIOD seconds. Several processes doing it at
once is harmless (canvas.ops.rollups rebuilds a bucket whole, and a racing rebuild of the
same bucket gives way).
"""

from __future__ import annotations

import time

from canvas.jobs.upkeep import add_chore
from canvas.ops import rollups

ROLLUP_PERIOD = 60.0  # seconds; also the dashboard's lag behind the job path

_last_run = [float("-inf")]
_clock = time.monotonic  # replaced by the tests


def roll_up_when_due() -> None:
    now = _clock()
    if now - _last_run[0] < ROLLUP_PERIOD:
        return
    _last_run[0] = now
    rollups.roll_up_due()


add_chore("ops.rollups", roll_up_when_due)
