"""Contact sheet PDFs for clients: a grid of candidates with their names, decisions and
comment counts under the board's name and the date.

Drawn with ReportLab's canvas. Text is set in Bitstream Vera (shipped inside ReportLab),
embedded as a TrueType subset, so names with accents print and can be searched and copied
from the PDF. Thumbnails are converted to sRGB, reduced to ``thumb_px`` on the long edge
and embedded as JPEG (transparency flattened over white), so a sheet of 60 candidates stays
a few megabytes.

Must not import Django or ``canvas``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO, Literal

import reportlab
from PIL import Image
from reportlab.lib.pagesizes import A4, landscape, letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from assets.exports.images import to_srgb

FONT, BOLD = "AnchorboardVera", "AnchorboardVera-Bold"
MARGIN = 36.0  # points (half an inch)
HEADER = 54.0
CAPTION = 30.0
GUTTER = 14.0
# What a decision looks like on the sheet: label and colour (RGB 0–1).
DECISIONS = {
    "approved": ("Approved", (0.12, 0.55, 0.27)),
    "changes_requested": ("Changes requested", (0.80, 0.52, 0.05)),
    "rejected": ("Rejected", (0.75, 0.16, 0.16)),
    None: ("Awaiting review", (0.45, 0.45, 0.45)),
}


@dataclass(frozen=True)
class SheetCandidate:
    """One cell: the picture, its name, the latest decision (``None``: awaiting review),
    how many comments it has, and an optional second line (engine, seed …)."""

    name: str
    image: Image.Image
    decision: str | None = None
    comments: int = 0
    detail: str = ""


class ContactSheetError(ValueError):
    """The sheet cannot be laid out as asked (the message says why)."""


def register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "VeraBd.ttf")))


def write_contact_sheet(
    out: BinaryIO,
    *,
    board: str,
    candidates: Sequence[SheetCandidate],
    on: date,
    title: str = "Contact sheet",
    columns: int = 3,
    rows: int = 2,
    paper: Literal["a4", "letter"] = "a4",
    thumb_px: int = 900,
) -> int:
    """Write the sheet to ``out``; returns the number of pages.

    Landscape ``paper``, ``columns`` × ``rows`` candidates a page, in the order given.
    Every page carries the board's name, ``title``, the date ``on`` and "page n of N".
    An empty ``candidates`` gives one page that says so.
    """
    if not 1 <= columns <= 8 or not 1 <= rows <= 8:
        raise ContactSheetError("A sheet has 1 to 8 columns and 1 to 8 rows.")
    register_fonts()
    width, height = landscape(A4 if paper == "a4" else letter)
    per_page = columns * rows
    pages = max(1, -(-len(candidates) // per_page))
    cell_w = (width - 2 * MARGIN - (columns - 1) * GUTTER) / columns
    cell_h = (height - 2 * MARGIN - HEADER - (rows - 1) * GUTTER) / rows
    pdf = Canvas(out, pagesize=(width, height), pageCompression=1, invariant=1)
    pdf.setTitle(f"{board} — {title}")
    pdf.setAuthor("Anchorboard")
    pdf.setSubject(f"{len(candidates)} candidates, {on.isoformat()}")
    for page in range(pages):
        _header(pdf, board, title, on, (page + 1, pages), (width, height))
        chunk = candidates[page * per_page : (page + 1) * per_page]
        if not chunk:
            pdf.setFont(FONT, 12)
            pdf.drawString(MARGIN, height - MARGIN - HEADER - 20, "No candidates to show.")
        for index, candidate in enumerate(chunk):
            column, row = index % columns, index // columns
            x = MARGIN + column * (cell_w + GUTTER)
            y = height - MARGIN - HEADER - (row + 1) * cell_h - row * GUTTER
            _cell(pdf, candidate, (x, y, cell_w, cell_h), thumb_px)
        pdf.showPage()
    pdf.save()
    return pages


def _header(
    pdf: Canvas,
    board: str,
    title: str,
    on: date,
    page: tuple[int, int],
    size: tuple[float, float],
) -> None:
    width, height = size
    top = height - MARGIN
    pdf.setFillColorRGB(0.1, 0.1, 0.1)
    pdf.setFont(BOLD, 16)
    pdf.drawString(MARGIN, top - 16, _fit(board, BOLD, 16, width * 0.6))
    pdf.setFont(FONT, 10)
    pdf.drawString(MARGIN, top - 32, title)
    pdf.drawRightString(width - MARGIN, top - 16, on.strftime("%d %B %Y").lstrip("0"))
    pdf.drawRightString(width - MARGIN, top - 32, f"page {page[0]} of {page[1]}")
    pdf.setStrokeColorRGB(0.8, 0.8, 0.8)
    pdf.line(MARGIN, top - 40, width - MARGIN, top - 40)


def _cell(
    pdf: Canvas, candidate: SheetCandidate, box: tuple[float, float, float, float], px: int
) -> None:
    x, y, width, height = box
    picture_h = height - CAPTION
    image = _thumbnail(candidate.image, px)
    scale = min(width / image.width, picture_h / image.height)
    draw_w, draw_h = image.width * scale, image.height * scale
    encoded = io.BytesIO()
    image.save(encoded, "JPEG", quality=85)
    pdf.drawImage(
        ImageReader(encoded),
        x + (width - draw_w) / 2,
        y + CAPTION + (picture_h - draw_h) / 2,
        draw_w,
        draw_h,
    )
    label, colour = DECISIONS.get(candidate.decision, (str(candidate.decision), (0.2, 0.2, 0.2)))
    comments = f"{candidate.comments} comment" + ("" if candidate.comments == 1 else "s")
    pdf.setFillColorRGB(0.1, 0.1, 0.1)
    pdf.setFont(BOLD, 9)
    pdf.drawString(x, y + 18, _fit(candidate.name, BOLD, 9, width * 0.62))
    pdf.setFillColorRGB(*colour)
    pdf.drawRightString(x + width, y + 18, label)
    pdf.setFillColorRGB(0.35, 0.35, 0.35)
    pdf.setFont(FONT, 8)
    pdf.drawString(x, y + 6, _fit(candidate.detail, FONT, 8, width * 0.7))
    pdf.drawRightString(x + width, y + 6, comments)


def _thumbnail(image: Image.Image, px: int) -> Image.Image:
    srgb = to_srgb(image)
    srgb.thumbnail((px, px), Image.Resampling.LANCZOS)
    if srgb.mode == "RGBA":
        flat = Image.new("RGB", srgb.size, (255, 255, 255))
        flat.paste(srgb, mask=srgb.getchannel("A"))
        return flat
    return srgb


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` points."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"
