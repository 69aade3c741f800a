"""An export's run and its state machine: queued → running → ready / failed, every change
versioned; recovery of an export whose worker died (never 'running' for ever); a run that
lost its lease stores nothing; lost hand-overs are handed over again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assets import storage
from canvas.exports import lifecycle, recovery, runner, services
from canvas.exports.lifecycle import IllegalTransition
from canvas.exports.models import Export, ExportState
from canvas.jobs import upkeep
from foundation.errors import AppError
from tests.exports.conftest import FAKE

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(board, owner, images, fake_kind):
    """A queued export whose run task was not started (no on-commit callbacks ran)."""
    return services.request_export(board, owner, {"kind": FAKE, "items": [str(images[0].pk)]})


def test_a_run_goes_queued_running_ready_and_bumps_the_version_each_time(queued, fake_kind):
    assert queued.state == ExportState.QUEUED and queued.version == 1
    assert runner.run(queued.pk, "host:1:w") == ExportState.READY
    export = Export.objects.get(pk=queued.pk)
    # claim + one progress write per chunk + "storing" + ready
    assert export.version == 1 + 1 + fake_kind.steps + 1 + 1
    assert export.state == ExportState.READY and export.attempts == 1
    assert export.lease_expires_at is None and export.finished_at is not None
    assert export.expires_at > timezone.now() + timedelta(days=6)
    assert storage.exists(export.file_key) and export.file_key.startswith(
        f"exports/{export.board_id}/"
    )
    assert runner.run(queued.pk, "host:1:other") is None  # a second delivery is a no-op
    assert fake_kind.calls == [str(queued.pk)]


def test_a_refusal_fails_the_export_with_its_message_and_stores_nothing(queued, fake_kind):
    fake_kind.fail = AppError("Frame too large for a PSD.", code="psd_too_large")
    assert runner.run(queued.pk, "host:1:w") == ExportState.FAILED
    export = Export.objects.get(pk=queued.pk)
    assert (export.error_code, export.error_message) == (
        "psd_too_large",
        "Frame too large for a PSD.",
    )
    assert export.file_key == "" and export.lease_expires_at is None


def test_a_crash_fails_the_export_with_a_plain_sentence(queued, fake_kind):
    fake_kind.fail = RuntimeError("boom")
    assert runner.run(queued.pk, "host:1:w") == ExportState.FAILED
    export = Export.objects.get(pk=queued.pk)
    assert export.error_code == "internal_error"
    assert "problem on the server" in export.error_message and "boom" not in export.error_message


@pytest.mark.parametrize(
    ("source", "target"),
    [("ready", "running"), ("failed", "queued"), ("queued", "ready"), ("ready", "failed")],
)
def test_transitions_outside_the_table_are_bugs(queued, source, target):
    with pytest.raises(IllegalTransition):
        lifecycle.transition(queued.pk, source, target, owner="w")


def test_finishing_needs_the_owner(queued):
    runner.claim(queued.pk, "host:1:w")
    assert lifecycle.transition(queued.pk, "running", "ready", owner="host:1:intruder") is None
    assert Export.objects.get(pk=queued.pk).state == ExportState.RUNNING


def _expire_lease(export_id):
    Export.objects.filter(pk=export_id).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_dead_workers_export_is_requeued_and_runs_again(
    queued, fake_kind, django_capture_on_commit_callbacks
):
    runner.claim(queued.pk, "elsewhere:4242:w")  # its worker then vanished
    _expire_lease(queued.pk)
    with django_capture_on_commit_callbacks(execute=True):
        upkeep.tick()  # the exports' chore runs at every worker tick
    export = Export.objects.get(pk=queued.pk)
    assert export.state == ExportState.READY and export.attempts == 2


def test_out_of_attempts_it_fails_instead_of_staying_running(queued, settings):
    for attempt in (1, 2):
        runner.claim(queued.pk, f"elsewhere:{attempt}:w")
        _expire_lease(queued.pk)
        assert recovery.recover_abandoned_exports() == [str(queued.pk)]
    export = Export.objects.get(pk=queued.pk)
    assert export.state == ExportState.FAILED and export.error_code == "interrupted"
    assert "interrupted 2 times" in export.error_message


def test_a_live_lease_is_left_alone_but_a_dead_local_process_is_recovered_at_once(queued):
    from foundation.leased_work import host_name, worker_name

    runner.claim(queued.pk, worker_name("live"))  # this process: alive
    assert recovery.recover_abandoned_exports() == []
    Export.objects.filter(pk=queued.pk).update(worker_id=f"{host_name()}:999999999:w")
    assert recovery.recover_abandoned_exports() == [str(queued.pk)]
    assert Export.objects.get(pk=queued.pk).state == ExportState.QUEUED


def test_a_run_that_lost_its_lease_stops_and_stores_nothing(queued, fake_kind):
    def recovered_meanwhile(export):
        _expire_lease(export.pk)
        assert recovery.recover_abandoned_exports() == [str(export.pk)]

    fake_kind.during = recovered_meanwhile
    assert runner.run(queued.pk, "host:1:slow") is None
    export = Export.objects.get(pk=queued.pk)
    assert export.state == ExportState.QUEUED and export.file_key == ""
    assert not storage.exists(runner.file_key(export, f"board-{str(export.pk)[:8]}.pdf"))


def test_a_lost_hand_over_is_handed_over_again(
    queued, fake_kind, django_capture_on_commit_callbacks
):
    assert recovery.hand_over_lost() == []  # just queued: its task may still be on its way
    from canvas.jobs import config as job_config

    long_ago = timezone.now() - timedelta(seconds=job_config.lease_seconds() + 1)
    Export.objects.filter(pk=queued.pk).update(dispatched_at=long_ago)
    assert recovery.hand_over_lost() == [str(queued.pk)]  # inline dispatcher: ran at once
    assert Export.objects.get(pk=queued.pk).state == ExportState.READY
    assert recovery.hand_over_lost() == []
