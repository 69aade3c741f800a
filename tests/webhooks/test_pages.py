"""The webhooks page of a team: admins see endpoints and the delivery log, add one (the
secret shown once), resend; members are refused, outsiders get a 404."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from canvas.webhooks import dispatch, events
from canvas.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests import factories

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def delivered(team, endpoint, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.emit(events.BATCH_COMPLETED, team, {"batch": {"id": "b1"}})
    return WebhookDelivery.objects.get()


def test_admins_see_endpoints_and_the_delivery_log(team, admin, endpoint, delivered):
    page = signed_in(admin).get(f"/teams/{team.pk}/webhooks/")
    assert page.status_code == 200
    html = page.content.decode()
    assert endpoint.url in html and str(delivered.event_id) in html
    assert f"/webhook-deliveries/{delivered.pk}/resend/" in html
    assert endpoint.secret not in html  # only the hint
    assert endpoint.secret_hint in html


def test_members_and_outsiders_are_refused(team, endpoint):
    member = factories.make_user("max")
    team.memberships.create(user=member, role="member")
    assert signed_in(member).get(f"/teams/{team.pk}/webhooks/").status_code == 403
    outsider = factories.make_user("sam")
    assert signed_in(outsider).get(f"/teams/{team.pk}/webhooks/").status_code == 404
    refused = signed_in(outsider).post(f"/webhooks/{endpoint.pk}/delete/")
    assert refused.status_code == 404 and WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_adding_shows_the_secret_once(team, admin, receiver):
    client = signed_in(admin)
    made = client.post(
        f"/teams/{team.pk}/webhooks/add/",
        {"url": receiver.url, "description": "CI", "events": ["job.succeeded", "review.decided"]},
    )
    assert made.status_code == 201
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["job.succeeded", "review.decided"]
    assert endpoint.secret in made.content.decode()
    assert endpoint.secret not in client.get(f"/teams/{team.pk}/webhooks/").content.decode()


def test_a_refused_url_shows_the_reason(team, admin, settings):
    settings.ANCHORBOARD_WEBHOOK_ALLOW_PRIVATE_URLS = False
    page = signed_in(admin).post(
        f"/teams/{team.pk}/webhooks/add/",
        {"url": "https://169.254.169.254/latest", "events": ["job.failed"]},
    )
    assert page.status_code == 400
    assert "link-local" in page.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_resend_sends_the_event_again(
    team, admin, endpoint, delivered, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = signed_in(admin).post(f"/webhook-deliveries/{delivered.pk}/resend/")
    assert answer.status_code == 302
    _, again = receiver.received
    assert again.headers["Anchorboard-Event-Id"] == str(delivered.event_id) and again.duplicate


def test_switch_off_roll_and_delete(team, admin, endpoint):
    client = signed_in(admin)
    client.post(f"/webhooks/{endpoint.pk}/toggle/")
    endpoint.refresh_from_db()
    assert not endpoint.active
    old = endpoint.secret
    rolled = client.post(f"/webhooks/{endpoint.pk}/secret/")
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in rolled.content.decode()
    assert client.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_the_team_page_links_to_webhooks_for_admins_only(team, admin):
    link = f"/teams/{team.pk}/webhooks/"
    assert link in signed_in(admin).get(f"/teams/{team.pk}/").content.decode()
    member = factories.make_user("max")
    team.memberships.create(user=member, role="member")
    assert link not in signed_in(member).get(f"/teams/{team.pk}/").content.decode()


def test_the_form_offers_every_event_and_labels_those_not_sent_yet(team, admin, monkeypatch):
    """Every event type is offered, in the documented order; one that nothing emits yet
    carries its label, the others none."""
    monkeypatch.setattr(events, "NOT_SENT_YET", {events.EXPORT_READY: "when exports ship"})
    html = signed_in(admin).get(f"/teams/{team.pk}/webhooks/").content.decode()
    offered = re.findall(r'name="events" value="([^"]+)"[^>]*>(.*?)</label>', html, re.S)
    assert [name for name, _ in offered] == list(events.EVENT_TYPES)
    assert len(offered) == 5
    labels = {name: re.findall(r'class="not-sent-yet">\(([^)]*)\)', text) for name, text in offered}
    assert labels == {
        "job.succeeded": [],
        "job.failed": [],
        "batch.completed": [],
        "review.decided": [],
        "export.ready": ["when exports ship"],
    }


def test_today_every_event_is_sent_so_none_is_labelled(team, admin):
    html = signed_in(admin).get(f"/teams/{team.pk}/webhooks/").content.decode()
    assert html.count('name="events"') == len(events.EVENT_TYPES)
    assert "not-sent-yet" not in html


def test_an_event_is_labelled_not_sent_yet_exactly_while_nothing_emits_it():
    """The label goes in the change that adds the emitter. An event counts as emitted when
    code other than its declaration (events.py) and the API's list of names (api.py) names
    it, as ``events.BATCH_COMPLETED`` or ``"batch.completed"`` (docs/webhooks.md)."""
    root = Path(__file__).resolve().parents[2]
    declared = {root / "canvas/webhooks/events.py", root / "canvas/webhooks/api.py"}
    source = "\n".join(
        path.read_text()
        for folder in ("canvas", "assets")
        for path in sorted((root / folder).rglob("*.py"))
        if "migrations" not in path.parts and path not in declared
    )
    constants = {value: name for name, value in vars(events).items() if isinstance(value, str)}
    for event_type in events.EVENT_TYPES:
        named = f"events.{constants[event_type]}" in source or f'"{event_type}"' in source
        assert named != (event_type in events.NOT_SENT_YET), event_type
