"""A job's final message after its last transient failure does not promise a retry.

The providers' transient messages end with "The job will be retried…" because they are
written before the queue decides; ``resilience.gave_up`` turns each wording the providers
use into an honest final message. The wordings below are the providers' own; the test at
the end checks no provider has a wording this list misses.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from canvas.engines.providers.resilience import gave_up

WORDINGS = [
    (
        "Gemini did not answer within 30 seconds. The job will be retried; if it keeps "
        "happening, try a smaller region or another engine.",
        "Gemini did not answer within 30 seconds. Try a smaller region or another engine.",
    ),
    (
        "The ComfyUI server ran out of GPU memory. The job will be retried; if it keeps "
        "failing, select a smaller region or a smaller output size.",
        "The ComfyUI server ran out of GPU memory. Select a smaller region or a smaller "
        "output size.",
    ),
    (
        "OpenAI is busy (too many requests right now). The job will be retried automatically.",
        "OpenAI is busy (too many requests right now).",
    ),
    ("OpenAI had a temporary problem (HTTP 503). The job will be retried.",
     "OpenAI had a temporary problem (HTTP 503)."),
    ("A1111 is busy; the job will be retried.", "A1111 is busy."),
    (
        "The run was stopped on the ComfyUI server (not from Anchorboard); the job will be "
        "retried.",
        "The run was stopped on the ComfyUI server (not from Anchorboard).",
    ),
    ("The test provider is busy.", "The test provider is busy."),
]  # fmt: skip


@pytest.mark.parametrize(("message", "honest"), WORDINGS)
def test_the_final_message_drops_the_retry_promise(message, honest):
    assert gave_up(message, 3) == f"{honest} Gave up after 3 attempts."
    assert gave_up(message, 1).endswith(" Gave up after 1 attempt.")


def test_every_providers_retry_wording_is_one_gave_up_removes():
    """Each retry promise in the providers' source, taken to its sentence's end, is gone
    from gave_up's answer: a new wording fails here rather than in front of a person."""
    root = Path(__file__).resolve().parents[2] / "canvas" / "engines" / "providers"
    found = 0
    for path in root.rglob("*.py"):
        # Python joins adjacent string literals: undo the source's line breaks first.
        text = re.sub(r'"\s*\n\s*(?:f|rf)?"', "", path.read_text())
        for match in re.finditer(r"[Tt]he job will be retried(?: automatically)?[.;][^\"]*", text):
            joint = ". " if match.group(0)[0] == "T" else "; "
            sentence = "Something failed" + joint + match.group(0)
            found += 1
            assert "retried" not in gave_up(sentence, 2), (path.name, sentence)
    assert found >= 15
