"""The trailing ``batch_progress`` send (canvas.batches.progress): a change that found the
throttle closed is sent once it opens, on a timer thread; ``cancel_trailing_sends`` drops
the ones not yet under way and waits for those that are (tests/conftest.py calls it after
every test, so no timer reads the database after its test)."""

from __future__ import annotations

import threading
import uuid

from canvas.batches import progress

# The real scheduler: tests/batches/conftest.py records calls to ``progress._schedule``
# instead of timing them, which is what these tests are about.
from canvas.batches.progress import _schedule as schedule_for_real


def test_a_trailing_send_is_made_once_the_throttle_opens(monkeypatch):
    sent = threading.Event()
    batch_id = uuid.uuid4()
    monkeypatch.setattr(
        progress, "send_now", lambda pk, **_: sent.set() if pk == batch_id else None
    )
    schedule_for_real(batch_id)
    assert sent.wait(30)


def test_cancelled_trailing_sends_never_run_and_leave_no_thread(monkeypatch):
    sends: list = []
    monkeypatch.setattr(progress, "send_now", lambda pk, **_: sends.append(pk))
    batches = [uuid.uuid4(), uuid.uuid4()]
    for batch_id in batches:
        schedule_for_real(batch_id)
        schedule_for_real(batch_id)  # one trailing send per batch, however many changes
    timers = list(progress._timers)
    assert len(timers) == 2 and all(t.is_alive() for t in timers)
    progress.cancel_trailing_sends()
    # Joined: a timer that was not cancelled would have sent before the join returned.
    assert sends == []
    assert not any(t.is_alive() for t in timers)
    # The batches may be scheduled again (the pending marks went with the timers).
    schedule_for_real(batches[0])
    progress.cancel_trailing_sends()
    assert sends == []


def test_a_send_under_way_is_waited_for(monkeypatch):
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow_send(pk, **_):
        started.set()
        release.wait(30)
        finished.set()

    monkeypatch.setattr(progress, "send_now", slow_send)
    schedule_for_real(uuid.uuid4())
    assert started.wait(30)
    threading.Timer(0.2, release.set).start()  # lets the send end while the cancel waits
    progress.cancel_trailing_sends()
    assert finished.is_set()
