"""Early warning (预警): each published quarter, every ranked unit is 红 red, 黄 yellow or 绿 green by
the model's `[warning]` rules, with the rules that fired in words. A pure function of the quarters'
published results (`panel`), so the dashboard, the report and the tests agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from scoring.model import DIMENSIONS, Model, Scope, WarningKind, WarningLevel, WarningRule
from scoring.text import Text

GREEN = "green"
LEVELS = (WarningLevel.RED.value, WarningLevel.YELLOW.value, GREEN)
LEVEL_TEXT = {"red": Text("红色预警", "Red"), "yellow": Text("黄色预警", "Yellow"), "green": Text("绿色（正常）", "Green")}
DIM_TEXT = {"mass": Text("群众评价", "mass evaluation"), "performance": Text("实绩数据", "performance data"),
            "compliance": Text("过程合规", "process compliance")}
# what the panel holds per unit and published quarter
PANEL_COLUMNS = ["period", "unit_id", "unit_name", "group", "status", "rank_group", "rank_overall", *DIMENSIONS,
                 "grade", "low_sample", "n_valid", "satisfaction_rate"]
COLUMNS = ["unit_id", "unit_name", "group", "level", "rules"]


@dataclass(frozen=True)
class Fired:
    """One rule that fired for a unit: its level and what it found, in both languages."""

    kind: str
    level: str
    text: Text

    def as_json(self) -> dict:
        return {"kind": self.kind, "level": self.level, **self.text.as_json()}


def _quarters(q: int) -> str:
    return "季度" if q == 1 else f"连续 {q} 个季度"


def _rank_fall(rule: WarningRule, ranks: pd.DataFrame, periods: list[str]) -> dict[str, Text]:
    """Units that fell at least `places` places in each of the last `quarters` quarters (in `periods`)."""
    if len(periods) < rule.quarters + 1:
        return {}
    window = ranks.reindex(columns=periods[-(rule.quarters + 1):])
    falls = window.diff(axis=1).iloc[:, 1:]  # positive = a higher (worse) rank number
    hit = (falls >= rule.places).all(axis=1)
    scope = Text("组内排名", "rank in group") if rule.scope == Scope.GROUP else Text("总排名", "overall rank")
    out = {}
    for uid in hit[hit].index:
        path = "→".join(str(int(v)) for v in window.loc[uid])
        zh = f"{scope.zh}{_quarters(rule.quarters)}下降 {rule.places} 位及以上（{path}）"
        en = (f"{scope.en} fell {rule.places} or more places" + (f" in each of {rule.quarters} quarters running" if
                                                                rule.quarters > 1 else "") + f" ({path})")
        out[uid] = Text(zh, en)
    return out


def classify(model: Model, panel: pd.DataFrame, period: str) -> pd.DataFrame:
    """The units of `period` (ranked or not) with their level and the rules that fired (a list of
    Fired), from `panel` (PANEL_COLUMNS, one row per unit and published quarter up to `period`)."""
    panel = panel[panel["period"] <= period]
    periods = sorted(panel["period"].unique())
    cur = panel[panel["period"] == period].set_index("unit_id")
    fired: dict[str, list[Fired]] = {u: [] for u in cur.index}
    lowest = model.tier_labels()[-1] if model.grades.tier else None
    prev = panel[panel["period"] == periods[-2]].set_index("unit_id") if len(periods) > 1 else cur.iloc[:0]
    for rule in model.warning.rule:
        hits: dict[str, Text] = {}
        if rule.kind == WarningKind.RANK_FALL:
            col = "rank_group" if rule.scope == Scope.GROUP else "rank_overall"
            ranks = panel.pivot_table(index="unit_id", columns="period", values=col, aggfunc="first")
            if rule.scope == Scope.GROUP:  # a move to another group is no fall
                groups = panel.pivot_table(index="unit_id", columns="period", values="group", aggfunc="first")
                window = periods[-(rule.quarters + 1):]
                same = groups.reindex(columns=window).nunique(axis=1, dropna=False) == 1
                ranks = ranks[same.reindex(ranks.index, fill_value=False)]
            hits = _rank_fall(rule, ranks.astype(float), periods)
        elif rule.kind == WarningKind.DIMENSION_BELOW:
            for uid, row in cur.iterrows():
                low = [d for d in rule.dimensions if pd.notna(row[d]) and float(row[d]) < rule.threshold]
                if low:
                    hits[uid] = Text("、".join(f"{DIM_TEXT[d].zh} {float(row[d]):.2f}" for d in low)
                                     + f" 低于 {rule.threshold:g} 分",
                                     ", ".join(f"{DIM_TEXT[d].en} {float(row[d]):.2f}" for d in low)
                                     + f" below {rule.threshold:g}")
        elif rule.kind == WarningKind.LOW_SAMPLE:
            for uid, row in cur.iterrows():
                if bool(row["low_sample"]):
                    n = "—" if pd.isna(row["n_valid"]) else int(row["n_valid"])
                    k = model.survey.min_sample if model.survey else 0
                    hits[uid] = Text(f"群众评价有效样本 {n} 份，低于 {k} 份", f"valid survey sample {n} below {k}")
        elif rule.kind == WarningKind.SATISFACTION_FALL:
            both = cur[["satisfaction_rate"]].join(prev[["satisfaction_rate"]].add_suffix("_prev"), how="inner")
            drop = (both["satisfaction_rate_prev"].astype(float) - both["satisfaction_rate"].astype(float)) * 100
            for uid in drop[drop >= rule.points - 1e-9].index:
                a, b = both.at[uid, "satisfaction_rate_prev"], both.at[uid, "satisfaction_rate"]
                hits[uid] = Text(f"满意率由 {a:.1%} 降至 {b:.1%}，下降 {drop[uid]:.1f} 个百分点（≥ {rule.points:g}）",
                                 f"satisfaction rate fell from {a:.1%} to {b:.1%}, {drop[uid]:.1f} points "
                                 f"(≥ {rule.points:g})")
        elif rule.kind == WarningKind.GRADE_LOWEST and lowest is not None:
            for uid, row in cur.iterrows():
                if row["grade"] == lowest:
                    hits[uid] = Text(f"等次为最低档“{lowest}”", f"graded in the lowest tier ({lowest})")
        for uid, text in hits.items():
            if uid in fired:
                fired[uid].append(Fired(rule.kind.value, rule.level.value, text))
    rows = []
    for uid, row in cur.iterrows():
        levels = {f.level for f in fired[uid]}
        level = "red" if "red" in levels else "yellow" if "yellow" in levels else GREEN
        order = sorted(fired[uid], key=lambda f: LEVELS.index(f.level))
        rows.append((uid, row["unit_name"], row["group"], level, order))
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["_o"] = out["level"].map(LEVELS.index)
    return out.sort_values(["_o", "unit_id"]).drop(columns="_o").reset_index(drop=True)


def panel_from(results: dict[str, pd.DataFrame], surveys: dict[str, dict[str, dict]]) -> pd.DataFrame:
    """PANEL_COLUMNS from each published quarter's units table (`Store.results`) and its units' survey
    figures (unit_id -> {"n_valid", "satisfaction_rate"}, from the stored JSON result)."""
    frames = []
    for period, units in results.items():
        s = surveys.get(period, {})
        df = units.assign(period=period)
        df["low_sample"] = df["flags"].map(lambda fs: any(f.code.value == "low_sample" for f in fs))
        df["n_valid"] = [(s.get(u) or {}).get("n_valid") for u in df["unit_id"]]
        df["satisfaction_rate"] = [(s.get(u) or {}).get("satisfaction_rate") for u in df["unit_id"]]
        frames.append(df.reindex(columns=PANEL_COLUMNS))
    if not frames:
        return pd.DataFrame(columns=PANEL_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    for c in ("n_valid", "satisfaction_rate", "rank_group", "rank_overall", *DIMENSIONS):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out


def lookback(model: Model) -> int:
    """How many published quarters before the current one the rules need."""
    return max([r.quarters for r in model.warning.rule if r.kind == WarningKind.RANK_FALL] + [1])
