"""The password throttle on every place a password is typed, through real HTTP requests.

Entry points: ``/login/``, ``/admin/login/``, ``POST /api/v1/auth/token``, ``/password/``,
``/admin/password_change/``, the share-link password page and the guest API's unlock.
Each is driven through the same rules: refused after the free failures (even with the right
password) with a 429, ``Retry-After`` and the wait in words; delays that grow and end;
reset by a right password; and the lockout-abuse case: guessers at several addresses
never keep the real user (right password, fresh address) out. The shared-cache mode runs
the main cases against real Redis. The clock is a fake one: nothing sleeps.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpResponse
from django.test import Client

from canvas.sharing import links
from foundation import password_throttle
from tests import factories
from tests.test_password_throttle import FakeClock

pytestmark = pytest.mark.django_db

FREE = 2
BASE = 30
CAP = 120
RIGHT = factories.PASSWORD
WRONG = "not the password at all"
ATTACKERS = ("192.0.2.11", "192.0.2.12", "192.0.2.13")
FRESH = "203.0.113.50"


@dataclass
class Entry:
    """One password entry point: ``send(address, password, subject)`` → response."""

    name: str
    send: Callable[[str, str, str], HttpResponse]
    ok: int
    subjects: tuple[str, str]  # the target, and another account or link
    is_api: bool = False

    def attempt(self, address: str, password: str, other: bool = False) -> HttpResponse:
        return self.send(address, password, self.subjects[1 if other else 0])


def _post_json(client: Client, url: str, data: dict) -> HttpResponse:
    return client.post(url, data=json.dumps(data), content_type="application/json")


def make_users() -> dict:
    users = {n: factories.make_user(n) for n in ("ana", "bo")}
    for user in users.values():
        user.is_staff = True  # so the admin pages are entry points for them too
        user.save(update_fields=["is_staff"])
    return users


def build_entry(name: str, users: dict) -> Entry:
    def logged_in(address: str, username: str) -> Client:
        client = Client(REMOTE_ADDR=address)
        users[username].refresh_from_db()  # a changed password changes the session hash
        client.force_login(users[username])
        return client

    change = {"new_password1": RIGHT, "new_password2": RIGHT}
    if name == "login":
        return Entry(
            name,
            lambda a, p, s: Client(REMOTE_ADDR=a).post("/login/", {"username": s, "password": p}),
            302,
            ("ana", "bo"),
        )
    if name == "admin_login":
        return Entry(
            name,
            lambda a, p, s: Client(REMOTE_ADDR=a).post(
                "/admin/login/?next=/admin/", {"username": s, "password": p}
            ),
            302,
            ("ana", "bo"),
        )
    if name == "api_token":
        return Entry(
            name,
            lambda a, p, s: _post_json(
                Client(REMOTE_ADDR=a), "/api/v1/auth/token", {"username": s, "password": p}
            ),
            201,
            ("ana", "bo"),
            is_api=True,
        )
    if name == "password_change":
        return Entry(
            name,
            lambda a, p, s: logged_in(a, s).post("/password/", {"old_password": p, **change}),
            302,
            ("ana", "bo"),
        )
    if name == "admin_password_change":
        return Entry(
            name,
            lambda a, p, s: logged_in(a, s).post(
                "/admin/password_change/", {"old_password": p, **change}
            ),
            302,
            ("ana", "bo"),
        )
    board = factories.make_board(owner=users["ana"], name="Shared")
    tokens = [links.create_link(board, users["ana"], password=RIGHT)[1] for _ in range(2)]
    if name == "share_page":
        return Entry(
            name,
            lambda a, p, s: Client(REMOTE_ADDR=a).post(f"/s/{s}/unlock/", {"password": p}),
            302,
            (tokens[0], tokens[1]),
        )
    assert name == "share_api"
    return Entry(
        name,
        lambda a, p, s: _post_json(
            Client(REMOTE_ADDR=a), f"/api/v1/share/{s}/unlock", {"password": p}
        ),
        200,
        (tokens[0], tokens[1]),
        is_api=True,
    )


ENTRY_NAMES = [
    "login",
    "admin_login",
    "api_token",
    "password_change",
    "admin_password_change",
    "share_page",
    "share_api",
]


@pytest.fixture(autouse=True)
def policy(settings):
    settings.ANCHORBOARD_PASSWORD_FREE_FAILURES = FREE
    settings.ANCHORBOARD_PASSWORD_BASE_DELAY_SECONDS = BASE
    settings.ANCHORBOARD_PASSWORD_MAX_DELAY_SECONDS = CAP
    settings.ANCHORBOARD_PASSWORD_ATTACK_FAILURES = 6
    clear_local_cache()
    yield
    clear_local_cache()


def clear_local_cache() -> None:
    """Empty the per-process cache; never FLUSHDB a Redis that other tests share."""
    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    for throttle in (password_throttle.accounts, password_throttle.share_links):
        monkeypatch.setattr(throttle, "clock", fake)
    return fake


@pytest.fixture
def shared_redis_cache(settings, redis_url):
    """The deployment's shared-cache mode: the default cache is real Redis (random prefix)."""
    import redis

    prefix = f"test-entry-{secrets.token_hex(6)}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
        }
    }
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.fixture(params=["locmem", "redis"])
def cache_mode(request):
    if request.param == "redis":
        request.getfixturevalue("shared_redis_cache")
    return request.param


@pytest.fixture(params=ENTRY_NAMES)
def entry(request, db) -> Entry:
    return build_entry(request.param, make_users())


def assert_throttled(entry: Entry, response: HttpResponse, wait: int) -> None:
    assert response.status_code == 429, (entry.name, response.status_code)
    assert response["Retry-After"] == str(wait)
    words = f"Wait {password_throttle.Throttled(wait).wait_text()}"
    if entry.is_api:
        error = response.json()["error"]
        assert error["code"] == "too_many_attempts"
        assert words in error["message"]
    else:
        assert words in response.content.decode()


def fail(entry: Entry, address: str, times: int) -> None:
    for _ in range(times):
        response = entry.attempt(address, WRONG)
        assert response.status_code in (200, 401), (entry.name, response.status_code)


def test_right_password_gets_in(entry, clock):
    assert entry.attempt(FRESH, RIGHT).status_code == entry.ok


def test_after_the_free_failures_even_the_right_password_waits(entry, clock, cache_mode):
    fail(entry, ATTACKERS[0], FREE + 1)
    assert_throttled(entry, entry.attempt(ATTACKERS[0], RIGHT), BASE)
    clock.advance(BASE - 5)
    assert_throttled(entry, entry.attempt(ATTACKERS[0], RIGHT), 5)
    clock.advance(5)
    assert entry.attempt(ATTACKERS[0], RIGHT).status_code == entry.ok


def test_guessers_at_other_addresses_never_keep_the_real_user_out(entry, clock, cache_mode):
    for address in ATTACKERS:
        for _ in range(FREE + 3):
            clock.advance(CAP)  # the guessers wait out every delay; it only grows
            fail(entry, address, 1)
        assert entry.attempt(address, RIGHT).status_code == 429
    # Right password from an address that has not failed: in at once, nothing to wait.
    assert entry.attempt(FRESH, RIGHT).status_code == entry.ok
    # One office behind one address: the guessers' address still reaches other accounts
    # (or links) at once.
    assert entry.attempt(ATTACKERS[0], RIGHT, other=True).status_code == entry.ok


def test_delays_grow_up_to_the_cap(entry, clock):
    fail(entry, ATTACKERS[0], FREE)
    waits = []
    for _ in range(4):
        fail(entry, ATTACKERS[0], 1)
        response = entry.attempt(ATTACKERS[0], WRONG)
        assert response.status_code == 429
        waits.append(int(response["Retry-After"]))
        clock.advance(waits[-1])
    assert waits == [BASE, 2 * BASE, 4 * BASE, CAP]


def test_right_password_resets_the_count(entry, clock):
    fail(entry, ATTACKERS[0], FREE)
    assert entry.attempt(ATTACKERS[0], RIGHT).status_code == entry.ok
    fail(entry, ATTACKERS[0], FREE)  # free again after the reset
    assert entry.attempt(ATTACKERS[0], RIGHT).status_code == entry.ok


def test_account_guesses_count_the_same_on_every_account_entry_point(db, clock):
    """Spreading guesses over the login page, the admin and the API does not buy more."""
    users = make_users()
    login, admin_login, api_token = (
        build_entry(name, users) for name in ("login", "admin_login", "api_token")
    )
    login.attempt(ATTACKERS[0], WRONG)
    admin_login.attempt(ATTACKERS[0], WRONG)
    api_token.attempt(ATTACKERS[0], WRONG)  # the third failure: FREE is 2
    assert_throttled(login, login.attempt(ATTACKERS[0], RIGHT), BASE)
    assert_throttled(api_token, api_token.attempt(ATTACKERS[0], RIGHT), BASE)
