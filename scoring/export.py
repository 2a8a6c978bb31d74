"""Result workbooks: the formatted ranking (one header table, one look) and a scored period's details."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pandas as pd

from scoring import i18n
from scoring.flags import Flag
from scoring.pipeline import PeriodResult
from scoring.safe_export import SheetStyle, write_xlsx
from scoring.views import exemption_rows, reverse_report

RANKING_SHEET = "排名 ranking"
# result column -> header, in sheet order; columns a frame lacks (e.g. the change vs last quarter) are skipped
RANKING_COLUMNS = {
    "rank_overall": "总排名 rank", "rank_group": "组内排名 group rank", "unit_id": "单位编码 unit id",
    "unit_name": "单位名称 unit", "unit_type": "单位类型 type", "group": "考核组别 group", "total": "总分 total",
    "mass": "群众评价 mass", "performance": "实绩数据 performance", "compliance": "过程合规 compliance",
    "bonus": "加分 bonus", "deduction": "扣分 deduction", "grade": "等次 grade",
    "delta_total": "较上季度 change", "rank_change": "名次变化 rank change", "n_raters": "评议单位数 raters",
    "veto": "一票否决 veto",
    "status": "状态 status", "flags": "提示 flags",
}
SCORE_COLUMNS = ("total", "mass", "performance", "compliance", "bonus", "deduction")
TIER_FILLS = ("#C6EFCE", "#DDEBF7", "#FFEB9C", "#FFC7CE")  # best tier first; extra tiers reuse the last


NUMBER_FORMATS = {c: "0.00" for c in SCORE_COLUMNS} | {
    "rank": "0", "rank_overall": "0", "rank_group": "0", "n_raters": "0", "delta_total": "+0.00;-0.00;0.00", "rank_change": "+0;-0;0"}
WIDTHS = {"unit_name": 28, "veto": 28, "flags": 60, "flag_codes": 40}


def ranking_style(headers: dict[str, str], grade_labels: list[str]) -> SheetStyle:
    """Number formats, widths and grade colours for a ranking table whose columns are shown under
    `headers` (result column -> header); `grade_labels` are the tiers as written in the table, best first."""
    return SheetStyle(
        number_formats={h: NUMBER_FORMATS[c] for c, h in headers.items() if c in NUMBER_FORMATS},
        widths={h: WIDTHS[c] for c, h in headers.items() if c in WIDTHS},
        fills={headers["grade"]: {t: TIER_FILLS[min(k, len(TIER_FILLS) - 1)] for k, t in enumerate(grade_labels)}}
        if "grade" in headers else {},
        autofilter=True)


def ranking_sheet(units: pd.DataFrame, tiers: list[str], lang: str = "zh") -> tuple[pd.DataFrame, SheetStyle]:
    """Units in rank order under bilingual headers, with number formats and grade colours; flags
    in words of `lang`."""
    cols = [c for c in RANKING_COLUMNS if c in units.columns]
    df = units.sort_values(["rank_overall", "unit_id"], na_position="last")[cols].copy()
    if "flags" in df:
        df["flags"] = ["；".join(i18n.flag_text(f, lang) for f in fs) for fs in df["flags"]]
    return df.rename(columns=RANKING_COLUMNS), ranking_style({c: RANKING_COLUMNS[c] for c in cols}, tiers)


def result_frames(result: PeriodResult, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The detail sheets of a scored period; every message in words of `lang`."""
    ranking, _ = ranking_sheet(result.units, result.model.tier_labels(), lang)
    survey = result.survey.reset_index().rename(columns={"index": "unit_id"})
    breakdown = result.breakdown.assign(
        note=result.breakdown["note"].map(lambda n: i18n.flag_text(n, lang) if isinstance(n, Flag) else None),
        treatment=result.breakdown["treatment"].map(lambda n: i18n.flag_text(n, lang) if isinstance(n, Flag) else None))
    excluded = pd.DataFrame([{**e.as_json(), "reason": e.reason.get(lang)} for e in result.excluded],
                            columns=["file", "column", "keyword", "overridden", "note", "reason"])
    warnings = pd.DataFrame([{"where": w.location(), "warning": w.message(lang)} for w in result.warnings],
                            columns=["where", "warning"])
    return {
        RANKING_SHEET: ranking,
        "明细 breakdown": breakdown,
        "群众评价 survey": survey,
        "基层评议 reverse": reverse_report(result, lang),
        "容错纠错 exemptions": exemption_rows(result, lang),
        "不计分 excluded": excluded,
        "提示 warnings": warnings,
    }


DETAIL_SHEETS = {"明细 breakdown": "breakdown", "群众评价 survey": "survey", "基层评议 reverse": "reverse",
                 "容错纠错 exemptions": "exemptions", "不计分 excluded": "excluded", "提示 warnings": "warnings"}


def localised_details(result: PeriodResult, lang: str) -> dict[str, pd.DataFrame]:
    """The detail sheets under sheet names and headers of `lang` alone (the dashboard's download;
    the command line's workbook keeps both languages): model names in `lang`, a column without a
    word as it is."""
    model = result.model
    out = {}
    for sheet, df in result_frames(result, lang).items():
        if sheet in DETAIL_SHEETS:
            head = {c: i18n.t_or(f"col.{c}", model.name_in(c, lang), lang) for c in df.columns}
            out[i18n.t(f"sheet.{DETAIL_SHEETS[sheet]}", lang)] = df.rename(columns=head)
    return out


def write_result_xlsx(result: PeriodResult, out: str | Path | BytesIO, lang: str = "zh") -> None:
    _, style = ranking_sheet(result.units, result.model.tier_labels(), lang)
    write_xlsx(result_frames(result, lang), out, {RANKING_SHEET: style})
