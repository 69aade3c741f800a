"""The one way provider clients talk HTTP: httpx clients with the provider's timeouts (async
for the hosted APIs and ComfyUI, sync for A1111's blocking calls), the "Check now" GET,
``run_sync`` (a coroutine run from synchronous ``Engine.run`` with prompt cancellation) and
helpers that read what an answer means (JSON body, Retry-After).

Clients build their requests and map their provider's error bodies themselves; this module
must not know any provider's wire format and must not touch the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import json
import re
import ssl
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx

from canvas.engines.base import JobCancelled
from canvas.engines.providers import config

T = TypeVar("T")


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle costs tens of milliseconds, and
    a client is made per engine run."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _options(
    base_url: str, read: float, connect: float, headers: dict[str, str] | None, auth: Any
) -> dict[str, Any]:
    """What every provider client shares. ``trust_env=False``: a proxy variable in a
    worker's environment must not silently route image uploads elsewhere."""
    return {
        "base_url": base_url.rstrip("/"),
        "headers": headers or {},
        "auth": auth,
        "timeout": httpx.Timeout(read, connect=connect, write=max(read, 30.0), pool=connect),
        "trust_env": False,
        "follow_redirects": False,
        "verify": _tls(),
    }


def async_client(
    base_url: str,
    *,
    read: float,
    connect: float,
    headers: dict[str, str] | None = None,
    auth: httpx.Auth | None = None,
) -> httpx.AsyncClient:
    return httpx.AsyncClient(**_options(base_url, read, connect, headers, auth))


def sync_client(
    base_url: str,
    *,
    read: float,
    connect: float,
    headers: dict[str, str] | None = None,
    auth: httpx.Auth | None = None,
) -> httpx.Client:
    """For the self-hosted servers' blocking calls, which run on a helper thread."""
    return httpx.Client(**_options(base_url, read, connect, headers, auth))


def make_client(provider: str, base_url: str, headers: dict[str, str]) -> httpx.AsyncClient:
    """A hosted provider's client for one engine run; timeouts from configuration, never
    call sites."""
    return async_client(
        base_url,
        read=config.read_timeout(provider),
        connect=config.connect_timeout(provider),
        headers=headers,
    )


def check_get(
    url: str,
    *,
    where: str,
    timeout: float,
    headers: dict[str, str] | None = None,
    auth: httpx.Auth | None = None,
    refused: Callable[[httpx.Response], str | None] = lambda response: None,
    describe: Callable[[httpx.Response], str] = lambda response: "Reachable.",
) -> dict[str, Any]:
    """One cheap GET for the providers page's "Check now": ``{"ok", "message",
    "latency_ms"?}``. ``refused`` names a refused key or password (None when it was not),
    ``describe`` what a 200 says about the server. Never raises for network trouble."""
    started = time.monotonic()
    try:
        with sync_client("", read=timeout, connect=timeout, headers=headers, auth=auth) as client:
            response = client.get(url)
    except httpx.HTTPError as exc:
        return {"ok": False, "message": f"Cannot reach {where} ({type(exc).__name__})."}
    latency = round((time.monotonic() - started) * 1000, 1)
    problem = refused(response)
    if problem:
        return {"ok": False, "message": problem, "latency_ms": latency}
    if response.status_code != 200:
        message = f"{where} answered HTTP {response.status_code}."
        return {"ok": False, "message": message, "latency_ms": latency}
    return {"ok": True, "message": describe(response), "latency_ms": latency}


CANCEL_POLL_SECONDS = 0.5


def key_refused(response: httpx.Response) -> str | None:
    """A hosted API refusing its key: 401/403, or Google's 400 INVALID_ARGUMENT "API key not
    valid" (Google answers a wrong key that way, not with 401)."""
    error = (json_body(response) or {}).get("error")
    wrong_key = (
        response.status_code == 400
        and isinstance(error, dict)
        and "api key not valid" in str(error.get("message")).lower()
    )
    return "The API key was refused." if wrong_key or response.status_code in (401, 403) else None


def check_key(url: str, *, where: str, timeout: float, headers: dict[str, str]) -> dict[str, Any]:
    """ "Check now" for a hosted API: list its models with the key (nothing is generated)."""
    return check_get(
        url,
        where=where,
        timeout=timeout,
        headers=headers,
        refused=key_refused,
        describe=lambda response: "Reachable; the API key works.",
    )


def run_sync(
    coro: Coroutine[Any, Any, T],
    cancelled: Callable[[], bool] | None = None,
    poll: float = CANCEL_POLL_SECONDS,
) -> T:
    """Run ``coro`` to completion from synchronous code (``Engine.run`` is synchronous).

    The event loop runs on a helper thread, so this works whether or not the caller is
    inside a loop, and so the caller's thread stays free to poll ``cancelled`` (a database
    read, which must not run inside the loop) every ``poll`` seconds. When it turns true
    the request is abandoned at once and ``JobCancelled`` is raised: a designer does not
    wait for a two-minute provider call to finish before the cancel takes effect.
    """
    stop = threading.Event()
    box: dict[str, Any] = {}

    async def guarded() -> T:
        task = asyncio.ensure_future(coro)
        while True:
            done, _ = await asyncio.wait({task}, timeout=0.05)
            if done:
                return task.result()
            if stop.is_set():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
                raise JobCancelled()

    def target() -> None:
        try:
            box["value"] = asyncio.run(guarded())
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="provider-call", daemon=True)
    thread.start()
    while True:
        thread.join(poll)
        if not thread.is_alive():
            break
        if cancelled is not None and not stop.is_set() and cancelled():
            stop.set()
    if "error" in box:
        raise box["error"]
    return box["value"]


def json_body(response: httpx.Response) -> dict[str, Any] | None:
    """The response's JSON object, or None when the body is not a JSON object."""
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?$")


def parse_duration(text: str) -> float | None:
    """``"12s"``, ``"1.5s"``, ``"6m0s"``, ``"250ms"`` (Google's and OpenAI's forms) → seconds."""
    text = text.strip()
    if not text:
        return None
    if text.endswith("ms"):
        try:
            return float(text[:-2]) / 1000
        except ValueError:
            return None
    try:
        return float(text)
    except ValueError:
        pass
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the provider asked us to wait: ``Retry-After`` (seconds or an HTTP date)."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    seconds = parse_duration(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
