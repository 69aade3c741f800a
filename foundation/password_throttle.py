"""One throttle for every place a password is typed: slow guessing, never lock out the owner.

Entry points and their *subject* (what is being guessed):

- account passwords — ``/login/``, ``/admin/login/``, ``POST /api/v1/auth/token``, the
  password-change pages (``/password/``, ``/admin/password_change/``) — all share the
  ``account`` scope, keyed by the lower-cased username, so a guess counts the same wherever
  it is typed;
- share-link passwords (page and guest API) — the ``share-link`` scope, keyed by link id;
- new accounts (``/signup/`` and accepting an invitation with a new account) — the
  ``sign-up`` scope with one subject, so it counts per client address: not a password
  guess but the same rule keeps one address from creating accounts (or probing which
  usernames exist) without limit. Its policy has its own settings (``ANCHORBOARD_SIGNUP_*``).

The rule (docs/architecture.md, "Password throttling"):

1. Failures are counted per **(subject, client address)** pair (an IPv6 client counts as its
   /64). The first ``free_failures`` cost nothing; the n-th failure after them makes the
   pair wait ``base_delay · 2^(n − 1)`` seconds, capped at ``max_delay``. A pair that has
   not failed for ``forget_after`` seconds starts again; a right password clears it.
2. Nothing is ever counted per address alone or per subject alone, so neither an office
   behind one NAT address nor an attacker who knows a username or a link can block anyone
   else: a right password from a pair that has not failed is always let through at once.
3. A subject under a distributed attack (``attack_failures`` failures from all addresses
   within ``forget_after``) gives no pair a free failure: each failure is followed by a
   wait. This slows a botnet that brings a fresh address per guess, and still lets the
   real owner in at once from an address that has not failed (or after ``base_delay`` if
   they mistype once).
4. One attempt per pair is checked at a time (a short lock), so firing guesses in parallel
   does not get more of them in before the failures are counted.

Counters live in Django's default cache: Redis when ``REDIS_URL`` or ``CACHE_URL`` says
so, which every server process then shares; per-process memory only in the embedded
default. Keys hold hashes of usernames, never what was typed. If the cache is down the
throttle lets attempts through and logs an error: the password check itself still runs.

This module counts and decides; each entry point turns ``Throttled`` into its own answer
(a form error, a 429 in the API's error shape, the share password page).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.cache import BaseCache, caches
from django.http import HttpRequest

from foundation import config, knobs
from foundation.client_address import client_address, throttle_key

logger = logging.getLogger(__name__)

ACCOUNT = "account"
SHARE_LINK = "share-link"
SIGN_UP = "sign-up"
LOCK_SECONDS = 30  # longest a password check may hold a pair's lock (a crashed process)
LOG_EVERY_SECONDS = 60  # at most one warning per subject per minute...
LOG_LINES_PER_MINUTE = 20  # ...and this many per scope
IN_PROGRESS_WAIT = 1


@dataclass(frozen=True)
class Policy:
    free_failures: int = 5
    base_delay: float = 30.0
    max_delay: float = 15 * 60.0
    forget_after: int = 24 * 3600
    attack_failures: int = 100

    @classmethod
    def from_settings(cls, prefix: str = "PASSWORD", defaults: Policy | None = None) -> Policy:
        """The policy from the ``ANCHORBOARD_<prefix>_*`` knobs that are declared
        (foundation/knobs/), the rest from ``defaults``."""
        base = defaults or cls()

        def read(name: str, default: float) -> Any:
            knob = knobs.named(f"ANCHORBOARD_{prefix}_{name}")
            return default if knob is None else config.read(knob)

        return cls(
            free_failures=int(read("FREE_FAILURES", base.free_failures)),
            base_delay=float(read("BASE_DELAY_SECONDS", base.base_delay)),
            max_delay=float(read("MAX_DELAY_SECONDS", base.max_delay)),
            forget_after=int(read("FORGET_SECONDS", base.forget_after)),
            attack_failures=int(read("ATTACK_FAILURES", base.attack_failures)),
        )

    def delay_after(self, failures: int, under_attack: bool) -> float:
        """Seconds a pair waits after its ``failures``-th failure (0: no wait)."""
        free = 0 if under_attack else self.free_failures
        if failures <= free:
            return 0.0
        return min(self.max_delay, self.base_delay * 2.0 ** (failures - free - 1))


class Throttled(Exception):
    """Refused before the password was checked; ``retry_after`` is whole seconds."""

    def __init__(self, retry_after: int, in_progress: bool = False) -> None:
        super().__init__(f"throttled for {retry_after}s")
        self.retry_after = max(1, retry_after)
        self.in_progress = in_progress

    def wait_text(self) -> str:
        """The wait in words for people: "20 seconds", "about 4 minutes"."""
        if self.retry_after < 90:
            seconds = self.retry_after
            return f"{seconds} second{'s' if seconds != 1 else ''}"
        minutes = round(self.retry_after / 60)
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"


def account_message(exc: Throttled) -> str:
    """What a person signing in is told when an account-password attempt is refused."""
    if exc.in_progress:
        return (
            "Another attempt for this account from your address is being checked. Try again "
            "in a moment."
        )
    return (
        "Too many wrong passwords for this account from your address. Wait "
        f"{exc.wait_text()} and try again."
    )


def subject_of(text: str) -> str:
    """A stable, non-reversible name for a username or link id, fit for keys and logs."""
    return hashlib.sha256(text.strip().lower().encode()).hexdigest()[:24]


class Attempt:
    """One password check in progress; say how it went with ``succeeded``/``failed``."""

    def __init__(self, throttle: PasswordThrottle, subject: str, address: str) -> None:
        self.throttle = throttle
        self.subject = subject
        self.address = address
        self.outcome: bool | None = None

    def succeeded(self) -> None:
        self.outcome = True

    def failed(self) -> None:
        self.outcome = False

    def count(self) -> None:
        """Count this attempt like a failure: for scopes that limit an action (sign-up),
        where every attempt that got through uses up the pair's allowance."""
        self.outcome = False


class PasswordThrottle:
    """The throttle of one scope. ``cache`` and ``clock`` are injectable for tests."""

    def __init__(
        self,
        scope: str,
        *,
        policy: Policy | None = None,
        cache: BaseCache | None = None,
        clock: Callable[[], float] = time.time,
        settings_prefix: str = "PASSWORD",
        defaults: Policy | None = None,
    ) -> None:
        self.scope = scope
        self._cache_error_logged_at = -float(LOG_EVERY_SECONDS)
        self._policy = policy
        self._settings_prefix = settings_prefix
        self._defaults = defaults
        self._cache = cache
        self.clock = clock

    @property
    def policy(self) -> Policy:
        return self._policy or Policy.from_settings(self._settings_prefix, self._defaults)

    @property
    def cache(self) -> BaseCache:
        return self._cache or caches["default"]

    # --- Keys ------------------------------------------------------------------------------

    def _pair(self, subject: str, address: str) -> str:
        return f"pw:{self.scope}:{subject_of(subject)}:{throttle_key(address)}"

    def _subject_total(self, subject: str) -> str:
        return f"pw:{self.scope}:{subject_of(subject)}:all"

    # --- The protocol ----------------------------------------------------------------------

    @contextmanager
    def attempt(self, request: HttpRequest, subject: str) -> Iterator[Attempt]:
        """Check ``subject``'s password for the client of ``request`` inside this block.

        Raises ``Throttled`` before the block runs if the pair must wait. The block calls
        ``succeeded()`` or ``failed()``; a block that raises without saying counts as
        neither (a server error is not a wrong guess).
        """
        address = client_address(request)
        with self.attempt_from(address, subject) as attempt:
            yield attempt

    @contextmanager
    def attempt_from(self, address: str, subject: str) -> Iterator[Attempt]:
        pair = self._pair(subject, address)
        self._refuse_if_waiting(pair, subject, address)
        locked = self._lock(pair)
        attempt = Attempt(self, subject, address)
        try:
            yield attempt
        finally:
            try:
                if attempt.outcome is True:
                    self._forget(pair)
                elif attempt.outcome is False:
                    self._count_failure(pair, subject, address)
            finally:
                if locked:
                    self._unlock(pair)

    def retry_after(self, address: str, subject: str) -> int:
        """Seconds the pair must still wait (0: it may try now). For tests and admins."""
        until = self._safe(lambda c: c.get(f"{self._pair(subject, address)}:until"), None)
        return max(0, math.ceil(until - self.clock())) if until else 0

    # --- Internals -------------------------------------------------------------------------

    def _safe(self, operation: Callable[[BaseCache], Any], fallback: Any) -> Any:
        """Run one cache operation; if the cache is down, log (once a minute) and fail open."""
        try:
            return operation(self.cache)
        except Exception:  # redis.ConnectionError and friends; the password is still checked
            now = time.monotonic()
            if now - self._cache_error_logged_at >= LOG_EVERY_SECONDS:
                self._cache_error_logged_at = now
                logger.error(
                    "password throttle: the cache is unavailable, attempts are not being counted",
                    exc_info=True,
                )
            return fallback

    def _refuse_if_waiting(self, pair: str, subject: str, address: str) -> None:
        until = self._safe(lambda c: c.get(f"{pair}:until"), None)
        now = self.clock()
        if until and now < until:
            wait = math.ceil(until - now)
            self._warn(
                subject,
                "password throttle: %s %s from %s refused, %ss left",
                self.scope,
                subject_of(subject)[:12],
                address,
                wait,
            )
            raise Throttled(wait)

    def _lock(self, pair: str) -> bool:
        got = self._safe(lambda c: c.add(f"{pair}:lock", 1, LOCK_SECONDS), None)
        if got is False:
            raise Throttled(IN_PROGRESS_WAIT, in_progress=True)
        return bool(got)

    def _unlock(self, pair: str) -> None:
        self._safe(lambda c: c.delete(f"{pair}:lock"), None)

    def _forget(self, pair: str) -> None:
        self._safe(lambda c: c.delete_many([f"{pair}:n", f"{pair}:until"]), None)

    def _incr(self, cache: BaseCache, key: str, timeout: int) -> int:
        if cache.add(key, 1, timeout):
            return 1
        try:
            value = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout)
            return 1
        cache.touch(key, timeout)
        return int(value)

    def _count_failure(self, pair: str, subject: str, address: str) -> None:
        policy = self.policy
        failures = self._safe(lambda c: self._incr(c, f"{pair}:n", policy.forget_after), 0)
        total = self._safe(
            lambda c: self._incr(c, self._subject_total(subject), policy.forget_after), 0
        )
        under_attack = total >= policy.attack_failures
        delay = policy.delay_after(failures, under_attack)
        if delay <= 0:
            return
        until = self.clock() + delay
        self._safe(lambda c: c.set(f"{pair}:until", until, math.ceil(delay) + 60), None)
        self._warn(
            subject,
            "password throttle: %s %s from %s: %s failures%s, next attempt in %ss",
            self.scope,
            subject_of(subject)[:12],
            address,
            failures,
            " (subject under attack)" if under_attack else "",
            math.ceil(delay),
        )

    def _warn(self, subject: str, message: str, *args: Any) -> None:
        """Log at WARNING, at most once per subject per minute and ``LOG_LINES_PER_MINUTE``
        lines per scope: neither one guesser nor a botnet spraying addresses or usernames
        can flood the log."""
        minute = int(self.clock() // LOG_EVERY_SECONDS)
        if not self._safe(
            lambda c: c.add(f"pw:{self.scope}:{subject_of(subject)}:logged", 1, LOG_EVERY_SECONDS),
            True,
        ):
            return
        lines = self._safe(
            lambda c: self._incr(c, f"pw:{self.scope}:logged:{minute}", 2 * LOG_EVERY_SECONDS),
            1,
        )
        if lines <= LOG_LINES_PER_MINUTE:
            logger.warning(message, *args)
        elif lines == LOG_LINES_PER_MINUTE + 1:
            logger.warning(
                "password throttle: %s: more throttling this minute, not logged", self.scope
            )


def sign_up_message(exc: Throttled) -> str:
    """What someone creating an account is told when the sign-up throttle refuses it."""
    if exc.in_progress:
        return "Another sign-up from your address is being checked. Try again in a moment."
    return (
        f"Too many new accounts were made from your address. Wait {exc.wait_text()} and try again."
    )


# Sign-up: 20 new accounts per address a day are free (an office behind one NAT address
# accepting its invitations), then a minute's wait doubling up to an hour; after 500 in a day
# from all addresses, every address waits after each one.
SIGN_UP_POLICY = Policy(free_failures=20, base_delay=60.0, max_delay=3600.0, attack_failures=500)
SIGN_UP_SUBJECT = "new account"

accounts = PasswordThrottle(ACCOUNT)
share_links = PasswordThrottle(SHARE_LINK)
sign_ups = PasswordThrottle(SIGN_UP, settings_prefix="SIGNUP", defaults=SIGN_UP_POLICY)
