"""The results workbook of a scored period: ranking, breakdown, survey, exclusions, warnings."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pandas as pd

from scoring.pipeline import PeriodResult
from scoring.safe_export import write_xlsx

RANKING_HEADERS = {
    "rank_overall": "总排名", "rank_group": "组内排名", "unit_id": "单位编码", "unit_name": "单位名称",
    "unit_type": "单位类型", "group": "考核组别", "total": "总分", "mass": "群众评价", "performance": "实绩数据",
    "compliance": "过程合规", "bonus": "加分", "deduction": "扣分", "grade": "等次", "veto": "一票否决",
    "status": "状态", "flags": "提示",
}


def result_frames(result: PeriodResult) -> dict[str, pd.DataFrame]:
    units = result.units.sort_values(["rank_overall", "unit_id"], na_position="last").copy()
    units["flags"] = units["flags"].map("；".join)
    ranking = units[list(RANKING_HEADERS)].rename(columns=RANKING_HEADERS)
    survey = result.survey.reset_index().rename(columns={"index": "unit_id"})
    excluded = pd.DataFrame([e.as_json() for e in result.excluded], columns=["file", "column", "keyword", "reason", "overridden"])
    return {
        "排名 ranking": ranking,
        "明细 breakdown": result.breakdown,
        "群众评价 survey": survey,
        "不计分 excluded": excluded,
        "提示 warnings": pd.DataFrame({"warning": result.warnings}),
    }


def write_result_xlsx(result: PeriodResult, out: str | Path | BytesIO) -> None:
    write_xlsx(result_frames(result), out)
