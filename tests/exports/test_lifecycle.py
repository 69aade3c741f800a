"""The export lifecycle (canvas/exports/lifecycle.py, on foundation/leased_work.py, the
machinery it shares with the jobs): the table of allowed transitions, the owner guard, one
version per change, and the announcement to the requester after commit."""

from __future__ import annotations

import itertools

import pytest

from canvas.exports import lifecycle, services
from canvas.exports.lifecycle import IllegalTransition, transition
from canvas.exports.models import Export, ExportState
from tests.exports.conftest import FAKE

pytestmark = pytest.mark.django_db

STATES = list(ExportState.values)
ALLOWED = {
    (ExportState.QUEUED, ExportState.RUNNING),
    (ExportState.RUNNING, ExportState.RUNNING),
    (ExportState.RUNNING, ExportState.READY),
    (ExportState.RUNNING, ExportState.FAILED),
    (ExportState.RUNNING, ExportState.QUEUED),
    (ExportState.QUEUED, ExportState.FAILED),  # cancelled before a worker claimed it
}
UNOWNED = {(ExportState.QUEUED, ExportState.FAILED)}


@pytest.fixture
def queued(board, owner, images, fake_kind) -> Export:
    """A queued export whose run task was not started (no on-commit callbacks ran)."""
    return services.request_export(board, owner, {"kind": FAKE, "items": [str(images[0].pk)]})


def _in_state(export: Export, state: str, worker: str = "w1") -> None:
    """Put ``export`` in ``state`` directly (test set-up, not a transition)."""
    Export.objects.filter(pk=export.pk).update(state=state, worker_id=worker)


def _row(export: Export) -> tuple[str, int]:
    fresh = Export.objects.get(pk=export.pk)
    return fresh.state, fresh.version


def test_the_table_is_exactly_the_documented_one():
    assert set(lifecycle.TRANSITIONS) == ALLOWED
    assert not [pair for pair in lifecycle.TRANSITIONS if pair[0] in lifecycle.FINISHED]


@pytest.mark.parametrize(
    "source,target",
    [pair for pair in itertools.product(STATES, STATES) if pair not in ALLOWED],
)
def test_every_pair_outside_the_table_raises_and_writes_nothing(queued, source, target):
    _in_state(queued, source)
    with pytest.raises(IllegalTransition, match="an export cannot go"):
        transition(queued.pk, source, target, owner="w1")
    assert _row(queued) == (source, queued.version)


@pytest.mark.parametrize("source,target", sorted(ALLOWED))
def test_every_allowed_change_lands_and_bumps_the_version_once(queued, source, target):
    _in_state(queued, source)
    changed = transition(
        queued.pk, source, target, owner="" if (source, target) in UNOWNED else "w1"
    )
    assert changed is not None and changed.state == target
    assert _row(queued) == (target, queued.version + 1)
    assert changed.version == queued.version + 1


@pytest.mark.parametrize("source,target", sorted(ALLOWED - UNOWNED))
def test_every_change_of_a_claimed_export_must_name_the_worker(queued, source, target):
    _in_state(queued, source)
    with pytest.raises(IllegalTransition, match="must name the worker"):
        transition(queued.pk, source, target, owner="")
    assert _row(queued) == (source, queued.version)


def test_a_cancel_before_the_claim_names_no_worker(queued):
    with pytest.raises(IllegalTransition, match="has no owner"):
        transition(queued.pk, "queued", "failed", owner="w1")
    assert _row(queued) == ("queued", queued.version)


def test_only_the_lifecycle_writes_state_and_version(queued):
    _in_state(queued, ExportState.RUNNING)
    for field in ("state", "version"):
        with pytest.raises(IllegalTransition, match="only the lifecycle"):
            transition(queued.pk, "running", "running", owner="w1", **{field: 1})
    with pytest.raises(IllegalTransition, match="always queued"):
        lifecycle.create(board=queued.board, kind=FAKE, state="ready")


def test_a_lost_race_returns_none_and_changes_nothing(queued):
    assert transition(queued.pk, "queued", "running", owner="w1") is not None
    before = _row(queued)
    assert transition(queued.pk, "queued", "running", owner="w2") is None  # claimed already
    assert transition(queued.pk, "running", "ready", owner="w2") is None  # not its worker
    assert transition(queued.pk, "running", "ready", owner="w1", where={"attempts": 9}) is None
    assert _row(queued) == before


def test_claim_requeue_and_finish_have_their_effects(queued):
    claimed = transition(queued.pk, "queued", "running", owner="w1")
    assert claimed is not None
    assert (claimed.worker_id, claimed.attempts, claimed.progress_message) == ("w1", 1, "Starting")
    assert claimed.lease_expires_at is not None and claimed.started_at is not None
    back = transition(queued.pk, "running", "queued", owner="w1")
    assert back is not None
    assert (back.worker_id, back.lease_expires_at) == ("", None)
    assert back.dispatched_at is not None and back.dispatched_at >= claimed.started_at
    transition(queued.pk, "queued", "running", owner="w2")
    done = transition(queued.pk, "running", "failed", owner="w2", error_code="x")
    assert done is not None and done.finished_at is not None and done.lease_expires_at is None
    assert (done.attempts, done.version) == (2, queued.version + 4)


def test_each_version_is_sent_to_the_requester_after_commit_only(
    queued, django_capture_on_commit_callbacks, monkeypatch
):
    sent: list[tuple[str, int]] = []
    monkeypatch.setattr(
        lifecycle.announce, "send_now", lambda export: sent.append((export.state, export.version))
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        transition(queued.pk, "queued", "running", owner="w1")
        transition(queued.pk, "running", "running", owner="w1", progress=0.5)
    assert sent == []  # nothing before commit
    for callback in callbacks:
        callback()
    # Each change's message carries the version that change wrote, not the final row twice.
    assert sent == [("running", queued.version + 1), ("running", queued.version + 2)]
