"""The pilot report as a PDF a creative-ops lead can forward: the verdicts first, then each
test's numbers and images, then the raw rows behind them.

Laid out with ReportLab's platypus (flowing text and tables, page breaks by itself) in the
Bitstream Vera fonts the contact sheet registers (assets.exports.contact_sheet), so names
with accents print and the text can be searched. The words and numbers come from
canvas.pilot.presenting, the same reading the report page uses. Images are the pilot's
results and anchors at a 256-px preview level; one that cannot be read (file gone, corrupt)
is named in words instead of failing the document.
"""

from __future__ import annotations

import io
import logging
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image as PdfImage,
)
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from assets.derivatives import render_one
from assets.exports.contact_sheet import BOLD, FONT, register_fonts
from assets.models import Asset
from canvas.pilot import presenting
from canvas.pilot.models import PilotRun

logger = logging.getLogger(__name__)

THUMB_PX = 256  # the preview level read for each image
THUMB_MM = 38.0  # its width on the page
VERDICT_COLOURS = {
    "production": colors.Color(0.12, 0.55, 0.27),
    "ideation": colors.Color(0.80, 0.52, 0.05),
    None: colors.Color(0.45, 0.45, 0.45),
}


def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13)
    return {
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=18, leading=23),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=BOLD, fontSize=13, leading=17, spaceBefore=10, spaceAfter=4
        ),
        "h3": ParagraphStyle(
            "h3", parent=base, fontName=BOLD, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=2
        ),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "muted": ParagraphStyle("muted", parent=base, textColor=colors.Color(0.4, 0.4, 0.4)),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _verdict(label: str, verdict: str | None, styles: dict[str, ParagraphStyle]) -> Paragraph:
    colour = VERDICT_COLOURS.get(verdict, VERDICT_COLOURS[None]).hexval()[2:]
    return Paragraph(f'<font color="#{colour}"><b>{escape(label)}</b></font>', styles["h3"])


def _grid(rows: list[list[Any]], heads: list[str] | None, widths: list[float] | None = None):
    data = ([heads] if heads else []) + rows
    table = Table(data, colWidths=widths, repeatRows=1 if heads else 0)
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, 8),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.Color(0.8, 0.8, 0.8)),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if heads:
        style += [
            ("FONT", (0, 0), (-1, 0), BOLD, 8),
            ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
        ]
    table.setStyle(TableStyle(style))
    return table


def _cells(rows: list[list[str]], style: ParagraphStyle) -> list[list[Paragraph]]:
    """Rows as paragraphs, so long cells (messages, flags) wrap instead of overflowing."""
    return [[_p(cell, style) for cell in row] for row in rows]


def _thumbnail(image_ref: dict[str, Any], styles: dict[str, ParagraphStyle]) -> list[Any]:
    label = image_ref.get("label", "")
    try:
        asset = Asset.objects.select_related("blob").get(pk=image_ref["asset"])
        picture = render_one(asset.blob, THUMB_PX).convert("RGB")
    except Exception:  # the document must not fail for one unreadable image
        logger.warning("pilot PDF: image %s could not be read", image_ref.get("asset"))
        return [_p(f"{label}: image not available", styles["small"])]
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    width = THUMB_MM * mm
    height = width * picture.height / max(1, picture.width)
    return [PdfImage(buffer, width=width, height=height), _p(label, styles["small"])]


def _images(images: list[dict[str, Any]], styles: dict[str, ParagraphStyle]) -> Table | None:
    cells: list[Any] = [_thumbnail(ref, styles) for ref in images if ref.get("asset")]
    if not cells:
        return None
    per_row = 4
    rows = [cells[i : i + per_row] for i in range(0, len(cells), per_row)]
    rows[-1] += [""] * (per_row - len(rows[-1]))
    table = Table(rows, colWidths=[(THUMB_MM + 4) * mm] * per_row)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _test_section(view: presenting.TestView, styles: dict[str, ParagraphStyle]) -> list[Any]:
    flow: list[Any] = [
        _p(view.title, styles["h2"]),
        _verdict(f"{view.verdict_label} · {view.status_label}", view.verdict, styles),
        _p(view.reason, styles["body"]),
        Spacer(1, 4),
    ]
    if view.numbers:
        numbers = _grid([list(n) for n in view.numbers], None, [70 * mm, 40 * mm])
        flow.append(KeepTogether([numbers]))
    if view.thresholds:
        flow += [_p("Judged by", styles["h3"]), _grid([list(t) for t in view.thresholds], None)]
    for table in view.tables:
        if table.rows:
            grid = _grid(_cells(table.rows, styles["small"]), table.heads)
            flow += [_p(table.caption, styles["h3"]), grid]
    grid = _images(view.images, styles)
    if grid is not None:
        flow += [_p("Images", styles["h3"]), grid]
    return flow


def _settings_line(settings: dict[str, Any]) -> str:
    burst = ", as one burst" if settings.get("burst") else ""
    return (
        f"Settings: {settings.get('jobs', '—')} latency jobs at concurrency "
        f"{settings.get('concurrency', '—')}{burst}; {settings.get('variations', '—')} "
        f"variations; prompt “{settings.get('prompt', '')}”."
    )


def render_pdf(run: PilotRun) -> bytes:
    """The whole report of ``run`` as PDF bytes (a run still going prints what it has)."""
    styles = _styles()
    report: dict[str, Any] = run.report or {}
    views = presenting.test_views(report)
    verdict = report.get("verdict")
    flow: list[Any] = [
        _p(f"Pilot report: {run.engine} ({run.provider})", styles["title"]),
        _p(
            f"Board “{run.board.name}” · started "
            f"{(report.get('started_at') or '—')[:16].replace('T', ' ')} UTC"
            f" by {report.get('started_by') or 'someone'} · run {run.pk}",
            styles["muted"],
        ),
        Spacer(1, 6),
        _verdict(f"Verdict: {presenting.VERDICT_LABELS.get(verdict, 'Pending')}", verdict, styles),
        _p(report.get("reason", ""), styles["body"]),
        Spacer(1, 4),
        _grid(
            [[view.title, view.verdict_label, view.reason] for view in views],
            ["Test", "Verdict", "Why"],
            [62 * mm, 24 * mm, 90 * mm],
        ),
        Spacer(1, 4),
        _p(_settings_line(report.get("settings", {})), styles["muted"]),
    ]
    for view in views:
        flow += _test_section(view, styles)
    raws = [view for view in views if view.raw is not None]
    if raws:
        flow += [PageBreak(), _p("Raw data", styles["title"])]
        for view in raws:
            assert view.raw is not None
            flow += [
                _p(f"{view.title}: {view.raw.caption.lower()}", styles["h2"]),
                _grid(_cells(view.raw.rows, styles["small"]), view.raw.heads),
            ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"Pilot report: {run.engine}",
        author="Anchorboard",
    )
    document.build(flow)
    return buffer.getvalue()
