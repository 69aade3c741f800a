"""Contact sheets read back with pypdf: page count and the text a client sees (board,
date, names, decisions, comment counts). pdftoppm is not installed here, so pages are not
rendered."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader

from assets.exports.contact_sheet import ContactSheetError, SheetCandidate, write_contact_sheet

DECISIONS = ["approved", "rejected", "changes_requested", None]


def candidates(count: int) -> list[SheetCandidate]:
    return [
        SheetCandidate(
            name=f"Hero shot — Résultat {n}",
            image=Image.new("RGBA" if n % 2 else "RGB", (640, 480), (20 * n % 255, 90, 160)),
            decision=DECISIONS[n % 4],
            comments=n % 3,
            detail=f"gemini · seed {1000 + n}",
        )
        for n in range(1, count + 1)
    ]


def read(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_sheet_lists_every_candidate_with_decision_and_comments():
    out = io.BytesIO()
    pages = write_contact_sheet(
        out, board="Spring campaign", candidates=candidates(8), on=date(2026, 12, 6)
    )
    count, text = read(out.getvalue())
    assert pages == count == 2  # 3 × 2 a page
    assert text.count("Spring campaign") == 2
    assert "6 December 2026" in text and "page 2 of 2" in text
    labels = {"approved": "Approved", "rejected": "Rejected", None: "Awaiting review"}
    labels["changes_requested"] = "Changes requested"
    for candidate in candidates(8):
        comments = f"{candidate.comments} comment" + ("" if candidate.comments == 1 else "s")
        caption = [candidate.name, labels[candidate.decision], candidate.detail, comments]
        assert "\n".join(caption) in text  # each cell's caption, in reading order
    assert text.count("Approved") == 2 and text.count("Awaiting review") == 2
    first = PdfReader(io.BytesIO(out.getvalue())).pages[0]
    assert len(first.images) == 6


def test_empty_sheet_and_layout_limits():
    out = io.BytesIO()
    assert write_contact_sheet(out, board="B", candidates=[], on=date(2026, 1, 2)) == 1
    count, text = read(out.getvalue())
    assert count == 1 and "No candidates to show." in text and "2 January 2026" in text
    with pytest.raises(ContactSheetError):
        write_contact_sheet(io.BytesIO(), board="B", candidates=[], on=date.today(), columns=0)
