"""A socket's cached role on its board, and when it must be read again.

Every message on a board socket is checked against the caller's role (roles change while
sockets stay open). Reading the role costs two or three queries on the database thread all
sockets share; at 100 messages/s that was a large part of the board's write path. So the
socket keeps the role it read and re-reads it only when it may have changed:

- any change to who may see a board (board members, team members, a team's default role)
  committed in this process bumps ``generation()`` at once, so the next message on any
  socket of the process re-reads (access changes are rare: one counter is enough);
- the change reaches the board's sockets in every process as the ``board.access`` event
  (canvas.realtime), on which the board's room reads everyone's role at once and stores it
  in each socket's cache (the consumer's ``_access_after_change``);
- and at the latest after ``RECHECK_SECONDS``, should that event have been lost.

This module decides nothing (canvas.permissions does); it only says when to ask again.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from canvas.models import BoardMember, Role, Team, TeamMembership

RECHECK_SECONDS = 30.0

_counter = itertools.count(1)
_generation = 0


def generation() -> int:
    """Bumped after every committed access change in this process."""
    return _generation


def _bump() -> None:
    global _generation
    _generation = next(_counter)


class CachedRole:
    """One socket's role as last read, with the generation it was read at."""

    def __init__(self) -> None:
        self.role: Role | None = None
        self.read_at_generation = -1
        self.read_at = 0.0

    def fresh(self) -> bool:
        return (
            self.read_at_generation == _generation
            and time.monotonic() - self.read_at < RECHECK_SECONDS
        )

    def store(self, role: Role, read_at_generation: int) -> None:
        """Keep ``role``, read after ``generation()`` returned ``read_at_generation``."""
        self.role = role
        self.read_at_generation = read_at_generation
        self.read_at = time.monotonic()

    def forget(self) -> None:
        self.read_at_generation = -1


@receiver([post_save, post_delete], sender=BoardMember)
@receiver([post_save, post_delete], sender=TeamMembership)
@receiver(post_save, sender=Team)
def _access_changed(sender: Any, **kwargs: Any) -> None:
    transaction.on_commit(_bump)
