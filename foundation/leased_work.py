"""Leased background work, written once: the state machine, the versioned change, the
lease and the worker names shared by every kind of row a worker runs (a job, an export).

Such a row has ``state``, ``version``, ``worker_id``, ``lease_expires_at``, ``attempts``,
``max_attempts``, ``progress``, ``progress_message``, ``started_at`` and ``finished_at``.
``Lifecycle`` owns how it changes:

- a table of allowed ``(source, target)`` pairs, each with a ``Rule`` saying whether the
  change must name the worker that owns the row;
- one conditional ``UPDATE … WHERE pk = … AND state = <source>`` (plus the owner, plus the
  caller's guards) that bumps ``version`` with the change, so two processes racing for
  the same row cannot both win;
- the effects every change of a kind has (a claim takes the lease and counts an attempt,
  a requeue frees the worker, a finish stamps the time and drops the lease);
- the row read back in the same transaction, handed to the caller's ``on_change`` (which
  announces it after commit, records webhooks) — so each message carries exactly the
  version that change wrote.

A guard that no longer holds (someone else cancelled, recovered or finished the row) is a
lost race: ``transition`` returns None and the caller stops quietly. A change the table
does not allow is a bug and raises ``IllegalTransition``. Each app keeps its own table,
its own extra effects and its own announcement (canvas.jobs.lifecycle,
canvas.exports.lifecycle); this module knows no app and no message.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from django.db import close_old_connections, models, transaction
from django.db.models import F, Q
from django.utils import timezone

Row = TypeVar("Row", bound=models.Model)


class IllegalTransition(RuntimeError):
    """A caller asked for a state change the lifecycle does not allow (a bug, not a race)."""


# --- Worker names ---------------------------------------------------------------------------


def host_name() -> str:
    return socket.gethostname()


def worker_name(slot: int | str) -> str:
    """``host:pid:slot`` – lets recovery tell a dead local process from a live one."""
    return f"{host_name()}:{os.getpid()}:{slot}"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def dead_local_worker(worker_id: str) -> bool:
    """Whether ``worker_id`` (``host:pid:slot``) names a process on this host that is gone."""
    host, _, rest = worker_id.partition(":")
    pid, _, _slot = rest.partition(":")
    if host != host_name() or not pid.isdigit():
        return False
    return not _pid_alive(int(pid))


# --- The table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One allowed (from, to) pair.

    ``owner``: "claims" – the change hands the row to the worker named (claim);
    "required" – only the worker that owns the row may make it (every way out of running:
    the runner itself, or recovery naming the dead owner); "optional" – a worker's own
    progress names it, a person's request does not; "none" – nobody owns a queued row.
    """

    owner: str
    uses: str


@dataclass(frozen=True)
class Lifecycle(Generic[Row]):
    """The lifecycle of one model's rows; see the module docstring."""

    noun: str  # "job", "export": in log lines and IllegalTransition's sentences
    model: type[Row]
    transitions: Mapping[tuple[str, str], Rule]
    finished: frozenset[str]
    lease_seconds: Callable[[], float]
    queued: str = "queued"  # where a new row starts, and a requeued one returns
    running: str = "running"  # the state a worker's lease guards
    # Fields only the lifecycle writes (callers' ``fields`` may not name them).
    reserved: frozenset[str] = frozenset({"state", "version"})
    # What the row is read back with (e.g. the relations its announcement needs).
    select_related: tuple[str, ...] = ()
    # The app's own effects of a (source, target) change at ``now``, set after the shared
    # ones and before the caller's fields (which win).
    own_effects: Callable[[str, str, datetime], Mapping[str, Any]] = lambda *_: {}
    # Called with the row read back inside the transaction, and (source, target): where the
    # app announces the change after commit and records its webhooks.
    changed: Callable[[Row, str, str], None] = lambda *_: None
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger(__name__))

    def __post_init__(self) -> None:
        # Finished rows never change state again (a retry is a new row).
        assert not any(source in self.finished for source, _ in self.transitions)

    @property
    def _a_noun(self) -> str:
        return ("an " if self.noun[:1] in "aeiou" else "a ") + self.noun

    def rule_for(self, source: str, target: str) -> Rule:
        """The rule for ``source`` → ``target``; raises IllegalTransition when there is none."""
        try:
            return self.transitions[(source, target)]
        except KeyError:
            raise IllegalTransition(f"{self._a_noun} cannot go from {source} to {target}") from None

    def lease_from_now(self) -> datetime:
        """When a lease taken or renewed now expires."""
        return timezone.now() + timedelta(seconds=self.lease_seconds())

    def effects(self, source: str, target: str, owner: str, now: datetime) -> dict[str, Any]:
        """What every change of this kind sets, besides the caller's own fields."""
        if (source, target) == (self.queued, self.running):
            return {
                "worker_id": owner,
                "started_at": now,
                "lease_expires_at": self.lease_from_now(),
                "attempts": F("attempts") + 1,
                "progress": 0,
                "progress_message": "Starting",
            }
        if (source, target) == (self.running, self.queued):
            return {"worker_id": "", "lease_expires_at": None, "progress": 0}
        if target in self.finished:
            return {"finished_at": now, "lease_expires_at": None}
        return {}

    def transition(
        self,
        pk: Any,
        source: str,
        target: str,
        *,
        owner: str = "",
        where: Mapping[str, Any] | None = None,
        effects: Mapping[str, Any] | None = None,
        on_change: Callable[[Row], None] | None = None,
        **fields: Any,
    ) -> Row | None:
        """Move row ``pk`` from ``source`` to ``target`` if it is still in ``source`` (and
        still owned by ``owner`` where the rule needs an owner); returns the updated row, or
        None when the guard no longer holds.

        ``where`` adds guards (e.g. ``{"cancel_requested": False}``); ``fields`` are the
        caller's own changes (checked against ``reserved``). ``effects`` adds to
        ``own_effects`` for this one call, and ``on_change`` replaces ``changed`` for it
        (an app whose announcement takes options of the call).
        """
        rule = self.rule_for(source, target)
        if rule.owner in ("required", "claims") and not owner:
            raise IllegalTransition(f"{source} → {target} must name the worker ({rule.uses})")
        if rule.owner == "none" and owner:
            raise IllegalTransition(f"{source} → {target} has no owner ({rule.uses})")
        reserved = self.reserved & fields.keys()
        if reserved:
            raise IllegalTransition(f"only the lifecycle writes {', '.join(sorted(reserved))}")
        now = timezone.now()
        guard: dict[str, Any] = {"pk": pk, "state": source, **(where or {})}
        if owner and rule.owner != "claims":
            guard["worker_id"] = owner
        changes = {
            **self.effects(source, target, owner, now),
            **self.own_effects(source, target, now),
            **(effects or {}),
            **fields,
        }
        changes.update(state=target, version=F("version") + 1)
        manager = self.model._default_manager
        # Inside a caller's transaction no savepoint is needed: nothing here catches an
        # error, which rolls the caller's transaction back as it would roll back this one.
        with transaction.atomic(savepoint=False):
            if not manager.filter(**guard).update(**changes):
                return None
            # Read inside the transaction: our UPDATE holds the row, so this is exactly the
            # version we wrote, and the message announces that version and nothing later.
            row = manager.select_related(*self.select_related).get(pk=pk)
            if on_change is not None:
                on_change(row)
            else:
                self.changed(row, source, target)
        if source != target:
            self.logger.info(
                "%s %s: %s → %s (v%d)",
                self.noun,
                pk,
                source,
                target,
                row.version,  # type: ignore[attr-defined]
            )
        return row

    def create(
        self,
        fields: Mapping[str, Any],
        on_create: Callable[[Row], None],
        *,
        initial: Mapping[str, Any] | None = None,
    ) -> Row:
        """Store a new queued row (version 1) with the caller's ``fields`` and the app's
        own ``initial`` values; ``on_create`` announces it after commit."""
        if self.reserved & fields.keys():
            raise IllegalTransition(f"a new {self.noun} is always {self.queued}, version 1")
        with transaction.atomic():
            row = self.model._default_manager.create(state=self.queued, **(initial or {}), **fields)
            on_create(row)
        return row

    def renew_lease(self, pk: Any, owner: str) -> bool:
        """Extend ``owner``'s lease on its running row; False if it is no longer its own.

        Not a change clients see (no version bump, no message): only recovery reads leases.
        """
        return bool(
            self.model._default_manager.filter(pk=pk, state=self.running, worker_id=owner).update(
                lease_expires_at=self.lease_from_now()
            )
        )

    def abandoned(self, now: datetime) -> list[Row]:
        """Running rows whose lease expired, or whose worker process on this host is gone
        (found at once, without waiting for the lease). One indexed read when none is."""
        running = self.model._default_manager.filter(state=self.running).filter(
            Q(lease_expires_at__lt=now)
            | Q(lease_expires_at__isnull=True)
            | Q(worker_id__startswith=host_name() + ":")
        )
        return [
            row
            for row in running
            if row.lease_expires_at is None  # type: ignore[attr-defined]
            or row.lease_expires_at < now  # type: ignore[attr-defined]
            or dead_local_worker(row.worker_id)  # type: ignore[attr-defined]
        ]


# --- The heartbeat --------------------------------------------------------------------------


class Heartbeat:
    """Keeps a lease while the work runs, from a daemon thread: ``with Heartbeat(...)``.

    Every ``every()`` seconds (at least 0.1) it calls ``beat()``, which renews the lease
    (and may do more: an export fails a run over its time limit there); ``beat()``
    returning False means the row is no longer this worker's, and the thread stops — the
    work finds out at its next progress report, whose guarded update fails. A beat that
    raises (a database hiccup) is logged and the next one tries again. The thread closes
    its own database connection when it ends. Shared by canvas.jobs.progress and
    canvas.exports.runner.
    """

    def __init__(
        self,
        beat: Callable[[], bool],
        every: Callable[[], float],
        name: str,
        logger: logging.Logger | None = None,
    ) -> None:
        self._beat_once = beat
        self._every = every
        self._name = name
        self._logger = logger or logging.getLogger(__name__)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and wait for the thread (at most one beat's duration)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> Heartbeat:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            while not self._stop.wait(max(0.1, self._every())):
                try:
                    if not self._beat_once():
                        return
                except Exception:  # a database hiccup: the next beat tries again
                    self._logger.warning("%s: heartbeat failed", self._name, exc_info=True)
        finally:
            close_old_connections()
