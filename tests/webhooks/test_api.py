"""The webhooks API: team admins only (members 403, everyone else the same 404 as a
missing id), the secret shown once, SSRF refusals, the delivery log and resend.

``WEBHOOK_OPERATIONS`` is this room's own permission matrix; tests/test_permission_matrix.py
leaves these operations to it.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from canvas.models import ApiToken
from canvas.webhooks import dispatch, events
from canvas.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from tests import factories

pytestmark = pytest.mark.django_db

WEBHOOK_OPERATIONS = {
    ("get", "/api/v1/teams/{team_id}/webhooks"),
    ("post", "/api/v1/teams/{team_id}/webhooks"),
    ("get", "/api/v1/webhooks/{webhook_id}"),
    ("patch", "/api/v1/webhooks/{webhook_id}"),
    ("delete", "/api/v1/webhooks/{webhook_id}"),
    ("post", "/api/v1/webhooks/{webhook_id}/secret"),
    ("get", "/api/v1/webhooks/{webhook_id}/deliveries"),
    ("post", "/api/v1/webhook-deliveries/{delivery_id}/resend"),
}


def send(client: Client, method: str, url: str, body=None):
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(url, data, content_type="application/json")


@pytest.fixture
def world(team, admin, endpoint, receiver, django_capture_on_commit_callbacks):
    """The team's admin, a plain member, an admin of another team; one delivered event."""
    member = factories.make_user("max")
    team.memberships.create(user=member, role="member")
    stranger = factories.make_user("sam")
    factories.make_team("Elsewhere", admin=stranger)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.emit(events.BATCH_COMPLETED, team, {"batch": {"id": "b1"}})
    users = {"admin": admin, "member": member, "stranger": stranger}
    return {"team": team, "endpoint": endpoint, "users": users, "receiver": receiver,
            "delivery": WebhookDelivery.objects.get()}  # fmt: skip


def client_for(world, role: str) -> Client:
    if role == "anonymous":
        return Client()
    if role == "bearer_admin":
        _, token = ApiToken.issue(world["users"]["admin"])
        return Client(headers={"Authorization": f"Bearer {token}"})
    client = Client()
    client.force_login(world["users"][role])
    return client


def call(client: Client, name: str, world):
    t, w, d = world["team"].pk, world["endpoint"].pk, world["delivery"].pk
    url = world["receiver"].url
    match name:
        case "list":
            return client.get(f"/api/v1/teams/{t}/webhooks")
        case "create":
            return send(client, "post", f"/api/v1/teams/{t}/webhooks",
                        {"url": url, "events": ["job.failed"]})  # fmt: skip
        case "get":
            return client.get(f"/api/v1/webhooks/{w}")
        case "change":
            return send(client, "patch", f"/api/v1/webhooks/{w}", {"description": "CI"})
        case "delete":
            return client.delete(f"/api/v1/webhooks/{w}")
        case "roll":
            return send(client, "post", f"/api/v1/webhooks/{w}/secret")
        case "deliveries":
            return client.get(f"/api/v1/webhooks/{w}/deliveries")
        case "resend":
            return send(client, "post", f"/api/v1/webhook-deliveries/{d}/resend")
    raise AssertionError(name)


OK = {"list": 200, "create": 201, "get": 200, "change": 200, "delete": 204, "roll": 200,
      "deliveries": 200, "resend": 201}  # fmt: skip
EXPECTED = {"admin": None, "bearer_admin": None, "member": 403, "stranger": 404, "anonymous": 401}


@pytest.mark.parametrize("name", list(OK))
@pytest.mark.parametrize("role", list(EXPECTED))
def test_only_team_admins(world, name, role, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = call(client_for(world, role), name, world)
    expected = EXPECTED[role] or OK[name]
    assert response.status_code == expected, response.content[:300]
    if expected >= 400:
        error = response.json()["error"]
        assert error["code"] and error["message"]
        if expected == 403:
            assert "member" in error["message"] and "admin" in error["message"]
        if expected == 404:
            assert "Studio" not in error["message"]
            assert WebhookEndpoint.objects.filter(pk=world["endpoint"].pk).exists()


def test_the_matrix_covers_every_webhook_operation():
    from anchorboard.api import api

    paths = api.get_openapi_schema()["paths"]
    found = {(method, path) for path, ops in paths.items() for method in ops if "webhook" in path}
    assert found == WEBHOOK_OPERATIONS
    assert len(OK) == len(WEBHOOK_OPERATIONS)


def test_the_secret_is_shown_once(world):
    admin = client_for(world, "admin")
    made = call(admin, "create", world).json()
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40
    again = admin.get(f"/api/v1/webhooks/{made['id']}").json()
    listed = admin.get(f"/api/v1/teams/{world['team'].pk}/webhooks").json()
    assert "secret" not in again and made["secret"] not in json.dumps(listed)
    assert again["secret_hint"] == f"whsec_…{made['secret'][-4:]}"
    rolled = send(admin, "post", f"/api/v1/webhooks/{made['id']}/secret").json()
    assert rolled["secret"] != made["secret"]


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/h", "https://169.254.169.254/latest", "https://10.0.0.1/h",
     "ftp://example.com/"],
)  # fmt: skip
def test_unsafe_urls_are_refused(world, settings, url):
    settings.ANCHORBOARD_WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = send(client_for(world, "admin"), "post",
                    f"/api/v1/teams/{world['team'].pk}/webhooks",
                    {"url": url, "events": ["job.failed"]})  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_url_refused"
    changed = send(client_for(world, "admin"), "patch",
                   f"/api/v1/webhooks/{world['endpoint'].pk}", {"url": url})  # fmt: skip
    assert changed.status_code == 400
    assert WebhookEndpoint.objects.count() == 1


def test_unknown_events_are_refused(world):
    response = send(client_for(world, "admin"), "post",
                    f"/api/v1/teams/{world['team'].pk}/webhooks",
                    {"url": "https://hooks.example.com/a", "events": ["job.started"]})  # fmt: skip
    assert response.status_code == 422


def test_the_delivery_log_and_resend(world, django_capture_on_commit_callbacks):
    admin = client_for(world, "admin")
    log = admin.get(f"/api/v1/webhooks/{world['endpoint'].pk}/deliveries").json()
    (first,) = log["items"]
    assert first["state"] == "delivered" and first["last_status_code"] == 200
    assert first["event"]["type"] == "batch.completed" and first["attempts"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        resent = send(admin, "post", f"/api/v1/webhook-deliveries/{first['id']}/resend").json()
    assert resent["event"]["id"] == first["event"]["id"] and resent["resend_of"] == first["id"]
    ids = [r.headers["Anchorboard-Event-Id"] for r in world["receiver"].received]
    assert ids == [first["event"]["id"]] * 2
    delivered = admin.get(
        f"/api/v1/webhooks/{world['endpoint'].pk}/deliveries?state=delivered"
    ).json()
    assert delivered["count"] == 2


def test_switched_off_endpoints_get_nothing_and_refuse_resend(world):
    admin = client_for(world, "admin")
    off = send(admin, "patch", f"/api/v1/webhooks/{world['endpoint'].pk}", {"active": False})
    assert off.json()["active"] is False
    assert dispatch.emit(events.BATCH_COMPLETED, world["team"], {"x": 1}) is None
    resend = send(admin, "post", f"/api/v1/webhook-deliveries/{world['delivery'].pk}/resend")
    assert resend.status_code == 409
    on = send(admin, "patch", f"/api/v1/webhooks/{world['endpoint'].pk}", {"active": True})
    assert on.json()["active"] is True and on.json()["disabled_reason"] == ""
    assert WebhookDelivery.objects.filter(state=DeliveryState.PENDING).count() == 0
