"""A report Document as an A4 PDF (reportlab platypus), every text in the embedded CJK font."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm, mm
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as RLTable

from scoring.feedback.content import Chart, Document, Fields, Heading, Para, Table
from scoring.feedback.fonts import pdf_font

MARGIN = 15 * mm
WIDTH = A4[0] - 2 * MARGIN
HEAD_BG = colors.HexColor("#DDE7F0")
GRID = colors.HexColor("#B0BEC5")


def styles() -> dict[str, ParagraphStyle]:
    font = pdf_font()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12.5, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=22, alignment=TA_CENTER, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11, leading=15, alignment=TA_CENTER, spaceAfter=2),
        "line": ParagraphStyle("line", parent=base, fontSize=8.5, alignment=TA_CENTER, textColor=colors.HexColor("#455A64")),
        "h": ParagraphStyle("h", parent=base, fontSize=12, leading=16, spaceBefore=9, spaceAfter=4,
                            textColor=colors.HexColor("#1F4E79")),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.6, leading=9.6),
        "num": ParagraphStyle("num", parent=base, fontSize=7.6, leading=9.6, alignment=TA_RIGHT),
        "key": ParagraphStyle("key", parent=base, fontSize=8.6, leading=11, textColor=colors.HexColor("#37474F")),
        "muted": ParagraphStyle("muted", parent=base, fontSize=8.4, textColor=colors.HexColor("#607D8B")),
        "alert": ParagraphStyle("alert", parent=base, textColor=colors.HexColor("#C62828")),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """Data is text, never markup: escaped before reportlab parses its mini-language."""
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _table(block: Table, st: dict) -> RLTable:
    total = sum(block.widths)
    widths = [WIDTH * w / total for w in block.widths]
    head = [_p(h, st["cell"]) for h in block.header]
    body = [[_p(v, st["num"] if j in block.numeric else st["cell"]) for j, v in enumerate(r)] for r in block.rows]
    table = RLTable([head, *body], colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG), ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        *[("BACKGROUND", (0, i), (-1, i), colors.HexColor("#F7F9FB")) for i in range(2, len(body) + 1, 2)]]))
    return table


def _fields(block: Fields, st: dict) -> RLTable:
    table = RLTable([[_p(k, st["key"]), _p(v, st["base"])] for k, v in block.rows], colWidths=[WIDTH * 0.24, WIDTH * 0.76])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, GRID), ("BACKGROUND", (0, 0), (0, -1), HEAD_BG),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def render_pdf(doc: Document) -> bytes:
    st = styles()
    out = io.BytesIO()
    font = pdf_font()

    def footer(canvas, d) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor("#78909C"))
        canvas.drawCentredString(A4[0] / 2, 9 * mm, doc.footer.format(page=d.page))
        canvas.restoreState()

    pdf = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN + 4 * mm, title=doc.title + " " + doc.subtitle, author="Sanwei",
                            lang="zh-CN" if doc.lang == "zh" else "en")
    story = [_p(doc.title, st["title"]), _p(doc.subtitle, st["subtitle"]), *[_p(x, st["line"]) for x in doc.lines],
             Spacer(1, 4 * mm)]
    pending: list = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            pending = [_p(block.text, st["h"])]  # a heading stays with what follows it
            continue
        if isinstance(block, Para):
            flow = _p(block.text, st[block.tone] if block.tone else st["base"])
        elif isinstance(block, Fields):
            flow = _fields(block, st)
        elif isinstance(block, Table):
            flow = _table(block, st)
        elif isinstance(block, Chart):
            img = Image(io.BytesIO(block.png))
            scale = min(block.width_cm * cm, WIDTH) / img.imageWidth
            img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
            flow = img
        else:
            continue
        story.append(KeepTogether([*pending, flow]) if pending else flow)
        pending = []
    story.extend(pending)
    pdf.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
