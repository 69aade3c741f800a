"""Run named tasks off the request path, only after the current transaction commits.

Tasks are plain functions registered with ``@task("name")`` that take JSON-able arguments
and must be idempotent (they may run twice after a crash). Where they run is a setting:

- ``embedded`` (default): a thread pool inside this process (the Daphne server or
  ``manage.py serve``).
- ``celery``: sent to Celery workers through the broker; the Celery application is named
  by the ``ANCHORBOARD_CELERY_APP`` setting (``anchorboard.celery_app.app``), so this
  module never imports the composition root.
- ``inline``: run synchronously at commit time; used by tests that need determinism.

Each app registers its tasks by importing its ``tasks`` module in ``AppConfig.ready()``
(``canvas.apps``, ``assets.apps``): this module knows no app.

Nothing here may rely on sharing memory with the websocket server: tasks talk to clients
only through the database and the channel layer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.utils.module_loading import import_string

from foundation import config, knobs

logger = logging.getLogger(__name__)

_REGISTRY: dict[str, Callable[..., Any]] = {}
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def task(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn`` under ``name`` so any dispatcher can find it by name."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        _REGISTRY[name] = fn
        return fn

    return register


def registered(name: str) -> Callable[..., Any]:
    """The task registered under ``name``; the apps register theirs in ``ready()``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LookupError(
            f"No background task is registered as {name!r}: the app that defines it must be "
            "in INSTALLED_APPS and import its tasks module in AppConfig.ready()."
        ) from None


def celery_app() -> Any:
    """The Celery application of this deployment (setting ``ANCHORBOARD_CELERY_APP``)."""
    return import_string(settings.ANCHORBOARD_CELERY_APP)


def run_task(name: str, args: list[Any]) -> Any:
    """Execute one task in this thread; the single entry point every dispatcher uses."""
    _refresh_connections()
    try:
        return registered(name)(*args)
    except Exception:
        logger.exception("background task %s%r failed", name, tuple(args))
        raise
    finally:
        _refresh_connections()


def _refresh_connections() -> None:
    # Pool threads must drop broken or expired connections, but an inline run inside an
    # open transaction (tests, on_commit of a nested atomic) shares the caller's connection:
    # closing it there would abort the caller's transaction.
    if not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        close_old_connections()


def _embedded_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=config.read(knobs.EMBEDDED_WORKERS),
                thread_name_prefix="anchorboard-task",
            )
        return _pool


def _swallow(name: str, args: list[Any]) -> None:
    try:
        run_task(name, args)
    except Exception:  # already logged; a pool thread has nobody to raise to
        return


def dispatch_now(name: str, *args: Any) -> None:
    """Hand a task to the configured dispatcher immediately (no transaction hook)."""
    mode = config.read(knobs.DISPATCHER)
    if mode == "inline":
        run_task(name, list(args))
    elif mode == "celery":
        _send_to_celery(name, list(args))
    else:
        _embedded_pool().submit(_swallow, name, list(args))


# A web request must not hang while the broker is down: a few quick retries, then give up.
_CELERY_RETRY_POLICY = {"max_retries": 3, "interval_start": 0, "interval_step": 0.2}


def _send_to_celery(name: str, args: list[Any]) -> None:
    try:
        celery_app().send_task(
            "anchorboard.run_task", args=[name, args], retry=True, retry_policy=_CELERY_RETRY_POLICY
        )
    except Exception:
        # Tasks are wake-ups, not state: what they would do is recorded in the database.
        # Each worker's sweeper (canvas.jobs.celery_worker) finds claimable jobs once the
        # broker is back, and a starting worker requeues pending previews. Raising here
        # would turn an already committed change into an error for the user.
        logger.warning("could not send task %s to the broker; workers will sweep it up", name)


def run_after_commit(name: str, *args: Any) -> None:
    """Schedule a task once the surrounding transaction (if any) has committed."""
    transaction.on_commit(lambda: dispatch_now(name, *args))


def shutdown_embedded_pool(wait: bool = True) -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=wait)
            _pool = None
