"""The webhook signature: HMAC-SHA256 of ``"<unix time>." + body``, the Stripe-style scheme.

A delivery carries ``Anchorboard-Signature: t=1767000000,v1=<hex>`` (two ``v1`` values
while a rolled secret's predecessor is still honoured). A receiver recomputes the HMAC
with its secret over the exact bytes it received, compares in constant time, and refuses
a timestamp outside its tolerance (a replayed request). ``verify`` is that receiver side,
the one docs/webhooks.md shows and the tests' receiver uses.

Plain Python, no Django: a receiver could copy this module as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Anchorboard-Signature"
EVENT_ID_HEADER = "Anchorboard-Event-Id"
EVENT_TYPE_HEADER = "Anchorboard-Event-Type"
DELIVERY_ID_HEADER = "Anchorboard-Delivery-Id"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The request is not signed with this secret, was altered, or is too old."""


def compute(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``f"{timestamp}."`` followed by the body bytes."""
    message = f"{int(timestamp)}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header(secrets: list[str], timestamp: int, body: bytes) -> str:
    """The header value: ``t=<timestamp>`` then one ``v1=`` per secret (newest first)."""
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    signatures = ",".join(f"{SCHEME}={compute(s, timestamp, body)}" for s in secrets)
    return f"t={int(timestamp)},{signatures}"


def parse(value: str) -> tuple[int, list[str]]:
    """``(timestamp, [v1 signatures])`` from a header value; SignatureError if malformed."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in (value or "").split(","):
        key, _, item = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(item)
            except ValueError:
                raise SignatureError("The signature's timestamp is not a number.") from None
        elif key == SCHEME and item:
            signatures.append(item)
    if timestamp is None or not signatures:
        raise SignatureError(f"The {SIGNATURE_HEADER} header needs t= and at least one v1=.")
    return timestamp, signatures


def verify(
    value: str,
    body: bytes,
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check a received ``Anchorboard-Signature`` header against the raw ``body``.

    Returns the signed timestamp; raises SignatureError when no ``v1`` matches (wrong
    secret, altered body) or the timestamp is more than ``tolerance`` seconds from ``now``
    (a replay). Every comparison is constant-time.
    """
    timestamp, signatures = parse(value)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError("The signature's timestamp is outside the tolerance (a replay?).")
    expected = compute(secret, timestamp, body)
    # Compare against every v1 (no early exit on the first match's position).
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("No signature matches this secret and body.")
    return timestamp
