"""The webhooks page of a team: admins see endpoints and the delivery log, add one (the
secret shown once), resend; members are refused, outsiders get a 404."""

from __future__ import annotations

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
