"""The signature scheme (canvas.webhooks.signing): what a receiver checks."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from canvas.webhooks import signing

SECRET = "whsec_test-secret"
BODY = b'{"id":"e1","type":"job.succeeded"}'
T = 1_767_000_000


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signing.header([SECRET], T, BODY) == f"t={T},v1={expected}"


def test_verify_accepts_the_right_secret_and_returns_the_timestamp():
    value = signing.header([SECRET], T, BODY)
    assert signing.verify(value, BODY, SECRET, now=T + 10) == T


@pytest.mark.parametrize(
    ("secret", "body", "now", "why"),
    [
        ("whsec_wrong", BODY, T, "No signature matches"),
        (SECRET, BODY + b" ", T, "No signature matches"),
        (SECRET, BODY.replace(b"succeeded", b"failed"), T, "No signature matches"),
        (SECRET, BODY, T + 301, "outside the tolerance"),
        (SECRET, BODY, T - 301, "outside the tolerance"),
    ],
    ids=["wrong secret", "altered body", "altered field", "stale", "from the future"],
)
def test_verify_refuses(secret, body, now, why):
    value = signing.header([SECRET], T, BODY)
    with pytest.raises(signing.SignatureError, match=why):
        signing.verify(value, body, secret, now=now)


def test_a_replayed_header_on_a_new_timestamp_does_not_verify():
    # Moving t= forward to dodge the tolerance breaks the signature: t is signed too.
    value = signing.header([SECRET], T, BODY).replace(f"t={T}", f"t={T + 1000}")
    with pytest.raises(signing.SignatureError, match="No signature matches"):
        signing.verify(value, BODY, SECRET, now=T + 1000)


def test_either_of_two_signatures_verifies_while_a_secret_is_rolled():
    value = signing.header(["whsec_new", "whsec_old"], T, BODY)
    assert value.count("v1=") == 2
    assert signing.verify(value, BODY, "whsec_new", now=T) == T
    assert signing.verify(value, BODY, "whsec_old", now=T) == T


@pytest.mark.parametrize("value", ["", "v1=abc", f"t={T}", "t=soon,v1=abc"])
def test_malformed_headers_are_refused(value):
    with pytest.raises(signing.SignatureError):
        signing.verify(value, BODY, SECRET, now=T)
