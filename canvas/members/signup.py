"""Open sign-up and the creation of accounts (sign-up page, invitation with a new account).

Open sign-up is one switch for the whole site, off unless a superuser turns it on (who may:
canvas.permissions.may_change_signup). Every account made here goes through
``foundation.password_throttle.sign_ups``: counted per client address, a refused attempt is
not checked at all, so neither page can create accounts (or test which usernames are taken)
without limit. The account, its first team or membership and the used invitation are
written in one transaction: nothing is half made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from canvas.members.models import SignupPolicy
from canvas.members.services import personal_team
from foundation.password_throttle import SIGN_UP_SUBJECT, Attempt, sign_ups

logger = logging.getLogger(__name__)

T = TypeVar("T")


class UsernameTaken(Exception):
    """The username was taken between the form check and the insert (a race)."""


def is_open() -> bool:
    return SignupPolicy.objects.filter(pk=1, open=True).exists()


def policy() -> SignupPolicy:
    return SignupPolicy.objects.filter(pk=1).first() or SignupPolicy(pk=1)


def set_open(by: Any, open_: bool) -> SignupPolicy:
    row, _ = SignupPolicy.objects.update_or_create(
        pk=1, defaults={"open": open_, "changed_by": by, "changed_at": timezone.now()}
    )
    logger.info("open sign-up turned %s by user %s", "on" if open_ else "off", by.pk)
    return row


@contextmanager
def throttled(request: HttpRequest) -> Iterator[Attempt]:
    """One sign-up attempt from this client; raises ``Throttled`` before the block if the
    address must wait. The block calls ``count()`` for each account made or name refused."""
    with sign_ups.attempt(request, SIGN_UP_SUBJECT) as attempt:
        yield attempt


def create_account(
    username: str, email: str, password: str, then: Callable[[Any], T]
) -> tuple[Any, T]:
    """Create an active account and run ``then(user)`` in the same transaction."""
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(username, email, password)
            result = then(user)
    except IntegrityError as exc:
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise UsernameTaken() from exc
        raise
    logger.info("account %s created", user.pk)
    return user, result


def sign_up(username: str, email: str, password: str) -> Any:
    """Open sign-up: a new account with a personal team of its own."""
    user, _ = create_account(username, email, password, personal_team)
    return user
