"""The password throttle's rule, on its own: delays, keys, reset, attack mode, logging.

Each test drives a ``PasswordThrottle`` with a fake clock (no sleeps) and its own cache:
a private LocMemCache, or real Redis with a random key prefix (the shared-cache mode of a
deployment with several server processes). The entry points are tested in
tests/web/test_password_entry_points.py.
"""

from __future__ import annotations

import logging
import secrets
import socket

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

from foundation.password_throttle import LOG_LINES_PER_MINUTE, PasswordThrottle, Policy, Throttled

POLICY = Policy(free_failures=3, base_delay=10, max_delay=60, forget_after=3600, attack_failures=8)
OWNER_ADDRESS = "203.0.113.7"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def redis_cache(redis_url):
    """A RedisCache on the test Redis under a random prefix; its keys are deleted after."""
    prefix = f"test-throttle-{secrets.token_hex(6)}"
    cache = RedisCache(redis_url, {"KEY_PREFIX": prefix})
    yield cache
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request):
    """Every rule holds on the per-process cache and on shared Redis alike."""
    if request.param == "locmem":
        return LocMemCache(f"throttle-{secrets.token_hex(4)}", {})
    return request.getfixturevalue("redis_cache")


@pytest.fixture
def throttle(shared_cache, clock) -> PasswordThrottle:
    return PasswordThrottle("account", policy=POLICY, cache=shared_cache, clock=clock)


def guess(throttle: PasswordThrottle, address: str, subject: str, right: bool) -> bool:
    """One attempt; True if it was let through (whatever the password), False if refused."""
    try:
        with throttle.attempt_from(address, subject) as attempt:
            attempt.succeeded() if right else attempt.failed()
    except Throttled:
        return False
    return True


def test_free_failures_then_growing_delays_up_to_the_cap(throttle, clock):
    for _ in range(POLICY.free_failures):
        assert guess(throttle, "198.51.100.1", "ana", right=False)
    assert throttle.retry_after("198.51.100.1", "ana") == 0
    waits = []
    for _ in range(5):
        assert guess(throttle, "198.51.100.1", "ana", right=False)
        wait = throttle.retry_after("198.51.100.1", "ana")
        waits.append(wait)
        # Still waiting a second before the end, even with the right password.
        clock.advance(wait - 1)
        assert not guess(throttle, "198.51.100.1", "ana", right=True)
        clock.advance(1)
    assert waits == [10, 20, 40, 60, 60]


def test_refusal_says_how_long_to_wait(throttle, clock):
    for _ in range(POLICY.free_failures + 1):
        guess(throttle, "198.51.100.1", "ana", right=False)
    clock.advance(4)
    with pytest.raises(Throttled) as refused, throttle.attempt_from("198.51.100.1", "ana"):
        pass
    assert refused.value.retry_after == 6
    assert refused.value.wait_text() == "6 seconds"
    assert Throttled(600).wait_text() == "about 10 minutes"


def test_right_password_resets_the_pair(throttle, clock):
    for _ in range(POLICY.free_failures + 1):
        guess(throttle, "198.51.100.1", "ana", right=False)
    clock.advance(10)
    assert guess(throttle, "198.51.100.1", "ana", right=True)
    # The count starts again: the free failures are free again.
    for _ in range(POLICY.free_failures):
        assert guess(throttle, "198.51.100.1", "ana", right=False)
    assert throttle.retry_after("198.51.100.1", "ana") == 0


def test_guessers_elsewhere_never_block_the_owner(throttle, clock):
    """Lockout abuse: three addresses fail far past every limit, the owner is not slowed."""
    for attacker in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        for _ in range(POLICY.free_failures + 4):
            clock.advance(60)  # the attackers wait out each delay; it only grows
            assert guess(throttle, attacker, "ana", right=False)
        assert throttle.retry_after(attacker, "ana") > 0
    assert guess(throttle, OWNER_ADDRESS, "ana", right=True)


def test_an_office_behind_one_address_is_not_blocked_by_one_guesser(throttle):
    """NAT: one person guessing at one account slows only that account from that address."""
    for _ in range(POLICY.free_failures + 2):
        guess(throttle, "198.51.100.9", "mallory-target", right=False)
    assert not guess(throttle, "198.51.100.9", "mallory-target", right=True)
    assert guess(throttle, "198.51.100.9", "colleague", right=True)


def test_a_subject_under_attack_gives_no_free_failures_but_lets_the_owner_in(throttle, clock):
    # A botnet brings a fresh address for every guess: each pair alone never reaches a delay.
    for bot in range(POLICY.attack_failures):
        guess(throttle, f"10.9.{bot // 250}.{bot % 250}", "ana", right=False)
    assert guess(throttle, "10.8.0.1", "ana", right=False)
    assert throttle.retry_after("10.8.0.1", "ana") == POLICY.base_delay  # no free failure
    # The owner from an address that has not failed gets in at once.
    assert guess(throttle, OWNER_ADDRESS, "ana", right=True)
    # Even an owner who mistypes once only waits the base delay, never a lockout.
    assert guess(throttle, "203.0.113.8", "ana", right=False)
    clock.advance(POLICY.base_delay)
    assert guess(throttle, "203.0.113.8", "ana", right=True)


def test_usernames_are_counted_case_insensitively(throttle):
    for name in ("Ana", "ANA", "ana ", "aNa"):
        guess(throttle, "198.51.100.1", name, right=False)
    assert not guess(throttle, "198.51.100.1", "ana", right=True)


def test_ipv6_clients_count_as_their_slash_64(throttle):
    for host in range(POLICY.free_failures + 1):
        guess(throttle, f"2001:db8:1:2::{host + 1:x}", "ana", right=False)
    assert not guess(throttle, "2001:db8:1:2::ffff", "ana", right=True)
    assert guess(throttle, "2001:db8:1:3::1", "ana", right=True)


def test_parallel_attempts_of_one_pair_are_checked_one_at_a_time(throttle):
    with throttle.attempt_from("198.51.100.1", "ana") as first:
        with pytest.raises(Throttled) as second, throttle.attempt_from("198.51.100.1", "ana"):
            pass
        assert second.value.in_progress
        # Another pair is not held up.
        assert guess(throttle, "198.51.100.2", "ana", right=True)
        first.failed()
    assert guess(throttle, "198.51.100.1", "ana", right=True)


def test_an_error_inside_the_check_counts_as_no_guess(throttle):
    for _ in range(POLICY.free_failures + 3):
        with pytest.raises(RuntimeError), throttle.attempt_from("198.51.100.1", "ana"):
            raise RuntimeError("database went away")
    assert throttle.retry_after("198.51.100.1", "ana") == 0
    assert guess(throttle, "198.51.100.1", "ana", right=True)


def test_scopes_do_not_share_counters(shared_cache, clock):
    accounts = PasswordThrottle("account", policy=POLICY, cache=shared_cache, clock=clock)
    links = PasswordThrottle("share-link", policy=POLICY, cache=shared_cache, clock=clock)
    for _ in range(POLICY.free_failures + 1):
        guess(accounts, "198.51.100.1", "same-name", right=False)
    assert guess(links, "198.51.100.1", "same-name", right=True)


def test_throttling_is_logged_at_warning_once_per_minute_without_secrets(throttle, caplog):
    caplog.set_level(logging.INFO, logger="foundation.password_throttle")
    for _ in range(POLICY.free_failures + 1):
        guess(throttle, "198.51.100.1", "ana.secret@example.test", right=False)
    for _ in range(20):
        guess(throttle, "198.51.100.1", "ana.secret@example.test", right=True)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    text = warnings[0].getMessage()
    assert "198.51.100.1" in text and "next attempt in 10s" in text
    assert "ana.secret" not in caplog.text  # the typed username is never logged


def test_a_botnet_or_a_username_spray_cannot_flood_the_log(throttle, caplog):
    caplog.set_level(logging.WARNING, logger="foundation.password_throttle")
    # A fresh address for every guess at one account (attack mode: each failure throttles).
    for bot in range(3 * POLICY.attack_failures):
        guess(throttle, f"10.9.{bot // 250}.{bot % 250}", "ana", right=False)
    assert len(caplog.records) == 1
    caplog.clear()
    # One address trying many usernames past their free failures.
    for user in range(60):
        for _ in range(POLICY.free_failures + 2):
            guess(throttle, "198.51.100.1", f"user{user}", right=False)
    # The minute's allowance (one line went to the botnet above), then one "not logged".
    assert len(caplog.records) == (LOG_LINES_PER_MINUTE - 1) + 1
    assert "not logged" in caplog.records[-1].getMessage()


def test_redis_counters_are_shared_between_processes(redis_url, redis_cache, clock):
    """Two server processes = two cache clients on one Redis: a guess counts on both."""
    other_process_cache = RedisCache(redis_url, {"KEY_PREFIX": redis_cache.key_prefix})
    web1 = PasswordThrottle("account", policy=POLICY, cache=redis_cache, clock=clock)
    web2 = PasswordThrottle("account", policy=POLICY, cache=other_process_cache, clock=clock)
    for index in range(POLICY.free_failures + 1):
        guess(web1 if index % 2 else web2, "198.51.100.1", "ana", right=False)
    assert not guess(web2, "198.51.100.1", "ana", right=True)
    assert web1.retry_after("198.51.100.1", "ana") == POLICY.base_delay


def test_a_cache_that_is_down_lets_the_password_check_run(caplog, clock):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = RedisCache(f"redis://127.0.0.1:{port}/0", {"OPTIONS": {"socket_connect_timeout": 1}})
    throttle = PasswordThrottle("account", policy=POLICY, cache=dead, clock=clock)
    for _ in range(POLICY.free_failures + 2):
        assert guess(throttle, "198.51.100.1", "ana", right=False)
    errors = [r for r in caplog.records if "cache is unavailable" in r.getMessage()]
    assert len(errors) == 1  # once a minute, not once per cache call
