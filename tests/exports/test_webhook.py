"""``export.ready`` through canvas.webhooks: sent once when an export is ready (the event's
key is the export's id, so a second ready change cannot make a second event), signed,
with the export's file facts; nothing for a failed export."""

from __future__ import annotations

import pytest

from canvas.exports import lifecycle, runner, services
from canvas.exports.models import ExportState
from canvas.webhooks import endpoints
from canvas.webhooks.models import WebhookEvent
from tests.exports.conftest import FAKE
from tests.webhooks.conftest import Clock, Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.ANCHORBOARD_WEBHOOK_ALLOW_PRIVATE_URLS = True
    r = Receiver(Clock()).start()
    yield r
    r.stop()


@pytest.fixture
def endpoint(board, owner, receiver):
    made = endpoints.create(board.team, owner, url=receiver.url, events=["export.ready"])
    receiver.secret = made.secret
    return made.endpoint


def test_a_ready_export_is_sent_once_signed_with_its_file(
    board, owner, images, fake_kind, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.request_export(board, owner, {"kind": FAKE, "items": [str(images[0].pk)]})
    assert receiver.arrived.wait(10)
    (got,) = receiver.received
    assert got.verified and got.event["type"] == "export.ready"
    data = got.event["data"]["export"]
    export.refresh_from_db()
    assert data["id"] == str(export.pk) and data["board"] == str(board.pk)
    assert data["kind"] == FAKE and data["requested_by"] == "owner"
    assert data["size"] == fake_kind.size and data["sha256"] == export.sha256
    assert data["selection"] == {"items": [str(images[0].pk)]}
    event = WebhookEvent.objects.get()
    assert event.key == f"export:{export.pk}"


def test_the_event_key_makes_it_idempotent(board, owner, images, fake_kind, endpoint):
    from canvas.webhooks import dispatch

    export = services.request_export(board, owner, {"kind": FAKE, "items": [str(images[0].pk)]})
    assert runner.run(export.pk, "h:1:w") == ExportState.READY
    from canvas.exports.payloads import webhook_data

    export.refresh_from_db()
    again = dispatch.emit(
        "export.ready",
        None,
        lambda: webhook_data(export),
        board=board.pk,
        key=f"export:{export.pk}",
    )
    assert WebhookEvent.objects.count() == 1 and again.pk == WebhookEvent.objects.get().pk


def test_a_failed_export_sends_nothing(board, owner, images, fake_kind, endpoint):
    fake_kind.fail = RuntimeError("boom")
    export = services.request_export(board, owner, {"kind": FAKE, "items": [str(images[0].pk)]})
    assert runner.run(export.pk, "h:1:w") == ExportState.FAILED
    assert not WebhookEvent.objects.exists()
    assert lifecycle.FINISHED == (ExportState.READY, ExportState.FAILED)
