"""One delivery attempt: claim, sign, post, record the outcome, schedule the next try.

The rules:

- **claimed in the database** (a conditional UPDATE on ``state=pending`` and
  ``next_attempt_at <= now``): of several senders that see the same due delivery, one
  posts. The claim moves ``next_attempt_at`` to the end of a lease, so a sender that dies
  mid-attempt leaves the delivery due again, never lost.
- **posted with httpx** to the address ``canvas.webhooks.addresses`` checked (every
  attempt resolves again), connect timeout 3 s, 10 s for the whole attempt, redirects not
  followed, no proxy from the environment, the body the same bytes at every attempt.
- **2xx** is delivered. **410 Gone** ends the delivery and switches the endpoint off
  (the receiver said it is gone for good). A refused address ends the delivery. Anything
  else (3xx, 4xx, 5xx, timeouts, connection errors) is retried: exponential backoff with
  jitter (30 s, 1 min, 2 min … at most an hour apart, ``Retry-After`` honoured up to that),
  until ``give_up_at`` (a day after the event), when it is marked failed.
- When an attempt fails, the endpoint's other due deliveries wait as long as this one (a
  dead endpoint costs one attempt per backoff step, not one per queued event).

Time comes from ``clock`` and jitter from ``rng``, so tests drive days of retries without
sleeping. The HTTP call is ``post`` (``http_post`` unless a test passes another).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import certifi
import httpx
from django.db.models import F, Value
from django.db.models.functions import Least
from django.utils import timezone

from canvas.webhooks import addresses, events, signing
from canvas.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 3.0
TOTAL_TIMEOUT = 10.0
LEASE = timedelta(seconds=60)  # longer than any attempt can take
BASE_DELAY = 30.0
MAX_DELAY = 3600.0
EXCERPT_CHARS = 500
READ_LIMIT = 4096
USER_AGENT = "Anchorboard-Webhooks/1"

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Answer:
    """What one POST produced: a status, or an error class (``timeout``, ``connect_error``,
    ``refused_address``…) with a sentence."""

    status: int | None = None
    excerpt: str = ""
    error: str = ""
    message: str = ""
    retry_after: float | None = None


Post = Callable[[str, bytes, dict[str, str]], Answer]


def backoff_seconds(attempt: int, rng: random.Random | Any = random) -> float:
    """Delay after failed attempt number ``attempt`` (1-based): doubling from 30 s, at
    most an hour, half of it random (so many endpoints' retries do not line up)."""
    delay = min(MAX_DELAY, BASE_DELAY * 2 ** max(0, attempt - 1))
    return delay / 2 + rng.uniform(0, delay / 2)


def attempt(
    delivery_id: Any,
    *,
    clock: Clock = timezone.now,
    post: Post | None = None,
    rng: random.Random | Any = random,
) -> str | None:
    """Make the next attempt of a due delivery; returns its state afterwards, or None
    when it was not due (not pending, not yet time, or another sender took it)."""
    started = clock()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=started
    ).update(attempts=F("attempts") + 1, next_attempt_at=started + LEASE, last_attempt_at=started)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.active:
        return _finish(
            delivery,
            DeliveryState.FAILED,
            Answer(error="endpoint_off", message="The endpoint is switched off."),
        )
    body = events.body(delivery.event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.EVENT_ID_HEADER: str(delivery.event_id),
        signing.EVENT_TYPE_HEADER: delivery.event.type,
        signing.DELIVERY_ID_HEADER: str(delivery.pk),
        signing.SIGNATURE_HEADER: signing.header(
            endpoint.signing_secrets(started), int(started.timestamp()), body
        ),
    }
    answer = (post or http_post)(endpoint.url, body, headers)
    return _record(delivery, answer, clock(), rng)


def _record(delivery: WebhookDelivery, answer: Answer, now: datetime, rng: Any) -> str:
    status = answer.status
    if status is not None and 200 <= status < 300:
        return _finish(delivery, DeliveryState.DELIVERED, answer, delivered_at=now)
    if status == 410:
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(
            active=False,
            disabled_reason=f"The endpoint answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC.",
        )
        return _finish(delivery, DeliveryState.FAILED, answer)
    if answer.error == "refused_address":
        return _finish(delivery, DeliveryState.FAILED, answer)
    if now >= delivery.give_up_at:
        return _finish(delivery, DeliveryState.FAILED, answer)
    delay = backoff_seconds(delivery.attempts, rng)
    if answer.retry_after:
        delay = max(delay, min(MAX_DELAY, answer.retry_after))
    due = min(now + timedelta(seconds=delay), delivery.give_up_at)
    # The endpoint's other due deliveries wait as long (never past their own last chance).
    WebhookDelivery.objects.filter(
        endpoint_id=delivery.endpoint_id, state=DeliveryState.PENDING, next_attempt_at__lt=due
    ).exclude(pk=delivery.pk).update(next_attempt_at=Least(Value(due), F("give_up_at")))
    return _finish(delivery, DeliveryState.PENDING, answer, next_attempt_at=due)


def _finish(delivery: WebhookDelivery, state: str, answer: Answer, **fields: Any) -> str:
    fields.setdefault("next_attempt_at", None)
    # Guarded by the attempt count: a stale attempt (its lease ran out and another sender
    # tried again meanwhile) does not overwrite the newer one's outcome.
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(
        state=state,
        last_status_code=answer.status,
        last_error=answer.error or _status_error(answer.status),
        last_error_message=answer.message[:300],
        response_excerpt=answer.excerpt[:EXCERPT_CHARS],
        **fields,
    )
    if state != DeliveryState.DELIVERED:
        logger.info(
            "webhook delivery %s attempt %d: %s (%s)",
            delivery.pk, delivery.attempts, state, answer.error or answer.status,
        )  # fmt: skip
    return state


# --- HTTP ---------------------------------------------------------------------------------


def http_post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` to ``url`` under the address rules, within TOTAL_TIMEOUT in all."""
    try:
        target = addresses.check_url(url)
    except addresses.RefusedURL as exc:
        return Answer(error="refused_address", message=exc.message)
    try:
        return asyncio.run(_post(target, body, headers, addresses.private_allowed()))
    except addresses.RefusedURL as exc:
        return Answer(error="refused_address", message=exc.message)
    except TimeoutError:
        return Answer(error="timeout", message=f"No answer within {TOTAL_TIMEOUT:g} seconds.")
    except httpx.TimeoutException:
        return Answer(error="timeout", message="The endpoint did not answer in time.")
    except (httpx.HTTPError, OSError) as exc:
        return Answer(error="connect_error", message=f"Could not reach the endpoint: {exc}"[:300])


async def _post(
    target: addresses.Target, body: bytes, headers: dict[str, str], allow_private: bool
) -> Answer:
    async with asyncio.timeout(TOTAL_TIMEOUT):
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            target.host.strip("[]"), target.port, type=socket.SOCK_STREAM
        )
        address = addresses.pick_address(
            target, [str(info[4][0]) for info in infos], allow_private=allow_private
        )
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        timeout = httpx.Timeout(TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT)
        async with httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, trust_env=False, verify=_tls()
        ) as client:
            request = client.build_request(
                "POST",
                addresses.pinned_url(target, address),
                content=body,
                headers={**headers, "Host": addresses.host_header(target)},
                extensions=extensions,
            )
            response = await client.send(request, stream=True)
            try:
                raw = b""
                async for chunk in response.aiter_raw():
                    raw += chunk
                    if len(raw) >= READ_LIMIT:
                        break
            finally:
                await response.aclose()
    return Answer(
        status=response.status_code,
        excerpt=raw[:READ_LIMIT].decode("utf-8", errors="replace"),
        retry_after=_seconds(response.headers.get("retry-after")),
        message="" if response.is_success else _status_message(response.status_code),
    )


@functools.cache
def _tls() -> ssl.SSLContext:
    """One verifying TLS context per process (loading the CA bundle costs ~50 ms)."""
    return ssl.create_default_context(cafile=certifi.where())


def _status_error(status: int | None) -> str:
    if status is None or 200 <= status < 300:
        return ""
    return "redirect" if 300 <= status < 400 else f"http_{status}"


def _status_message(status: int) -> str:
    if 300 <= status < 400:
        return f"The endpoint answered {status} (a redirect); redirects are not followed."
    return f"The endpoint answered {status}."


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
