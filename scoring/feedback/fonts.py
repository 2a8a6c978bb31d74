"""The CJK font the documents embed: a TrueType font with both Chinese and Latin glyphs.

WenQuanYi Micro Hei (Debian's fonts-wqy-microhei, installed by .ci/run) is the first choice; a
font may also be named with $SANWEI_CJK_FONT. Without any, the PDF falls back to reportlab's
built-in CID font STSong-Light (not embedded: the reader's viewer supplies the glyphs) and charts
to matplotlib's default font.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
PDF_FONT = "SanweiCJK"
CID_FALLBACK = "STSong-Light"


@cache
def cjk_path() -> Path | None:
    """The first CJK TrueType font found, or None."""
    for p in (os.environ.get("SANWEI_CJK_FONT"), *CANDIDATES):
        if p and Path(p).is_file():
            return Path(p)
    return None


@cache
def pdf_font() -> str:
    """The registered reportlab font name to write every text with."""
    from reportlab.pdfbase import pdfmetrics

    path = cjk_path()
    if path is not None:
        from reportlab.pdfbase.ttfonts import TTFont

        try:
            pdfmetrics.registerFont(TTFont(PDF_FONT, str(path), subfontIndex=0))
            return PDF_FONT
        except Exception:  # noqa: BLE001 - an unusable font file: fall back, never fail the report
            pass
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    return CID_FALLBACK


@cache
def chart_family() -> list[str]:
    """matplotlib font families: the CJK font first (registered once), then its default."""
    from matplotlib import font_manager

    path = cjk_path()
    if path is None:
        return ["DejaVu Sans"]
    font_manager.fontManager.addfont(str(path))
    return [font_manager.FontProperties(fname=str(path)).get_name(), "DejaVu Sans"]
