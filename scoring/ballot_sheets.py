"""Printable ballot sheets: one PDF per rater unit, each ballot a slip with its link and QR code.

The tokens exist in clear only here, once, right after they are made (the store keeps hashes), so
the sheets are built in memory and handed to the officer as one zip. QR codes are drawn as vector
squares from segno's matrix (crisp at any printer resolution, no image library); Chinese text uses
reportlab's built-in STSong-Light CID font, so no font file has to be installed.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from scoring import i18n

CJK = "STSong-Light"
COLS, ROWS = 2, 4           # slips per page
MARGIN = 12 * mm
HEADER = 28 * mm
QR_SIZE = 38 * mm

pdfmetrics.registerFont(UnicodeCIDFont(CJK))


def ballot_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/ballot?t={token}"


def _qr(c: canvas.Canvas, data: str, x: float, y: float, size: float) -> None:
    """The QR code of `data` with its lower left corner at (x, y), `size` wide including the quiet zone."""
    matrix = segno.make(data, error="m", micro=False).matrix
    border = 2
    n = len(matrix) + 2 * border
    cell = size / n
    c.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for col, dark in enumerate(row):
            if dark:
                c.rect(x + (col + border) * cell, y + size - (r + border + 1) * cell, cell, cell, stroke=0, fill=1)


def unit_sheet(period: str, closes_on: date, unit_name: str, tokens: Sequence[str], base_url: str,
               lang: str = "zh") -> bytes:
    """One rater unit's ballots as a PDF: a header with the instructions, then cut-out slips."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle(i18n.t("sheet.title", lang, period=period))
    width, height = A4
    slip_w = (width - 2 * MARGIN) / COLS
    slip_h = (height - 2 * MARGIN - HEADER) / ROWS
    per_page = COLS * ROWS
    for start in range(0, max(len(tokens), 1), per_page):
        c.setFont(CJK, 14)
        c.drawString(MARGIN, height - MARGIN - 6 * mm, i18n.t("sheet.title", lang, period=period))
        c.setFont(CJK, 11)
        c.drawString(MARGIN, height - MARGIN - 13 * mm, i18n.t("sheet.unit", lang, unit=unit_name))
        c.setFont(CJK, 8)
        c.drawString(MARGIN, height - MARGIN - 20 * mm, i18n.t("sheet.howto", lang, closes=closes_on.isoformat()))
        for i, token in enumerate(tokens[start:start + per_page]):
            col, row = i % COLS, i // COLS
            x = MARGIN + col * slip_w
            y = height - MARGIN - HEADER - (row + 1) * slip_h
            c.setDash(3, 3)
            c.setStrokeColorRGB(0.6, 0.6, 0.6)
            c.rect(x, y, slip_w, slip_h, stroke=1, fill=0)
            c.setDash()
            url = ballot_url(base_url, token)
            _qr(c, url, x + 4 * mm, y + (slip_h - QR_SIZE) / 2, QR_SIZE)
            tx = x + QR_SIZE + 7 * mm
            c.setFont(CJK, 10)
            c.drawString(tx, y + slip_h - 10 * mm, i18n.t("sheet.slip", lang, i=start + i + 1, n=len(tokens)))
            c.setFont(CJK, 8)
            c.drawString(tx, y + slip_h - 16 * mm, i18n.t("sheet.unit", lang, unit=unit_name))
            c.setFont("Courier", 6.5)
            text_w = slip_w - QR_SIZE - 10 * mm
            per_line = max(int(text_w / (6.5 * 0.6)), 10)
            for n, k in enumerate(range(0, len(url), per_line)):
                c.drawString(tx, y + slip_h - 24 * mm - n * 3.2 * mm, url[k:k + per_line])
            c.linkURL(url, (x, y, x + slip_w, y + slip_h), relative=0)
        c.showPage()
    c.save()
    return buf.getvalue()


def _file_name(unit_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", unit_id) or "unit"


def sheets_zip(period: str, closes_on: date, tokens: Mapping[str, Sequence[str]], names: Mapping[str, str],
               base_url: str, lang: str = "zh") -> bytes:
    """Every rater unit's PDF in one zip, named by unit code."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for unit_id, unit_tokens in sorted(tokens.items()):
            if unit_tokens:
                z.writestr(f"{_file_name(unit_id)}.pdf",
                           unit_sheet(period, closes_on, names.get(unit_id, unit_id), unit_tokens, base_url, lang))
    return buf.getvalue()
