"""Score one period: inputs + model -> every unit's total, dimensions, breakdown, rank and grade.

Each step is vectorised over units; loops run over indicators, tree nodes and tiers only.
The breakdown is built so that, per unit, the contributions plus bonus minus deduction are
the total before clipping (SPEC 2.2, 2.4).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scoring import aliases, methods, survey, tree
from scoring import compliance as comp
from scoring import grades as grading
from scoring.formalism import Exclusion
from scoring.inputs import PeriodInputs
from scoring.model import MissingPolicy, Model, Scope
from scoring.ranking import competition_rank, round_half_up

DIMENSION_NAMES = {"mass": ("群众评价", "mass evaluation"), "performance": ("实绩数据", "performance data"),
                   "compliance": ("过程合规", "process compliance")}
# every flag a unit can carry, as "code: 中文 / English"; the dashboard labels them by code
FLAG_CODES = ("low_sample", "uncategorised", "unweighted", "reverse_suppressed", "reverse_below_floor",
              "bonus_capped", "clipped", "incomplete", "veto", "quota")


def parse_flag(flag: str) -> tuple[str, str, str]:
    """(code, Chinese text, English text) of a flag written as "code: 中文 / English"."""
    code, _, text = str(flag).partition(": ")
    zh, _, en = text.partition(" / ")
    return code, zh, en or zh


BREAKDOWN_COLUMNS = ["unit_id", "dimension", "code", "name", "raw", "score", "weight", "contribution", "note"]


@dataclass
class PeriodResult:
    period: str
    model: Model
    units: pd.DataFrame  # one row per unit, see UNIT_COLUMNS
    breakdown: pd.DataFrame  # BREAKDOWN_COLUMNS: every contribution to every total
    nodes: pd.DataFrame  # units × performance tree nodes ("" = the dimension)
    survey: pd.DataFrame  # per unit survey statistics
    answers: pd.DataFrame  # unit_id, item, answer, count
    compliance: pd.DataFrame  # per unit × item earned / possible
    reverse: pd.DataFrame  # per department reverse-evaluation score, raters, suppressed
    excluded: list[Exclusion] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def indicators(self) -> pd.DataFrame:
        """The performance rows of the breakdown."""
        return self.breakdown[self.breakdown["dimension"] == "performance"]

    def to_json(self) -> dict:
        from scoring.results_json import result_to_json

        return result_to_json(self)


UNIT_COLUMNS = ["unit_id", "unit_name", "unit_type", "group", "status", "total", "total_unclipped", "mass",
                "performance", "compliance", "bonus", "deduction", "rank_group", "rank_overall", "grade",
                "veto", "grade_cap", "flags"]


def score_period(model: Model, inputs: PeriodInputs) -> PeriodResult:
    units = inputs.units.drop_duplicates("unit_id").set_index("unit_id", drop=False)
    idx = units.index
    scope = units["group"] if model.model.normalise_within == Scope.GROUP else pd.Series("all", index=idx)
    flags: dict[str, list[str]] = {u: [] for u in idx}
    warnings = list(inputs.warnings)
    rows: list[pd.DataFrame] = []
    w = model.weights

    # ---- mass evaluation ---------------------------------------------------------------
    mass = pd.Series(np.nan, index=idx)
    stats = pd.DataFrame(index=idx, columns=survey.STAT_COLUMNS, dtype=float)
    answers = pd.DataFrame(columns=["unit_id", "item", "answer", "count"])
    rev = pd.DataFrame(columns=["score", "n_raters", "n_ratings", "suppressed"])
    grade_cap = pd.Series(0, index=idx)
    if model.survey is not None:
        items = inputs.item_columns()
        responses = inputs.survey[inputs.survey["unit_id"].isin(idx)]
        screened = survey.screen(survey.encode(responses, items, model.survey), model.survey)
        warnings += _screen_warnings(screened)
        stats = survey.unit_statistics(screened.kept, model.survey).reindex(idx)
        answers = survey.answer_distribution(screened.kept, model.survey)
        survey_mean = stats["mean"]
        for u in idx[stats["low_sample"].fillna(False).astype(bool) & stats["n_valid"].notna()]:
            flags[u].append(f"low_sample: 有效样本 {int(stats.at[u, 'n_valid'])} 份，低于 {model.survey.min_sample} 份 / "
                            f"valid sample {int(stats.at[u, 'n_valid'])} below the minimum {model.survey.min_sample}")
        if model.survey.respondent_groups:
            for u in idx[stats["n_uncategorised"].fillna(0) > 0]:
                k = int(stats.at[u, "n_uncategorised"])
                flags[u].append(f"uncategorised: {k} 份问卷的受访者类别缺失或不在模型中，未计入类别加权均值 / "
                                f"{k} respondents without a model respondent category left out of the weighted mean")
            for u in idx[stats["weighted"].eq(False)]:
                flags[u].append("unweighted: 问卷没有受访者类别，按全部受访者简单平均 / "
                                "no respondent categories: plain mean over all respondents")
        mass = survey_mean.copy()
        mass_rows = {"MASS.SURVEY": (survey_mean, pd.Series(1.0, index=idx), "群众满意度调查", "")}
        if model.reverse is not None and not inputs.reverse.empty:
            rev = survey.reverse_scores(inputs.reverse, inputs.criterion_columns(), model.survey, model.reverse.min_raters)
            rev_score = rev["score"].reindex(idx)
            rated = units["unit_type"].isin(model.reverse.applies_to) & rev_score.notna() & survey_mean.notna()
            share = pd.Series(np.where(rated, model.reverse.share, 0.0), index=idx)
            mass = survey_mean * (1 - share) + rev_score.fillna(0) * share
            mass_rows["MASS.SURVEY"] = (survey_mean, 1 - share, "群众满意度调查", "")
            mass_rows["MASS.REVERSE"] = (rev_score.where(rated), share, "基层评议上级", "")
            suppressed = rev["suppressed"].reindex(idx).fillna(False).astype(bool) & units["unit_type"].isin(model.reverse.applies_to)
            for u in idx[suppressed]:
                flags[u].append(f"reverse_suppressed: 评议单位不足 {model.reverse.min_raters} 个，结果不显示、不计入 / "
                                f"fewer than {model.reverse.min_raters} raters: result suppressed")
            below = rated & (round_half_up(rev_score, model.model.rank_decimals) < model.reverse.excellent_floor)
            grade_cap[below] = 1
            for u in idx[below]:
                flags[u].append(f"reverse_below_floor: 基层评议 {rev_score[u]:.2f} 分，低于 {model.reverse.excellent_floor:g} 分，"
                                f"不得评为{model.grades.tier[0].label} / reverse evaluation below {model.reverse.excellent_floor:g}: "
                                f"cannot be graded {model.grades.tier[0].label_en or model.grades.tier[0].label}")
        for code, (score, share, name, note) in mass_rows.items():
            weight = w["mass"] * share
            rows.append(_rows(idx, "mass", code, name, score, score, weight.where(score.notna(), 0.0), note))

    # ---- performance ---------------------------------------------------------------------
    perf = pd.Series(np.nan, index=idx)
    nodes = pd.DataFrame(index=idx)
    if model.performance is not None and model.scored_indicators:
        perf, nodes, perf_rows = _performance(model, inputs, units, scope)
        rows.append(perf_rows)

    # ---- compliance ----------------------------------------------------------------------
    items = comp.item_results(inputs.compliance[inputs.compliance["unit_id"].isin(idx)], model.compliance)
    dims = comp.dimension_scores(items, model.compliance).reindex(idx)
    compliance_score = dims["score"]
    rows.append(_compliance_rows(model, items, dims, w["compliance"]))

    # ---- adjustments -----------------------------------------------------------------------
    adj = inputs.adjustments.drop_duplicates("unit_id", keep="last").set_index("unit_id").reindex(idx)
    bonus_raw = pd.to_numeric(adj["bonus"], errors="coerce").fillna(0.0)
    bonus = bonus_raw.clip(upper=model.adjustments.bonus_cap)
    deduction = pd.to_numeric(adj["deduction"], errors="coerce").fillna(0.0).clip(upper=model.adjustments.deduction_cap)
    veto = adj["veto"].map(aliases.veto_reason).astype(object)
    for u in idx[bonus_raw > bonus]:
        flags[u].append(f"bonus_capped: 加分 {bonus_raw[u]:g} 超过上限 {model.adjustments.bonus_cap:g} / "
                        f"bonus {bonus_raw[u]:g} capped at {model.adjustments.bonus_cap:g}")

    # ---- totals ----------------------------------------------------------------------------
    parts = [r for r in rows if not r.empty]
    breakdown = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    contrib = breakdown.groupby("unit_id", sort=False)["contribution"].sum().reindex(idx).fillna(0.0)
    raw_total = contrib + bonus - deduction
    total = raw_total.clip(0.0, 100.0)
    for u in idx[raw_total != total]:
        flags[u].append(f"clipped: 合计 {raw_total[u]:.2f} 截取到 [0, 100] / total {raw_total[u]:.2f} clipped to [0, 100]")

    dim_scores = pd.DataFrame({"mass": mass, "performance": perf, "compliance": compliance_score})
    missing = dim_scores[list(model.required_dimensions)].isna()
    incomplete = missing.any(axis=1)
    for u in idx[incomplete]:
        names = [d for d in model.required_dimensions if missing.at[u, d]]
        flags[u].append("incomplete: 缺少" + "、".join(DIMENSION_NAMES[d][0] for d in names) + "数据，不排名、不评等次 / missing "
                        + ", ".join(DIMENSION_NAMES[d][1] for d in names) + ": not ranked or graded")
    for u in idx[veto.notna()]:
        flags[u].append(f"veto: 一票否决（{veto[u]}） / veto: {veto[u]}")

    ok = ~incomplete
    decimals = model.model.rank_decimals
    score_ok = total.where(ok)
    out = pd.DataFrame({
        "unit_id": idx, "unit_name": units["unit_name"], "unit_type": units["unit_type"], "group": units["group"],
        "status": np.where(ok, "ok", "incomplete"),
        "total": total.where(ok), "total_unclipped": raw_total.where(ok),
        "mass": mass, "performance": perf, "compliance": compliance_score,
        "bonus": bonus, "deduction": deduction,
        "rank_group": competition_rank(score_ok, decimals, by=units["group"]),
        "rank_overall": competition_rank(score_ok, decimals),
        "veto": veto, "grade_cap": grade_cap,
    }, index=idx)
    out["grade"] = _grades(model, round_half_up(score_ok, decimals), units["group"], ok, veto.notna(), grade_cap, flags)
    out["flags"] = pd.Series(flags)
    return PeriodResult(
        period=inputs.period, model=model, units=out[UNIT_COLUMNS].reset_index(drop=True), breakdown=breakdown,
        nodes=nodes, survey=stats, answers=answers, compliance=items, reverse=rev,
        excluded=list(inputs.excluded), warnings=warnings,
    )


def _rows(idx, dimension, code, name, raw, score, weight, note) -> pd.DataFrame:
    weight = pd.Series(weight, index=idx, dtype=float)
    score = pd.Series(score, index=idx, dtype=float)
    return pd.DataFrame({
        "unit_id": idx, "dimension": dimension, "code": code, "name": name,
        "raw": pd.Series(raw, index=idx, dtype=float), "score": score, "weight": weight,
        "contribution": (weight * score).where(weight > 0, 0.0).fillna(0.0),
        "note": note,
    })


def _screen_warnings(screened: survey.Screened) -> list[str]:
    out = []
    if len(screened.duplicates):
        ids = "、".join(map(str, screened.duplicates["response_id"].head(10)))
        out.append(f"群众评价：{len(screened.duplicates)} 条重复问卷编号已剔除（{ids}） / "
                   f"survey: {len(screened.duplicates)} duplicate response ids removed ({ids})")
    if len(screened.straight_liners):
        ids = "、".join(map(str, screened.straight_liners["response_id"].head(10)))
        out.append(f"群众评价：{len(screened.straight_liners)} 份问卷所有题目答案完全相同，已剔除（{ids}） / "
                   f"survey: {len(screened.straight_liners)} straight-lining respondents removed ({ids})")
    return out


def _performance(model: Model, inputs: PeriodInputs, units: pd.DataFrame, scope: pd.Series):
    idx = units.index
    leaves = [i.code for i in model.scored_indicators]
    values = inputs.indicators.pivot_table(index="unit_id", columns="code", values="value", aggfunc="last")
    values = values.reindex(index=idx, columns=leaves).astype(float)
    scores = pd.DataFrame(index=idx, columns=leaves, dtype=float)
    notes = pd.DataFrame("", index=idx, columns=leaves)
    types = units["unit_type"].unique()
    applicable = pd.DataFrame({c: units["unit_type"].map({t: model.applies(c, t) for t in types}) for c in leaves},
                              index=idx).astype(bool)
    values = values.where(applicable)
    any_value = values.notna().any(axis=1)
    policy = model.performance.missing
    for code in leaves:
        ind = model.indicators[code]
        app = applicable[code]
        s, note = methods.score_indicator(ind, values.loc[app, code], scope[app], model.performance.efficacy_floor)
        missing = values.loc[app, code].isna() & any_value[app]
        if policy == MissingPolicy.ZERO:
            s[missing] = 0.0
            note[missing] = "缺失，按 0 分计 / missing: scored 0"
        elif policy == MissingPolicy.GROUP_MEAN:
            fill = s.groupby(scope[app]).transform("mean")
            filled = missing & fill.notna()
            s[filled] = fill[filled]
            note[filled] = [f"缺失，按组内平均 {v:.2f} 分计 / missing: group mean {v:.2f}" for v in fill[filled]]
            missing &= ~filled  # nobody in the group reported it: nothing to fill with, so reweight
        if policy == MissingPolicy.REWEIGHT or policy == MissingPolicy.GROUP_MEAN:
            note[missing] = "缺失，权重按比例分给同级指标 / missing: its weight is shared among its siblings"
        scores.loc[app, code] = s
        notes.loc[app, code] = note
    agg = tree.aggregate(scores, model.scored_children, model.tree_weights)
    perf = agg.node_scores[""] if "" in agg.node_scores else pd.Series(np.nan, index=idx)
    perf = perf.where(any_value)
    w_perf = model.weights["performance"]
    frames = []
    for code in leaves:
        app = applicable[code] & any_value
        eff = agg.effective[code] * w_perf
        ind = model.indicators[code]
        frames.append(_rows(idx[app], "performance", code, ind.name, values.loc[app, code], scores.loc[app, code],
                            eff[app], notes.loc[app, code]))
    return perf, agg.node_scores.where(any_value, np.nan), pd.concat(frames, ignore_index=True)


def _compliance_rows(model: Model, items: pd.DataFrame, dims: pd.DataFrame, w_comp: float) -> pd.DataFrame:
    names = {i.code: i.name for i in model.compliance.item}
    if items.empty:
        return pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    df = items[items["earned"].notna()].copy()
    if model.compliance.style == "points":
        possible = df.groupby("unit_id")["possible"].transform("sum")
        df["score"] = df["earned"] / df["possible"] * 100
        df["weight"] = w_comp * df["possible"] / possible
        extra = pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    else:
        df["score"] = df["earned"]  # a deduction, as negative points
        df["weight"] = w_comp
        base = dims["score"].dropna()
        floor = dims.loc[base.index, "floor_added"]
        floored = floor.index[floor > 0]
        extra = pd.concat([
            _rows(base.index, "compliance", "COMP.BASE", "基础分", 100.0, 100.0, w_comp, ""),
            _rows(floored, "compliance", "COMP.FLOOR", "保底至 0 分", floor[floored], floor[floored], w_comp,
                  "扣分超过 100，保底 0 分 / deductions beyond 100: floored at 0"),
        ], ignore_index=True)
    df["contribution"] = df["weight"] * df["score"]
    out = pd.DataFrame({
        "unit_id": df["unit_id"], "dimension": "compliance", "code": df["item"], "name": df["item"].map(names),
        "raw": df["status"].where(df["status"].notna(), df["points"]), "score": df["score"], "weight": df["weight"],
        "contribution": df["contribution"], "note": "",
    })
    return pd.concat([out, extra], ignore_index=True) if not extra.empty else out


def _grades(model: Model, scores: pd.Series, groups: pd.Series, ok: pd.Series, vetoed: pd.Series,
            cap: pd.Series, flags: dict[str, list[str]]) -> pd.Series:
    g = model.grades
    tiers = pd.Series(grading.tier_index(scores.fillna(0).to_numpy(), g), index=scores.index)
    capped = ok & (tiers < cap)
    tiers = tiers.where(~capped, cap)
    tiers[vetoed & ok] = grading.veto_tier(g)
    tiers, demoted = grading.apply_quota(tiers, scores, groups, g, ok)
    for u in scores.index[demoted & ok]:
        flags[u].append(f"quota: 超出等次名额，调整为{g.tier[tiers[u]].label} / beyond the tier quota: "
                        f"{g.tier[tiers[u]].label_en or g.tier[tiers[u]].label}")
    labels = np.array(model.tier_labels(), dtype=object)
    return pd.Series(np.where(ok, labels[tiers.to_numpy()], None), index=scores.index)
