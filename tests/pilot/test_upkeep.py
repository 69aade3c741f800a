"""The pilot hangs its chore on the workers' upkeep (every topology ticks it), and a tick
with no active run reads once and writes nothing."""

from __future__ import annotations

import pytest

from canvas.jobs import upkeep
from canvas.pilot import tasks
from canvas.pilot.models import PilotRun


def test_the_chore_is_registered_with_the_workers_upkeep():
    assert upkeep._CHORES["pilot.advance"] is tasks.advance_all


@pytest.mark.django_db
def test_an_idle_tick_reads_once(django_assert_num_queries):
    with django_assert_num_queries(1):
        tasks.advance_all()
    assert not PilotRun.objects.exists()
