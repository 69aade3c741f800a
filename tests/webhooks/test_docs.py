"""docs/webhooks.md's example verifier agrees with what Anchorboard signs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from canvas.webhooks import signing

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
BODY = b'{"id":"e1","type":"job.succeeded"}'


@pytest.fixture(scope="module")
def verify():
    """``verify_anchorboard_signature`` as the page prints it (the server loop left out)."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    (example,) = [b for b in blocks if "def verify_anchorboard_signature" in b]
    code = example.split("handled = set()")[0]
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 (our own documentation)
    return namespace["verify_anchorboard_signature"]


def test_the_documented_verifier_accepts_our_signature(verify):
    header = signing.header(["whsec_a", "whsec_old"], 1_767_000_000, BODY)
    assert verify(header, BODY, "whsec_a", now=1_767_000_000) == 1_767_000_000
    assert verify(header, BODY, "whsec_old", now=1_767_000_100) == 1_767_000_000


@pytest.mark.parametrize(
    ("secret", "body", "now"),
    [("whsec_b", BODY, 1_767_000_000), ("whsec_a", BODY + b"x", 1_767_000_000),
     ("whsec_a", BODY, 1_767_000_301)],
    ids=["wrong secret", "altered body", "stale"],
)  # fmt: skip
def test_the_documented_verifier_refuses(verify, secret, body, now):
    header = signing.header(["whsec_a"], 1_767_000_000, BODY)
    with pytest.raises(ValueError):
        verify(header, body, secret, now=now)
