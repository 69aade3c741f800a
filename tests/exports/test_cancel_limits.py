"""Cancelling an export (API and page), the per-user cap on exports queued or running, and
the run's time limit: a cancelled or timed-out run stops at its next progress step and
leaves no file behind (neither the temporary file nor anything in storage)."""

from __future__ import annotations

import os
import tempfile

import pytest

from assets import storage
from canvas.exports import runner, services
from canvas.exports.models import Export, ExportState
from canvas.models import BoardMember, Role
from tests import factories
from tests.exports.conftest import FAKE, client_for

pytestmark = pytest.mark.django_db


def _ask(board, user, images):
    return services.request_export(board, user, {"kind": FAKE, "items": [str(images[0].pk)]})


@pytest.fixture(autouse=True)
def own_temporary_folder(tmp_path, monkeypatch):
    """Each test lists a temporary folder of its own: another test worker's export files in
    the machine-wide one would otherwise come and go while a test compares listings (the
    time-limit test failed that way on PostgreSQL in a full run)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def _temporary_files() -> set[str]:
    return {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("anchorboard-export-")}


def test_cancelling_a_queued_export_through_the_api(board, owner, images, fake_kind):
    export = _ask(board, owner, images)
    answer = client_for(owner).post(f"/api/v1/exports/{export.pk}/cancel")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["state"] == "failed" and body["error"]["code"] == "export_cancelled"
    assert body["error"]["message"] == "Cancelled by owner."
    assert runner.run(export.pk, "host:1:w") is None  # nothing left to claim
    assert fake_kind.calls == []
    again = client_for(owner).post(f"/api/v1/exports/{export.pk}/cancel")
    assert again.status_code == 409 and again.json()["error"]["code"] == "export_finished"


def test_a_running_export_stops_at_its_next_step_and_deletes_its_partial_file(
    board, owner, images, fake_kind
):
    export = _ask(board, owner, images)
    seen: dict[str, object] = {}

    def cancel_half_way(running):
        seen["temporary"] = _temporary_files()
        seen["cancelled"] = services.cancel_export(running, owner)

    fake_kind.during = cancel_half_way
    before = _temporary_files()
    assert runner.run(export.pk, "host:1:w") is None
    assert seen["temporary"] - before  # the partial file existed while it ran
    assert _temporary_files() == before  # and is gone
    row = Export.objects.get(pk=export.pk)
    assert row.state == ExportState.FAILED and row.error_code == "export_cancelled"
    assert row.file_key == "" and not storage.exists(f"exports/{board.pk}/{export.pk}")
    assert row.progress < 1.0  # it stopped before the remaining steps were reported


def test_only_the_requester_or_the_owner_may_cancel(board, owner, viewer, images, fake_kind):
    export = _ask(board, viewer, images)
    editor = factories.make_user("editor")
    BoardMember.objects.create(board=board, user=editor, role=Role.EDITOR)
    refused = client_for(editor).post(f"/api/v1/exports/{export.pk}/cancel")
    assert refused.status_code == 403
    stranger = factories.make_user("stranger")
    assert client_for(stranger).post(f"/api/v1/exports/{export.pk}/cancel").status_code == 404
    assert Export.objects.get(pk=export.pk).state == ExportState.QUEUED
    assert client_for(owner).post(f"/api/v1/exports/{export.pk}/cancel").status_code == 200


def test_the_page_offers_cancel_and_cancels(board, owner, images, fake_kind):
    export = _ask(board, owner, images)
    client = client_for(owner)
    page = client.get(f"/boards/{board.pk}/exports/").content.decode()
    assert 'data-testid="export-cancel"' in page
    answer = client.post(f"/boards/{board.pk}/exports/{export.pk}/cancel/", follow=True)
    assert "Export cancelled." in answer.content.decode()
    assert Export.objects.get(pk=export.pk).error_code == "export_cancelled"
    assert (
        'data-testid="export-cancel"'
        not in client.get(f"/boards/{board.pk}/exports/").content.decode()
    )


def test_a_person_may_have_at_most_the_cap_of_exports_running(
    board, owner, viewer, images, fake_kind, settings
):
    settings.ANCHORBOARD_EXPORT_USER_CONCURRENCY = 2
    first = _ask(board, owner, images)
    _ask(board, owner, images)
    answer = client_for(owner).post(
        f"/api/v1/boards/{board.pk}/exports",
        {"kind": FAKE, "items": [str(images[0].pk)]},
        content_type="application/json",
    )
    assert answer.status_code == 429
    assert answer.json()["error"] == {
        "code": "too_many_exports",
        "message": "You already have 2 exports running; wait for one to finish, or cancel one, "
        "before starting another.",
    }
    _ask(board, viewer, images)  # someone else's count is their own
    services.cancel_export(first, owner)  # one ended: room for one more
    _ask(board, owner, images)
    assert Export.objects.filter(requested_by=owner).count() == 3


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_run_past_the_time_limit_fails_with_a_clear_error(
    board, owner, images, fake_kind, settings, monkeypatch
):
    settings.ANCHORBOARD_EXPORT_TIME_LIMIT_SECONDS = 600
    clock = Clock()
    monkeypatch.setattr(runner, "clock", clock)
    export = _ask(board, owner, images)

    def much_later(_export):
        clock.now += 601

    fake_kind.during = much_later
    before = _temporary_files()
    assert runner.run(export.pk, "host:1:w") == ExportState.FAILED
    row = Export.objects.get(pk=export.pk)
    assert row.error_code == "export_timed_out"
    assert row.error_message.startswith("The export took longer than 10 minutes")
    assert row.file_key == "" and _temporary_files() == before


def test_the_heartbeat_fails_a_run_stuck_past_the_limit(
    board, owner, images, settings, monkeypatch, fake_kind
):
    settings.ANCHORBOARD_EXPORT_TIME_LIMIT_SECONDS = 60
    clock = Clock()
    monkeypatch.setattr(runner, "clock", clock)
    export = _ask(board, owner, images)
    running = runner.claim(export.pk, "host:1:w")
    progress = runner.ExportProgress(running, "host:1:w")
    assert progress.beat() is True  # within the limit: the lease is renewed
    clock.now += 61
    assert progress.beat() is False
    row = Export.objects.get(pk=export.pk)
    assert (row.state, row.error_code) == (ExportState.FAILED, "export_timed_out")
    assert "60 seconds" in row.error_message
    with pytest.raises(runner.LeaseLost):  # the writer stops at its next step
        progress(0.5, "more")
