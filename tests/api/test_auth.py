"""Tokens: issue, use, revoke; the browser session with CSRF; login throttling."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory

from canvas.models import ApiToken
from canvas.models.tokens import hash_token
from foundation import config, knobs
from tests.api.helpers import assert_error

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"


def post_json(client: Client, url: str, data, **kwargs):
    return client.post(url, json.dumps(data), content_type="application/json", **kwargs)


def test_issue_token_returns_a_token_whose_hash_is_stored(alice, password):
    response = post_json(Client(), TOKEN_URL, {"username": "alice", "password": password})
    assert response.status_code == 201
    token = response.json()["token"]
    assert token.startswith("ab_")
    row = ApiToken.objects.get(user=alice)
    assert row.key_hash == hash_token(token)
    assert token not in row.key_hash


@pytest.mark.parametrize(
    "username,password",
    [("alice", "wrong password"), ("nobody", "correct horse battery staple")],
)
def test_wrong_credentials_are_401_without_saying_which_part_was_wrong(alice, username, password):
    response = post_json(Client(), TOKEN_URL, {"username": username, "password": password})
    error = assert_error(response, 401, "invalid_credentials")
    assert "do not match" in error["message"]
    assert not ApiToken.objects.exists()


def test_unknown_user_and_wrong_password_get_identical_answers(alice):
    wrong_password = post_json(Client(), TOKEN_URL, {"username": "alice", "password": "x"})
    unknown_user = post_json(Client(), TOKEN_URL, {"username": "zed", "password": "x"})
    assert wrong_password.status_code == unknown_user.status_code
    assert wrong_password.json() == unknown_user.json()


def test_inactive_user_gets_no_token(alice, password):
    alice.is_active = False
    alice.save()
    response = post_json(Client(), TOKEN_URL, {"username": "alice", "password": password})
    assert_error(response, 401, "invalid_credentials")


def test_missing_password_is_a_validation_error_naming_the_field():
    response = post_json(Client(), TOKEN_URL, {"username": "alice"})
    error = assert_error(response, 422, "invalid_request")
    assert "“password”" in error["message"]


def test_repeated_failures_are_throttled_even_for_the_right_password(alice, password, settings):
    client = Client()
    for _ in range(config.read(knobs.PASSWORD_FREE_FAILURES) + 1):
        assert_error(post_json(client, TOKEN_URL, {"username": "alice", "password": "no"}), 401)
    response = post_json(client, TOKEN_URL, {"username": "alice", "password": password})
    error = assert_error(response, 429, "too_many_attempts")
    assert response["Retry-After"] == str(config.read(knobs.PASSWORD_BASE_DELAY_SECONDS))
    assert "Wait 30 seconds" in error["message"]
    assert not ApiToken.objects.exists()


def test_guessers_at_other_addresses_do_not_lock_the_account_out(alice, password):
    """Many addresses failing (a NAT, or a botnet) never stop the owner's right password."""
    for i in range(10):
        for _ in range(8):
            post_json(
                Client(REMOTE_ADDR=f"10.0.0.{i}"),
                TOKEN_URL,
                {"username": "alice", "password": "no"},
            )
    response = post_json(
        Client(REMOTE_ADDR="10.0.1.1"), TOKEN_URL, {"username": "alice", "password": password}
    )
    assert response.status_code == 201


def test_bearer_token_authenticates_and_records_last_use(alice, bearer):
    client = bearer(alice)
    row = ApiToken.objects.get(user=alice)
    assert row.last_used_at is None
    assert client.get("/api/v1/boards").status_code == 200
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_unknown_token_is_401_and_does_not_fall_back_to_the_session(alice, password):
    client = Client(headers={"Authorization": "Bearer ab_not-a-real-token"})
    assert client.login(username="alice", password=password)
    assert_error(client.get("/api/v1/boards"), 401, "invalid_token")


def test_token_of_deactivated_user_stops_working(alice, bearer):
    client = bearer(alice)
    alice.is_active = False
    alice.save()
    assert_error(client.get("/api/v1/boards"), 401, "invalid_token")


def test_no_credentials_is_401(db):
    response = Client().get("/api/v1/boards")
    error = assert_error(response, 401, "not_authenticated")
    assert "Bearer" in error["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Cache-Control"] == "no-store"


def test_revoke_deletes_only_the_current_token(alice, bearer):
    client = bearer(alice)
    other = bearer(alice)
    assert ApiToken.objects.filter(user=alice).count() == 2
    assert client.delete(TOKEN_URL).status_code == 204
    assert ApiToken.objects.filter(user=alice).count() == 1
    assert_error(client.get("/api/v1/boards"), 401, "invalid_token")
    assert other.get("/api/v1/boards").status_code == 200


def test_revoke_needs_a_token_not_a_session(alice, password):
    client = Client()
    client.login(username="alice", password=password)
    assert_error(client.delete(TOKEN_URL), 401)


def test_full_cycle_issue_use_revoke(alice, password):
    token = post_json(Client(), TOKEN_URL, {"username": "alice", "password": password}).json()[
        "token"
    ]
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/v1/boards").status_code == 200
    assert client.delete(TOKEN_URL).status_code == 204
    assert_error(client.get("/api/v1/boards"), 401, "invalid_token")


# --- Browser session ------------------------------------------------------------------------


@pytest.fixture
def session_client(alice, password) -> Client:
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="alice", password=password)
    return client


def csrf_token(client: Client) -> str:
    """Give the client a CSRF cookie, as the canvas page would, and return the header value."""
    request = RequestFactory().get("/")
    token = get_token(request)
    client.cookies[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    return token


def test_session_can_read_without_csrf(session_client):
    assert session_client.get("/api/v1/boards").status_code == 200


def test_session_write_without_csrf_token_is_refused(session_client, team):
    response = post_json(session_client, "/api/v1/boards", {"name": "New"})
    error = assert_error(response, 403, "csrf_failed")
    assert "CSRF" in error["message"]


def test_session_write_with_csrf_token_succeeds(session_client, team):
    token = csrf_token(session_client)
    response = post_json(session_client, "/api/v1/boards", {"name": "New"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201
    assert response.json()["name"] == "New"


def test_bearer_writes_need_no_csrf(alice, bearer, team):
    client = bearer(alice, enforce_csrf_checks=True)
    assert post_json(client, "/api/v1/boards", {"name": "Scripted"}).status_code == 201


def test_anonymous_write_is_401_not_a_csrf_failure(db):
    client = Client(enforce_csrf_checks=True)
    assert_error(post_json(client, "/api/v1/boards", {"name": "x"}), 401, "not_authenticated")


def test_token_endpoint_works_without_csrf(alice, password):
    client = Client(enforce_csrf_checks=True)
    response = post_json(client, TOKEN_URL, {"username": "alice", "password": password})
    assert response.status_code == 201
