"""The pack as an A4 PDF for board papers, with reportlab's platypus: the same sections, tables
and charts as the HTML, and the period, run date and page number on every page."""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (Image, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate,
                                Spacer, Table, TableStyle)

from pipeline.report import style
from pipeline.report.model import Pack, fmt

_styles = getSampleStyleSheet()
H1 = ParagraphStyle("h1", parent=_styles["Heading1"], textColor=colors.HexColor(style.DARK_BLUE))
H2 = ParagraphStyle("h2", parent=_styles["Heading2"], textColor=colors.HexColor(style.DARK_BLUE))
H3 = ParagraphStyle("h3", parent=_styles["Heading3"], spaceAfter=2)
BODY = ParagraphStyle("body", parent=_styles["BodyText"], fontSize=9, leading=12)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=9.5,
                       textColor=colors.HexColor("#505A5F"))
CELL = ParagraphStyle("cell", parent=BODY, fontSize=7, leading=8.5)
WIDTH = A4[0] - 30 * mm
# Images as binary streams rather than ASCII85 text: reportlab's ASCII85 encoder is pure Python
# (a quarter of the PDF's time) and the text form is 25% larger.
rl_config.useA85 = 0


def _p(text: str, st=BODY) -> Paragraph:
    return Paragraph(escape(text), st)


def _image(png: bytes, max_width: float) -> Image:
    img = Image(io.BytesIO(png), mask=None)  # opaque charts: no need to extract a soft mask
    scale = min(1.0, max_width / img.imageWidth)
    img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
    return img


def _table(t) -> list:
    out = [_p(t.title, H3)]
    header = [_p(c, CELL) for c in t.columns]
    # Paragraphs (which wrap) only where text is long; plain strings lay out far faster.
    body = [[_p(fmt(v) if v is not None else "", CELL)
             if j == 0 or (isinstance(v, str) and len(v) > 18) else (fmt(v) if v is not None else "")
             for j, v in enumerate(row)] for row in t.rows]
    if body:
        first = 0.34 if len(t.columns) > 3 else 0.5
        rest = (1 - first) / max(len(t.columns) - 1, 1)
        tbl = Table([header] + body, colWidths=[WIDTH * first] + [WIDTH * rest] * (len(t.columns) - 1),
                    repeatRows=1)
        cmds = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F3F2F1")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#D9D9D9")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTSIZE", (0, 1), (-1, -1), CELL.fontSize),
                ("LEADING", (0, 1), (-1, -1), CELL.leading)]
        if t.total_row:
            cmds.append(("LINEABOVE", (0, -1), (-1, -1), 1, colors.black))
        tbl.setStyle(TableStyle(cmds))
        out.append(tbl)
    if t.note:
        out.append(_p(t.note, SMALL))
    out.append(Spacer(1, 4 * mm))
    return out


def write(pack: Pack, path: Path) -> Path:
    footer = f"{pack.title} | Period: {pack.period_label} | Run on {pack.run_date}"

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#505A5F"))
        canvas.drawString(15 * mm, 9 * mm, footer)
        canvas.drawRightString(A4[0] - 15 * mm, 9 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=18 * mm, title=pack.title,
                            author="lscb", subject=pack.period_label)
    story: list = [_p(pack.title, H1),
                   _p(f"Period: {pack.period_label}. Council code {pack.la_code}. "
                      f"Run on {pack.run_date}.", SMALL)]
    for n, section in enumerate(pack.sections):
        if n:
            story.append(PageBreak())
        story.append(_p(section.title, H2))
        for para in section.paragraphs:
            story.append(_p(("\u2022 " + para[2:]) if para.startswith("- ") else para))
        for ind in section.indicators:
            block = [_p(ind.title, H3), _p(ind.definition, SMALL),
                     _p(f"{ind.latest} {ind.window}, {pack.period_label}. {ind.variation}.")]
            if ind.chart:
                block.append(_image(ind.chart.png, WIDTH * 0.8))
            story.append(KeepTogether(block))
            if ind.benchmark:
                story.append(_image(ind.benchmark.png, WIDTH * 0.8))
            story += [_p(note, SMALL) for note in ind.notes]
            story.append(Spacer(1, 3 * mm))
        for t in section.tables:
            story += _table(t)
    story += [PageBreak(), _p("Notes", H2),
              _p("Symbols: c suppressed (a count from 1 to 5, a figure derived from one, or a "
                 "further figure hidden so that it cannot be worked out from a total); x not "
                 "available."),
              _p("XmR charts: the solid line is the mean, the dashed lines the natural process "
                 "limits (mean plus or minus 2.66 times the mean moving range). Coloured points "
                 "show special-cause variation (NHS England, Making Data Count): blue "
                 "improvement, orange concern, pink neither. A dotted line is the local target.")]
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return path
