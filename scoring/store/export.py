"""The published ranking of a quarter as a formatted, formula-safe workbook (`sanwei export`)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pandas as pd
import xlsxwriter

from scoring.safe_export import neutralise_frame
from scoring.store.store import Store

COLUMNS = {  # result column -> header; scores get two decimals, changes a sign
    "rank_overall": "总排名 rank", "rank_group": "组内排名 group rank", "unit_id": "单位编码 unit id",
    "unit_name": "单位名称 unit", "unit_type": "单位类型 type", "group": "考核组别 group", "total": "总分 total",
    "mass": "群众评价 mass", "performance": "实绩数据 performance", "compliance": "过程合规 compliance",
    "bonus": "加分 bonus", "deduction": "扣分 deduction", "grade": "等次 grade",
    "delta_total": "较上季度 change", "rank_change": "名次变化 rank change", "veto": "一票否决 veto",
    "status": "状态 status", "flags": "提示 flags",
}
SCORES = {"total", "mass", "performance", "compliance", "bonus", "deduction"}
CHANGES = {"delta_total", "rank_change"}
# best tier first; a model with more tiers reuses the last colour
TIER_FILLS = ["#C6EFCE", "#DDEBF7", "#FFEB9C", "#FFC7CE"]


def ranking_frame(rankings: pd.DataFrame) -> pd.DataFrame:
    """Store.rankings() in export column order, flags joined into one cell."""
    df = rankings[list(COLUMNS)].copy()
    df["flags"] = ["；".join(f) for f in df["flags"]]
    return df


def write_ranking_xlsx(store: Store, period: str, out: str | Path | BytesIO) -> None:
    """Frozen header, number formats, grade colouring; every text cell neutralised against
    formula injection (CWE-1236) before it is written, and written as text."""
    rankings = store.rankings(period)
    df = neutralise_frame(ranking_frame(rankings))
    info = store.version(period)
    tiers = store.model(period).tier_labels()
    wb = xlsxwriter.Workbook(out, {"nan_inf_to_errors": False, "strings_to_formulas": False,
                                   "strings_to_urls": False})
    head = wb.add_format({"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF", "text_wrap": True,
                          "valign": "vcenter", "border": 1})
    fmt = {"score": wb.add_format({"num_format": "0.00"}), "change": wb.add_format({"num_format": "+0.00;-0.00;0.00"}),
           "rank_change": wb.add_format({"num_format": "+0;-0;0"}), "int": wb.add_format({"num_format": "0"})}
    ws = wb.add_worksheet("排名 ranking")
    for j, col in enumerate(df.columns):
        ws.write_string(0, j, COLUMNS[col], head)
        cell_fmt = fmt["score"] if col in SCORES else fmt["change"] if col == "delta_total" else \
            fmt["rank_change"] if col == "rank_change" else fmt["int"] if col.startswith("rank") else None
        ws.set_column(j, j, 60 if col == "flags" else 28 if col in ("unit_name", "veto") else 12)
        for i, v in enumerate(df[col].tolist(), start=1):
            if v is None or v is pd.NA or (isinstance(v, float) and v != v):
                continue
            if isinstance(v, str):
                ws.write_string(i, j, v)
            else:
                ws.write_number(i, j, float(v), cell_fmt)
    ws.freeze_panes(1, 0)
    ws.set_row(0, 32)
    ws.autofilter(0, 0, len(df), len(df.columns) - 1)
    g = list(df.columns).index("grade")
    for k, label in enumerate(tiers):
        fill = wb.add_format({"bg_color": TIER_FILLS[min(k, len(TIER_FILLS) - 1)]})
        ws.conditional_format(1, g, max(len(df), 1), g, {"type": "cell", "criteria": "==",
                                                         "value": f'"{label}"', "format": fill})
    about = wb.add_worksheet("说明 about")
    rows = [("期次 period", period), ("版本 version", str(info.number)), ("发布人 published by", info.published_by or ""),
            ("发布时间 published at", info.published_at or ""), ("模型 model", info.model_label),
            ("校验和 checksum", info.checksum),
            ("上期 previous period", rankings.attrs.get("previous_period") or "")]
    about.set_column(0, 0, 24)
    about.set_column(1, 1, 70)
    for i, (k, v) in enumerate(neutralise_frame(pd.DataFrame(rows, columns=["k", "v"])).itertuples(index=False)):
        about.write_string(i, 0, k, head)
        about.write_string(i, 1, v)
    wb.close()
