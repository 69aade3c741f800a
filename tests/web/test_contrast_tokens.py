"""The colour tokens in static/css/app.css meet WCAG 2.2 AA where docs/frontend.md says.

Text needs 4.5:1 against what it sits on (1.4.3), the parts of a control that identify it
and the focus ring need 3:1 (1.4.11). axe checks the text it can see on each page
(tests/browser/test_accessibility.py); this holds the tokens themselves to the numbers,
including states axe never sees (hover, focus, a pressed toggle).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

APP_CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"


def tokens() -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\n\}", APP_CSS.read_text(), re.S)
    assert root, "app.css has no :root block"
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", root.group(1)))


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


WHITE = "#ffffff"
BACKGROUNDS = ("bg", "panel", "panel-raised")

# (foreground token or colour, background tokens, minimum ratio, why)
PAIRS = [
    (WHITE, ["accent-strong", "accent-hover"], 4.5, "white text on primary buttons"),
    ("accent-strong", list(BACKGROUNDS[:2]), 3.0, "a primary button against the page"),
    ("focus", list(BACKGROUNDS), 3.0, "the focus ring"),
    ("control-border", list(BACKGROUNDS), 3.0, "input and select borders"),
    ("text", list(BACKGROUNDS), 4.5, "body text"),
    ("muted", list(BACKGROUNDS), 4.5, "secondary text"),
    ("accent", list(BACKGROUNDS), 4.5, "links"),
    ("anchor-composition", list(BACKGROUNDS), 4.5, "the composition anchor's label"),
    ("danger", list(BACKGROUNDS[:2]), 4.5, "error text"),
]


@pytest.mark.parametrize(("fg", "bgs", "minimum", "why"), PAIRS, ids=[p[3] for p in PAIRS])
def test_token_contrast(fg, bgs, minimum, why):
    t = tokens()
    fg_colour = t.get(fg, fg)
    for bg in bgs:
        ratio = contrast(fg_colour, t[bg])
        assert ratio >= minimum, f"{why}: --{fg} on --{bg} is {ratio:.2f}:1, needs {minimum}:1"


def test_contrast_formula_matches_wcag():
    assert contrast("#000000", WHITE) == pytest.approx(21.0)
    assert contrast("#777777", WHITE) == pytest.approx(4.48, abs=0.01)
