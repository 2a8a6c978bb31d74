"""The published ranking of a quarter as a formatted, formula-safe workbook (`sanwei export`)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pandas as pd

from scoring.export import RANKING_SHEET, ranking_sheet
from scoring.safe_export import SheetStyle, write_xlsx
from scoring.store.store import Store

ABOUT_SHEET = "说明 about"


def write_ranking_xlsx(store: Store, period: str, out: str | Path | BytesIO, lang: str = "zh") -> None:
    """Frozen header, number formats, grade colouring (scoring.export); every text cell neutralised
    against formula injection (CWE-1236) and written as text; an about sheet says which version."""
    rankings = store.rankings(period)
    info = store.version(period)
    ranking, style = ranking_sheet(rankings, store.model(period).tier_labels(), lang)
    about = pd.DataFrame([
        ("期次 period", period), ("版本 version", str(info.number)), ("发布人 published by", info.published_by or ""),
        ("发布时间 published at", info.published_at or ""), ("模型 model", info.model_label),
        ("校验和 checksum", info.checksum), ("上期 previous period", rankings.attrs.get("previous_period") or ""),
    ], columns=["key", "value"])
    write_xlsx({RANKING_SHEET: ranking, ABOUT_SHEET: about}, out,
               {RANKING_SHEET: style, ABOUT_SHEET: SheetStyle(widths={"key": 24, "value": 70}, header=False)})
