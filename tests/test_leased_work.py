"""foundation/leased_work.py's pieces that need no database: worker names and the
heartbeat both lifecycles run (the lifecycles themselves: tests/jobs/test_lifecycle.py and
tests/exports/test_lifecycle.py)."""

from __future__ import annotations

import logging
import os
import threading

from foundation.leased_work import Heartbeat, dead_local_worker, host_name, worker_name


def test_worker_names_tell_a_dead_local_process_from_a_live_or_remote_one():
    assert worker_name(3) == f"{host_name()}:{os.getpid()}:3"
    assert not dead_local_worker(worker_name("w"))  # this process
    assert dead_local_worker(f"{host_name()}:999999999:w")  # no such process here
    assert not dead_local_worker("elsewhere:999999999:w")  # another host: the lease decides
    assert not dead_local_worker("not-a-worker-name")


def test_the_heartbeat_survives_a_failed_beat_and_stops_once_the_row_is_lost(caplog):
    calls: list[int] = []
    third = threading.Event()

    def beat() -> bool:
        calls.append(len(calls) + 1)
        if len(calls) == 1:
            raise RuntimeError("database went away")  # logged; the next beat tries again
        if len(calls) == 3:
            third.set()
            return False  # no longer ours: stop beating
        return True

    heart = Heartbeat(beat, lambda: 0.0, "test-heartbeat", logging.getLogger("test.heart"))
    with caplog.at_level(logging.WARNING, logger="test.heart"):
        heart.start()
        assert third.wait(10), "the heartbeat stopped after a failed beat"
        assert heart._thread is not None
        heart._thread.join(10)
        assert not heart._thread.is_alive()  # ended by itself, not by stop()
        heart.stop()
    assert calls == [1, 2, 3]
    assert "test-heartbeat: heartbeat failed" in caplog.text


def test_stopping_the_heartbeat_ends_its_thread():
    beats = threading.Event()

    def beat() -> bool:
        beats.set()
        return True

    with Heartbeat(beat, lambda: 0.0, "test-heartbeat") as heart:
        assert beats.wait(10)
    assert heart._thread is not None and not heart._thread.is_alive()
